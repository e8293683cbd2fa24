package dev.spillway;

import dev.spillway.memory.Hashing;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.CsvOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared pieces of the differential tests: a seeded, leak-checked run with an uncapped reader
 * engine; boxed rows as columns for {@code fromColumns}; inputs and results at a memory setting;
 * and order-free comparison of rows.
 */
final class DifferentialSupport {
    private DifferentialSupport() {
    }

    /** A seeded test body: its random source, the test memory, and an uncapped 2-thread engine to write and read files. */
    @FunctionalInterface
    interface SeededBody {
        void run(Random rnd, LeakCheck.TestMemory mem, Spillway reader) throws Exception;
    }

    /** {@link #seeded(long, SeededBody)} with a fresh seed ({@code -Dspillway.test.seed=N} repeats a failed run). */
    static void seeded(SeededBody body) {
        seeded(Long.getLong("spillway.test.seed", System.nanoTime()), body);
    }

    /** Runs {@code body} in a leak check with {@code new Random(seed)}; a failure names the seed. */
    static void seeded(long seed, SeededBody body) {
        try {
            LeakCheck.assertNoLeaks(mem -> {
                Path readerSpill = mem.tempRoot().resolve("r");
                try (Spillway reader = Spillway.builder().memoryLimit(1L << 30).threads(2).tempDir(readerSpill).build()) {
                    body.run(new Random(seed), mem, reader);
                }
                Files.delete(readerSpill);
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed + " (hash seed: -D" + Hashing.SEED_PROPERTY + "=" + Hashing.seed() + ")", e);
        }
    }

    /** Boxed rows as named columns, for {@code Spillway.fromColumns}. */
    static Map<String, Object> columns(List<String> names, List<List<Object>> rows) {
        Map<String, Object> cols = new LinkedHashMap<>();
        for (int c = 0; c < names.size(); c++) {
            List<Object> col = new ArrayList<>(rows.size());
            for (List<Object> r : rows) {
                col.add(r.get(c));
            }
            cols.put(names.get(c), col);
        }
        return cols;
    }

    static Map<String, Object> columns(Schema s, List<List<Object>> rows) {
        return columns(s.names(), rows);
    }

    /**
     * One input of a differential run: in memory from columns without a cap; else scanned from
     * {@code csv} (holding the same rows), so that the input does not count against the cap.
     */
    static LazyFrame input(Spillway sw, MemorySetting setting, Schema schema, List<List<Object>> rows, Path csv) {
        return setting.isNoCap() ? sw.fromColumns(columns(schema, rows))
                : sw.scanCsv(csv, CsvOptions.defaults().withSchema(schema));
    }

    /**
     * The rows of {@code q}, run by {@code sw} at {@code setting}: collected by {@code noCapEngine}
     * without a cap; else written to {@code out} and read back by the uncapped {@code reader} (the
     * result itself need not fit a tiny cap), after checking that {@code sw} stayed within the cap.
     */
    static List<List<Object>> result(LazyFrame q, MemorySetting setting, Spillway sw, Engine noCapEngine, Spillway reader,
            Path out) throws IOException {
        if (setting.isNoCap()) {
            try (DataFrame df = q.collect(noCapEngine)) {
                return df.rows();
            }
        }
        List<List<Object>> rows = viaCsv(q, reader, out);
        setting.assertPeakWithinCap(sw, setting.toString());
        assertEquals(setting.encrypt(), sw.spills().encrypts(), setting + ": spill encryption");
        return rows;
    }

    /**
     * Writes {@code q}'s result to {@code out} and reads it back with the uncapped {@code reader} (the
     * result itself need not fit a tiny cap); deletes the file.
     */
    private static List<List<Object>> viaCsv(LazyFrame q, Spillway reader, Path out) throws IOException {
        q.sinkCsv(out);
        try (DataFrame df = reader.scanCsv(out, CsvOptions.defaults().withSchema(q.schema())).collect()) {
            Files.delete(out);
            return df.rows();
        }
    }

    /** Join and group equality of a value: -0.0 as 0.0 (NaN boxes are equal already). */
    static Object norm(Object v) {
        return v instanceof Double d && d == 0.0 ? 0.0 : v;
    }

    private static List<Object> normRow(List<Object> r) {
        List<Object> o = new ArrayList<>(r.size());
        for (Object v : r) {
            o.add(norm(v));
        }
        return o;
    }

    /** Multiset comparison (order-insensitive, -0.0 equal to 0.0) with a readable failure. */
    static void assertSameRows(List<List<Object>> expected, List<List<Object>> actual, String what) {
        Map<List<Object>, Integer> counts = new HashMap<>();
        for (List<Object> r : expected) {
            counts.merge(normRow(r), 1, Integer::sum);
        }
        for (List<Object> r : actual) {
            counts.merge(normRow(r), -1, Integer::sum);
        }
        List<String> diff = new ArrayList<>();
        counts.forEach((row, n) -> {
            if (n != 0 && diff.size() < 6) {
                diff.add((n > 0 ? "missing " : "extra ") + Math.abs(n) + "x " + row);
            }
        });
        assertEquals(expected.size(), actual.size(), what + ": row count; e.g. " + diff);
        assertTrue(diff.isEmpty(), what + ": " + diff);
    }
}
