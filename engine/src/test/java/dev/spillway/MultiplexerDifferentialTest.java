package dev.spillway;

import dev.spillway.options.JoinOptions;

import dev.spillway.event.BacklogSpilled;
import dev.spillway.event.SortInputComplete;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.BuildSide;
import dev.spillway.options.JoinType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded differential tests of {@code cache()} and {@code sinkAll} against a java.util oracle:
 * a self-join through a cache, a cache read by a join's probe side and (through an aggregation) its
 * build side, a cache concatenated with a filtered copy of itself, and one run writing CSV, Parquet
 * and Arrow IPC files derived from one cache — with no memory cap, with a moderate cap, and with a
 * tiny cap where every backlogged morsel spills.
 */
class MultiplexerDifferentialTest {
    /** Memory settings as in the join, group-by and sort differential tests. */
    private static final List<MemorySetting> SETTINGS = MemorySetting.three(64L << 20, 4096, 12L << 20, 1024);

    static final Schema SCHEMA = Schema.of(Field.of("k", DataType.INT64), Field.of("v", DataType.INT64),
            Field.of("s", DataType.UTF8));

    /**
     * Rows {@code [k, v, s]}: k from a small domain (some null), v unique, s short (some null).
     * The domain keeps at most about 8 rows per key, so that the collected self-joins (rows per
     * key squared, per key) fit the smallest memory setting: with 200 keys for 7,000 rows a
     * self-join's result alone outgrew the 12 MiB cap, a correct failure of a test sized wrong.
     */
    static List<List<Object>> rows(Random rnd, int n) {
        int domain = Math.max(n / 8, 200) + rnd.nextInt(3000);
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(Arrays.asList(rnd.nextInt(30) == 0 ? null : (long) rnd.nextInt(domain), (long) i * 7 - 1000,
                    rnd.nextInt(10) == 0 ? null : "s" + rnd.nextInt(50)));
        }
        return rows;
    }

    static Map<String, Object> columns(List<List<Object>> rows) {
        return DifferentialSupport.columns(SCHEMA, rows);
    }

    // ------------------------------------------------------------------ the oracle

    /** The cached input: rows whose v is not a multiple of 5. */
    private static List<List<Object>> cached(List<List<Object>> rows) {
        return rows.stream().filter(r -> Math.floorMod((Long) r.get(1), 5L) != 0).toList();
    }

    private static Map<Long, List<List<Object>>> byKey(List<List<Object>> rows) {
        Map<Long, List<List<Object>>> m = new HashMap<>();
        for (List<Object> r : rows) {
            if (r.get(0) != null) {
                m.computeIfAbsent((Long) r.get(0), k -> new ArrayList<>()).add(r);
            }
        }
        return m;
    }

    /** {@code c.join(c, "k")}: k, v, s, v_right, s_right. */
    private static List<List<Object>> selfJoin(List<List<Object>> c) {
        Map<Long, List<List<Object>>> index = byKey(c);
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> l : c) {
            for (List<Object> r : l.get(0) == null ? List.<List<Object>>of() : index.get((Long) l.get(0))) {
                out.add(Arrays.asList(l.get(0), l.get(1), l.get(2), r.get(1), r.get(2)));
            }
        }
        return out;
    }

    /** {@code c.groupBy("k").agg(sum(v) as total, count(v) as n)} (the null key is a group). */
    private static List<List<Object>> totals(List<List<Object>> c) {
        Map<Long, long[]> g = new LinkedHashMap<>();
        for (List<Object> r : c) {
            long[] a = g.computeIfAbsent((Long) r.get(0), k -> new long[2]);
            a[0] += (Long) r.get(1);
            a[1]++;
        }
        List<List<Object>> out = new ArrayList<>();
        g.forEach((k, a) -> out.add(Arrays.asList(k, a[0], a[1])));
        return out;
    }

    /** {@code c.join(totals(c), "k")}: k, v, s, total, n. */
    private static List<List<Object>> withTotals(List<List<Object>> c) {
        Map<Object, List<Object>> t = new HashMap<>();
        for (List<Object> r : totals(c)) {
            t.put(r.get(0), r);
        }
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> r : c) {
            if (r.get(0) != null) {
                List<Object> g = t.get(r.get(0));
                out.add(Arrays.asList(r.get(0), r.get(1), r.get(2), g.get(1), g.get(2)));
            }
        }
        return out;
    }

    /** {@code c.concat(c.filter(k < 100))}, in order. */
    private static List<List<Object>> concatSmallKeys(List<List<Object>> c) {
        List<List<Object>> out = new ArrayList<>(c);
        for (List<Object> r : c) {
            if (r.get(0) != null && (Long) r.get(0) < 100) {
                out.add(r);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the engine

    private static LazyFrame cache(Spillway sw, Path csv) {
        return sw.scanCsv(csv, CsvOptions.defaults().withSchema(SCHEMA)).filter(col("v").mod(lit(5L)).ne(lit(0L))).cache();
    }

    private static LazyFrame totals(LazyFrame c) {
        return c.groupBy("k").agg(col("v").sum().alias("total"), col("v").count().alias("n"));
    }

    private static List<List<Object>> collect(LazyFrame f) {
        try (DataFrame df = f.collect()) {
            return df.rows();
        }
    }

    private static void runAll(MemorySetting s, LeakCheck.TestMemory mem, Spillway reader, Path csv, List<List<Object>> rows,
            String what) throws Exception {
        Path spill = mem.tempRoot().resolve("spill-" + s);
        List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
        List<List<Object>> c = cached(rows);
        try (Spillway sw = s.builder(spill).eventListener(events::add).build()) {
            LazyFrame cf = cache(sw, csv);

            LazyFrame self = cf.join(cf, "k", JoinType.INNER);
            assertTrue(self.explain().contains("STREAMING_MULTIPLEXER consumers=2"), self.explain());
            DifferentialSupport.assertSameRows(selfJoin(c), collect(self), what + " self-join");

            LazyFrame probeAndBuild = cf.join(totals(cf), List.of("k"), List.of("k"), JoinType.INNER,
                    JoinOptions.defaults().withBuildSide(BuildSide.RIGHT));
            DifferentialSupport.assertSameRows(withTotals(c), collect(probeAndBuild), what + " probe and aggregated build");

            LazyFrame concat = cf.concat(cf.filter(col("k").lt(lit(100L))));
            assertEquals(concatSmallKeys(c), collect(concat), what + " concat, in order");

            Path dir = mem.dataDir();
            Path outCsv = dir.resolve("all-" + s + ".csv");
            Path outParquet = dir.resolve("totals-" + s + ".parquet");
            Path outIpc = dir.resolve("self-" + s + ".arrow");
            LazyFrame selfRenamed = cf.join(cf.select(col("k"), col("v").alias("w")), List.of("k"), List.of("k"),
                    JoinType.INNER, JoinOptions.defaults().withBuildSide(BuildSide.RIGHT));
            long[] written = sw.sinkAll(SinkTarget.csv(cf, outCsv), SinkTarget.parquet(totals(cf), outParquet),
                    SinkTarget.ipc(selfRenamed, outIpc));
            List<List<Object>> expectedSelf = new ArrayList<>();
            for (List<Object> r : selfJoin(c)) {
                expectedSelf.add(Arrays.asList(r.get(0), r.get(1), r.get(2), r.get(3)));
            }
            assertArrayEquals(new long[] {c.size(), totals(c).size(), expectedSelf.size()}, written, what + " sinkAll rows");
            assertTrue(sw.lastProfile().plan().contains("STREAMING_MULTIPLEXER consumers=4"), sw.lastProfile().plan());
            assertEquals(c, collect(reader.scanCsv(outCsv, CsvOptions.defaults().withSchema(SCHEMA))), what + " sinkAll CSV, in order");
            DifferentialSupport.assertSameRows(totals(c), collect(reader.scanParquet(outParquet)), what + " sinkAll Parquet");
            DifferentialSupport.assertSameRows(expectedSelf, collect(reader.scanIpc(outIpc)), what + " sinkAll IPC");
            for (Path p : List.of(outCsv, outParquet, outIpc)) {
                Files.delete(p);
            }

            s.assertPeakWithinCap(sw, what);
            if (s.isTiny()) {
                assertTrue(events.stream().anyMatch(e -> e instanceof BacklogSpilled),
                        what + ": backlogs spilled");
                assertTrue(sw.spills().stats().bytesReadRaw() > 0, what + ": spilled backlogs were read back");
            }
        } finally {
            Files.deleteIfExists(spill);
        }
    }

    @Test
    void cachedSubplansMatchTheOracleAtThreeMemorySettings() {
        for (long seed : new long[] {42L, System.nanoTime()}) {
            DifferentialSupport.seeded(seed, (rnd, mem, reader) -> {
                List<List<Object>> rows = rows(rnd, 3000 + rnd.nextInt(4000));
                Path csv = mem.dataDir().resolve("in.csv");
                reader.fromColumns(columns(rows)).sinkCsv(csv);
                for (MemorySetting s : SETTINGS) {
                    runAll(s, mem, reader, csv, rows, "seed " + seed + " " + s);
                }
                Files.delete(csv);
            });
        }
    }

    @Test
    void aCachedSortRunsOncePerQuery() {
        EngineTestSupport.withEngine((sw, dir) -> {
            List<List<Object>> rows = rows(new Random(7), 5000);
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway logged = Spillway.builder().memoryLimit(64L << 20).threads(2).tempDir(dir.resolve("spill"))
                    .eventListener(events::add).build()) {
                LazyFrame sorted = logged.fromColumns(columns(rows)).sort("v");
                long plain = countSortInputs(sorted.concat(sorted), events);
                LazyFrame shared = sorted.cache();
                long cached = countSortInputs(shared.concat(shared), events);
                assertEquals(2, plain, "without cache() each reader sorts again");
                assertEquals(1, cached, "with cache() the sort runs once for both readers");
                try (DataFrame df = shared.concat(shared).collect()) {
                    assertEquals(2L * rows.size(), df.rowCount());
                    for (int i = 0; i < rows.size(); i++) {
                        assertEquals(df.get(i, "v"), df.get(i + rows.size(), "v"), "both readers see the sorted order, row " + i);
                    }
                }
                // sinkAll shares what its targets derive from, without cache().
                events.clear();
                Path a = dir.resolve("sorted.csv");
                Path b = dir.resolve("sorted-v.arrow");
                long[] written = logged.sinkAll(SinkTarget.csv(sorted, a), SinkTarget.ipc(sorted.select("v"), b));
                assertArrayEquals(new long[] {rows.size(), rows.size()}, written);
                assertEquals(1, events.stream().filter(e -> e instanceof SortInputComplete).count(),
                        "the targets' common sort ran once: " + events);
                assertTrue(logged.lastProfile().plan().contains("STREAMING_MULTIPLEXER consumers=2"), logged.lastProfile().plan());
                try (DataFrame df = logged.scanIpc(b).collect()) {
                    long last = Long.MIN_VALUE;
                    for (int i = 0; i < df.rowCount(); i++) {
                        long v = df.getLong(i, "v");
                        assertTrue(v >= last, "the Arrow file is sorted at row " + i);
                        last = v;
                    }
                }
                Files.delete(a);
                Files.delete(b);
            }
            Files.deleteIfExists(dir.resolve("spill"));
        });
    }

    @Test
    void aCacheKeepsTheUnionOfItsReadersColumnsAndTheirFiltersStayAboveIt() {
        EngineTestSupport.withEngine((sw, dir) -> {
            Path in = dir.resolve("in.csv");
            sw.fromColumns(columns(rows(new Random(3), 50))).sinkCsv(in);
            LazyFrame c = sw.scanCsv(in, CsvOptions.defaults().withSchema(SCHEMA)).cache();
            LazyFrame q = c.select("k").join(c.filter(col("k").lt(lit(10L))).groupBy("k").agg(col("v").sum().alias("t")), "k",
                    JoinType.INNER);
            String plan = q.explain();
            assertTrue(plan.contains("STREAMING_SCAN_CSV in.csv columns=[k, v]\n"), "one reader needs k, the other k and v: "
                    + plan);
            assertEquals(1, plan.split("STREAMING_SCAN_CSV", -1).length - 1, "the shared input is shown once: " + plan);
            List<String> lines = plan.lines().toList();
            int filter = indexOf(lines, 0, "STREAMING_FILTER (col(\"k\") < 10)");
            int mux = indexOf(lines, filter + 1, "STREAMING_MULTIPLEXER consumers=2");
            assertEquals(1, plan.split("STREAMING_FILTER", -1).length - 1, "one filter, not pushed into the input: " + plan);
            assertTrue(filter >= 0 && mux == filter + 1 && indent(lines.get(filter)) < indent(lines.get(mux)),
                    "the reader's filter stays above the shared input: " + plan);
            try (DataFrame df = q.collect(); DataFrame all = sw.scanCsv(in, CsvOptions.defaults().withSchema(SCHEMA))
                    .filter(col("k").lt(lit(10L))).collect()) {
                assertEquals(all.rowCount(), df.rowCount(), "each row with k < 10 meets its group once");
            }
            Files.delete(in);
        });
    }

    @Test
    void aCacheInsideAnotherCachesInputIsReadOnceByEach() {
        LeakCheck.assertNoLeaks(mem -> {
            List<List<Object>> rows = rows(new Random(5), 4000);
            Path csv = mem.dataDir().resolve("in.csv");
            Path spill = mem.tempRoot().resolve("spill");
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway sw = SETTINGS.getLast().builder(spill).eventListener(events::add).build()) {
                sw.fromColumns(columns(rows)).sinkCsv(csv);
                LazyFrame outer = cache(sw, csv);
                LazyFrame all = sw.scanCsv(csv, CsvOptions.defaults().withSchema(SCHEMA)).cache();
                LazyFrame inner = all.filter(col("v").mod(lit(5L)).ne(lit(0L))).cache();
                LazyFrame q = inner.concat(all.filter(col("k").lt(lit(100L))), inner);
                List<List<Object>> c = cached(rows);
                List<List<Object>> expected = new ArrayList<>(c);
                for (List<Object> r : rows) {
                    if (r.get(0) != null && (Long) r.get(0) < 100) {
                        expected.add(r);
                    }
                }
                expected.addAll(c);
                assertEquals(expected, collect(q), "nested caches, in order");
                String plan = q.explain();
                assertEquals(4, plan.split("STREAMING_MULTIPLEXER consumers=2 ", -1).length - 1,
                        "two multiplexers of two readers each: " + plan);
                assertEquals(2, plan.split("\\(shared: input shown above\\)", -1).length - 1,
                        "each multiplexer's input is shown once: " + plan);
                assertEquals(1, plan.split("STREAMING_SCAN_CSV", -1).length - 1, "one scan: " + plan);
                assertTrue(events.stream().anyMatch(e -> e instanceof BacklogSpilled), "spilled");
                DifferentialSupport.assertSameRows(selfJoin(c), collect(outer.join(outer, "k", JoinType.INNER)),
                        "a second query over another cache of the same file");
            } finally {
                Files.deleteIfExists(csv);
                Files.deleteIfExists(spill);
            }
        });
    }

    private static int indexOf(List<String> lines, int from, String part) {
        for (int i = from; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }

    private static int indent(String line) {
        return line.length() - line.stripLeading().length();
    }

    private static long countSortInputs(LazyFrame f, List<SpillwayEvent> events) {
        events.clear();
        try (DataFrame df = f.collect()) {
            Objects.requireNonNull(df);
        }
        return events.stream().filter(e -> e instanceof SortInputComplete).count();
    }
}
