package dev.spillway.operators.csv;

import dev.spillway.options.CsvOptions;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CsvWriterTest {
    @Test
    void quotesOnlyWhereNeededAndKeepsEmptyDistinctFromNull() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("name", DataType.UTF8), Field.of("x", DataType.FLOAT64), Field.of("ok", DataType.BOOLEAN));
            List<List<Object>> rows = List.of(
                    Arrays.asList("plain", 1.0, true),
                    Arrays.asList("a,b", -0.0, false),
                    Arrays.asList("say \"x\"", 0.1, null),
                    Arrays.asList("line\nbreak", 1e300, true),
                    Arrays.asList("", Double.NEGATIVE_INFINITY, false),
                    Arrays.asList(null, null, null));
            Path f = mem.dataDir().resolve("w.csv");
            try (CsvWriter w = new CsvWriter(f, s, CsvOptions.defaults());
                 Morsel m = RandomData.morsel(s, rows, 0, mem.pool(), mem.budget())) {
                w.write(m);
                assertEquals(6, w.rows());
            }
            assertEquals("name,x,ok\nplain,1.0,true\n\"a,b\",-0.0,false\n\"say \"\"x\"\"\",0.1,\n\"line\nbreak\",1.0E300,true\n"
                    + "\"\",-inf,false\n,,\n", Files.readString(f));
            assertEquals(rows, CsvScanTest.readAll(mem, List.of(f), CsvOptions.defaults().withSchema(s), null, 0));
        });
    }

    /** Random morsels of every type, many of them, round-trip through the writer and the scanner (buffer flushes included). */
    @Test
    void randomRowsOfEveryTypeReadBackEqual() {
        long seed = System.nanoTime();
        java.util.Random rnd = new java.util.Random(seed);
        try {
            assertNoLeaks(mem -> {
                Schema s = RandomData.allTypes();
                List<List<Object>> all = new java.util.ArrayList<>();
                Path f = mem.dataDir().resolve("r.csv");
                try (CsvWriter w = new CsvWriter(f, s, CsvOptions.defaults())) {
                    for (int i = 0; i < 8; i++) {
                        List<List<Object>> rows = RandomData.rows(s, 2000 + rnd.nextInt(8000), rnd, 0.1);
                        try (Morsel m = RandomData.morsel(s, rows, i, mem.pool(), mem.budget())) {
                            w.write(m);
                        }
                        all.addAll(rows);
                    }
                    List<Object> edge = new java.util.ArrayList<>();
                    for (Field field : s) {
                        edge.add(switch (field.type()) {
                            case INT64 -> Long.MIN_VALUE;
                            case INT32 -> Integer.MIN_VALUE;
                            case FLOAT64 -> -0.0;
                            case UTF8 -> "";
                            case BOOLEAN, DATE32 -> null;
                            case DECIMAL128 -> new java.math.BigDecimal(java.math.BigInteger.TEN.pow(38).subtract(
                                    java.math.BigInteger.ONE).negate(), field.decimal().scale());
                            // The second 02:30 of a night the clocks go back: only the offset tells it apart.
                            case TIMESTAMP -> java.time.Instant.parse("2024-10-27T01:30:00.000001Z");
                        });
                    }
                    try (Morsel m = RandomData.morsel(s, List.of(edge), 9, mem.pool(), mem.budget())) {
                        w.write(m);
                    }
                    all.add(edge);
                }
                assertEquals(all, CsvScanTest.readAll(mem, List.of(f), CsvOptions.defaults().withSchema(s), null, 0));
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }
}
