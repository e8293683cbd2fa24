package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Utf8Vector;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-group storage functions write: starting states, variable-size entries, growth. */
class GroupColumnTest {
    @Test
    void variableSizeEntriesAreWrittenReadAndFlushedAsTheyAre() {
        assertNoLeaks(mem -> {
            try (ByteLog log = new ByteLog(mem.pool(), mem.budget())) {
                GroupColumn c = new GroupColumn(DataType.UTF8, true, log);
                c.resize(2);
                c.start(0);
                c.start(1);
                assertFalse(c.notNull()[0], "a nullable state starts null");
                byte[] entry = {1, 0, (byte) 0xFF, 42};
                c.storeBytes(1, MemorySegment.ofArray(entry), 0, entry.length);
                c.resize(5000);
                assertTrue(c.notNull()[1], "growth keeps the values");
                assertArrayEquals(entry, c.bytes().asSlice(c.longs()[1], c.lengths()[1]).toArray(ValueLayout.JAVA_BYTE));
                try (ColumnBuilder b = ColumnBuilder.create(DataType.UTF8, mem.pool(), mem.budget(), 2)) {
                    c.appendTo(b, 0);
                    c.appendTo(b, 1);
                    try (ColumnVector v = b.build()) {
                        assertNull(v.getObject(0));
                        Utf8Vector u = (Utf8Vector) v;
                        assertArrayEquals(entry, u.getBytes(1));
                    }
                }
                GroupColumn counter = new GroupColumn(DataType.INT64, false, log);
                counter.resize(1);
                counter.start(0);
                assertTrue(counter.notNull()[0], "a counter starts at zero, not null");
                assertEquals(0L, counter.longs()[0]);
            }
        });
    }
}
