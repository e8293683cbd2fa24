package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.types.DataType;
import dev.spillway.types.Schema;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChunkBuilderTest {
    private static final Schema SCHEMA = Schema.of(Field.of("id", DataType.INT64), Field.of("name", DataType.UTF8),
            Field.of("score", DataType.FLOAT64));

    /** A morsel of {@code rows} rows: id = i, name = a string of i % 7 * 30 characters (null every 5th), score = i / 2. */
    private static Morsel source(BlockPool pool, MemoryBudget budget, int rows) {
        Int64Builder ids = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, rows);
        Utf8Builder names = (Utf8Builder) ColumnBuilder.create(DataType.UTF8, pool, budget, rows);
        Float64Builder scores = (Float64Builder) ColumnBuilder.create(DataType.FLOAT64, pool, budget, rows);
        for (int i = 0; i < rows; i++) {
            ids.append(i);
            if (i % 5 == 0) {
                names.appendNull();
            } else {
                names.append(name(i));
            }
            scores.append(i / 2.0);
        }
        return new Morsel(SCHEMA, List.of(ids.build(), names.build(), scores.build()), rows, 0);
    }

    private static String name(int i) {
        return "n" + i + "x".repeat(i % 7 * 30);
    }

    private static List<Object> expectedRow(int i) {
        return Arrays.asList((long) i, i % 5 == 0 ? null : name(i), i / 2.0);
    }

    private static List<Object> row(Morsel m, int r) {
        List<Object> out = new ArrayList<>();
        for (int c = 0; c < m.schema().size(); c++) {
            out.add(m.column(c).getObject(r));
        }
        return out;
    }

    @Test
    void appendRowsAndRangesGatherTheirRowsInOrderAcrossBatches() {
        assertNoLeaks(mem -> {
            Random random = new Random(42);
            try (Morsel src = source(mem.pool(), mem.budget(), 5000);
                    NativeBuffer ids = mem.pool().allocate(mem.budget(), 4L * 3000);
                    ChunkBuilder chunk = new ChunkBuilder(SCHEMA, mem.pool(), mem.budget(), 16)) {
                int[] chosen = new int[3000];
                for (int k = 0; k < chosen.length; k++) {
                    chosen[k] = random.nextInt(5000);
                    ids.segment().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, k, chosen[k]);
                }
                chunk.appendRange(src, 7, 8);
                chunk.appendRows(src, ids.segment(), 100, 2600);
                chunk.appendRows(src, ids.segment(), 2600, 2600);
                chunk.appendRange(src, 1000, 3100);
                try (Morsel sealed = chunk.seal()) {
                    assertEquals(4601, sealed.rowCount());
                    assertEquals(expectedRow(7), row(sealed, 0));
                    for (int k = 100; k < 2600; k++) {
                        assertEquals(expectedRow(chosen[k]), row(sealed, k - 99), "row " + (k - 99));
                    }
                    for (int i = 1000; i < 3100; i++) {
                        assertEquals(expectedRow(i), row(sealed, 2501 + i - 1000), "range row " + i);
                    }
                }
            }
        });
    }

    @Test
    void aFailedAppendLeavesEveryColumnAtTheRowsItHad() {
        assertNoLeaks(mem -> {
            try (Morsel src = source(mem.pool(), mem.budget(), 2000);
                    NativeBuffer ids = mem.pool().allocate(mem.budget(), 4L * 2000)) {
                for (int k = 0; k < 2000; k++) {
                    ids.segment().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, k, k);
                }
                // Room for the ids and scores of all 2000 rows, not for their 180 KB of names.
                MemoryBudget small = mem.budget().child("chunk", 96 * 1024);
                try (ChunkBuilder chunk = new ChunkBuilder(SCHEMA, mem.pool(), small, 16)) {
                    chunk.appendRows(src, ids.segment(), 0, 10);
                    assertThrows(MemoryLimitExceededException.class, () -> chunk.appendRows(src, ids.segment(), 10, 2000));
                    assertEquals(10, chunk.rows());
                    for (int c = 0; c < SCHEMA.size(); c++) {
                        assertEquals(10, chunk.column(c).length(), "column " + c);
                    }
                    assertThrows(MemoryLimitExceededException.class, () -> chunk.appendRange(src, 10, 2000));
                    assertEquals(10, chunk.rows());
                    chunk.appendRows(src, ids.segment(), 1990, 2000);
                    try (Morsel sealed = chunk.seal()) {
                        assertEquals(20, sealed.rowCount());
                        assertEquals(4, sealed.column(1).nullCount(), "nulls at rows 0, 5, 1990, 1995");
                        for (int r = 0; r < 20; r++) {
                            int i = r < 10 ? r : 1980 + r;
                            assertEquals(expectedRow(i), row(sealed, r), "row " + r);
                        }
                    }
                }
                small.close();
            }
        });
    }
}
