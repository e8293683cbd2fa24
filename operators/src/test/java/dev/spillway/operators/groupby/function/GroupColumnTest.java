package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Utf8Vector;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-group storage functions write: starting states, variable-size entries, growth, native buffers and their charge. */
class GroupColumnTest {
    @Test
    void variableSizeEntriesAreWrittenReadAndFlushedAsTheyAre() {
        assertNoLeaks(mem -> {
            try (ByteLog log = new ByteLog(mem.pool(), mem.budget());
                 GroupColumn c = new GroupColumn(DataType.UTF8, true, log, mem.pool(), mem.budget());
                 GroupColumn counter = new GroupColumn(DataType.INT64, false, log, mem.pool(), mem.budget())) {
                c.install(c.grow(2, 0));
                c.start(0);
                c.start(1);
                assertFalse(c.hasValue(0), "a nullable state starts null");
                byte[] entry = {1, 0, (byte) 0xFF, 42};
                c.storeBytes(1, MemorySegment.ofArray(entry), 0, entry.length);
                c.install(c.grow(5000, 2));
                assertEquals(5000, c.capacity());
                assertTrue(c.hasValue(1), "growth keeps the values");
                long at = c.values().getAtIndex(GroupColumn.LONG, 1);
                assertArrayEquals(entry, c.bytes().asSlice(at, c.lengths().getAtIndex(GroupColumn.INT, 1)).toArray(ValueLayout.JAVA_BYTE));
                try (ColumnBuilder b = ColumnBuilder.create(DataType.UTF8, mem.pool(), mem.budget(), 2)) {
                    c.appendTo(b, 0);
                    c.appendTo(b, 1);
                    try (ColumnVector v = b.build()) {
                        assertNull(v.getObject(0));
                        Utf8Vector u = (Utf8Vector) v;
                        assertArrayEquals(entry, u.getBytes(1));
                    }
                }
                counter.install(counter.grow(1, 0));
                counter.start(0);
                assertTrue(counter.hasValue(0), "a counter starts at zero, not null");
                assertEquals(0L, counter.values().getAtIndex(GroupColumn.LONG, 0));
            }
        });
    }

    @Test
    void buffersAreNativeChargedAndFreedWithTheColumn() {
        assertNoLeaks(mem -> {
            try (ByteLog log = new ByteLog(mem.pool(), mem.budget())) {
                GroupColumn c = new GroupColumn(DataType.FLOAT64, true, log, mem.pool(), mem.budget());
                assertEquals(0, c.byteSize());
                c.install(c.grow(1024, 0));
                assertTrue(c.values().isNative(), "values in native memory");
                assertEquals(1024 * GroupColumn.bytesPerGroup(DataType.FLOAT64), c.byteSize());
                assertEquals(c.byteSize(), mem.budget().reserved(), "the budget is charged what the column holds");
                c.start(7);
                c.values().setAtIndex(GroupColumn.DOUBLE, 7, 2.5);
                c.notNull().set(GroupColumn.BYTE, 7, (byte) 1);
                GroupColumn.Buffers next = c.grow(2048, 8);
                assertEquals(c.byteSize() + next.byteSize(), mem.budget().reserved(), "old and new are held until installed");
                c.install(next);
                assertEquals(c.byteSize(), mem.budget().reserved(), "install frees the old buffers");
                assertEquals(2.5, c.values().getAtIndex(GroupColumn.DOUBLE, 7));
                GroupColumn.Buffers dropped = c.grow(4096, 8);
                dropped.close();
                dropped.close();
                assertEquals(c.byteSize(), mem.budget().reserved(), "buffers never installed are freed by their close");
                c.close();
                c.close();
                assertEquals(0, mem.budget().reserved());
                assertEquals(0, c.values().byteSize(), "a closed column has no values");
            }
        });
    }

    @Test
    void aRefusedGrowthKeepsTheColumnAndTakesNothing() {
        assertNoLeaks(64 << 10, mem -> {
            try (ByteLog log = new ByteLog(mem.pool(), mem.budget());
                 GroupColumn c = new GroupColumn(DataType.UTF8, true, log, mem.pool(), mem.budget())) {
                c.install(c.grow(1024, 0));
                c.start(3);
                long held = mem.budget().reserved();
                // Values (32 KiB) and validity (4 KiB) fit; the lengths (16 KiB) do not.
                assertThrows(MemoryLimitExceededException.class, () -> c.grow(4096, 4));
                assertEquals(held, mem.budget().reserved(), "a refused growth releases what it took");
                assertEquals(1024, c.capacity());
                assertFalse(c.hasValue(3));
            }
        });
    }
}
