package dev.spillway;

import dev.spillway.event.MemoryReclaimed;
import dev.spillway.event.QueryRetried;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.options.JoinType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several caller threads run spilling queries on one engine under one small cap at once: the
 * engine's memory arbiter must make the right query spill instead of failing the one that asks,
 * and a query that still finds no memory beside the others runs again alone — every one of the 20
 * queries must succeed. Every result is compared with a {@code java.util} oracle; the engine's
 * memory, its block pool and its spill root are back to empty afterwards.
 */
class ConcurrentQueriesTest {
    private static final long CAP = 32L << 20;
    private static final int CALLERS = 4;
    private static final int QUERIES_PER_CALLER = 5;
    private static final String PAYLOAD = "concurrent-queries-payload-concurrent-queries-pa";
    private static final long BUILD_ROWS = 60_000;
    private static final long PROBE_ROWS = 120_000;
    private static final long GROUP_ROWS = 150_000;
    private static final long GROUPS = 40_000;
    private static final long SORT_ROWS = 120_000;
    private static final long SORT_STEP = 7_919;
    private static final long BUCKETS = 1_000;

    /** The query kinds, in the order a caller starts them (shifted per caller). */
    private enum Kind { JOIN, GROUP_BY, SORT, JOIN_GROUP_BY }

    /**
     * One run by default; {@code -Dspillway.concurrent.runs=N} repeats it on fresh engines
     * ({@code perf-scripts/stress.sh --concurrent N}), prints the pass count and fails if any run failed.
     */
    @Test
    void fourCallersFiveMixedQueriesEachUnderOneCap() {
        int runs = Integer.getInteger("spillway.concurrent.runs", 1);
        Throwable first = null;
        int passed = 0;
        for (int run = 1; run <= runs; run++) {
            long t0 = System.nanoTime();
            try {
                String summary = runOnce();
                passed++;
                System.out.printf("concurrent queries run %d of %d: %s in %d ms%n", run, runs, summary,
                        (System.nanoTime() - t0) / 1_000_000);
            } catch (AssertionError | RuntimeException e) {
                System.out.printf("concurrent queries run %d of %d FAILED: %s%n", run, runs, e);
                first = first == null ? e : first;
            }
        }
        System.out.printf("concurrent queries: %d of %d runs passed%n", passed, runs);
        if (first != null) {
            throw new AssertionError((runs - passed) + " of " + runs + " runs failed; the first failure follows", first);
        }
    }

    /** One engine, four callers, five queries each; returns a line about the pressure it saw. */
    private static String runOnce() {
        String[] summary = new String[1];
        ConcurrentLinkedQueue<SpillwayEvent> events = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<QueryProfile> attempts = new ConcurrentLinkedQueue<>();
        EngineTestSupport.withEngine(CAP, b -> b.morselRows(16_384).eventListener(events::add).profiles(attempts::add), (sw, data) -> {
            ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
            CyclicBarrier start = new CyclicBarrier(CALLERS);
            List<Future<List<QueryProfile>>> done = new ArrayList<>();
            try {
                for (int c = 0; c < CALLERS; c++) {
                    int caller = c;
                    done.add(callers.submit(() -> {
                        start.await();
                        List<QueryProfile> profiles = new ArrayList<>();
                        for (int q = 0; q < QUERIES_PER_CALLER; q++) {
                            Kind kind = Kind.values()[(caller + q) % Kind.values().length];
                            run(sw, kind, data.resolve("out-" + caller + "-" + q + ".csv"));
                            profiles.add(sw.lastProfile());
                        }
                        return profiles;
                    }));
                }
                List<QueryProfile> profiles = new ArrayList<>();
                for (Future<List<QueryProfile>> f : done) {
                    try {
                        profiles.addAll(f.get(120, TimeUnit.SECONDS));
                    } catch (java.util.concurrent.TimeoutException e) {
                        throw new AssertionError("queries still running after 120 s: " + sw.arbiter() + "\n" + threadDump(), e);
                    }
                }
                assertEquals(CALLERS * QUERIES_PER_CALLER, profiles.size());
                profiles.forEach(p -> assertTrue(p.succeeded(), p.query()));
                long retried = events.stream().filter(e -> e instanceof QueryRetried).count();
                List<QueryProfile> all = List.copyOf(attempts);
                assertEquals(CALLERS * QUERIES_PER_CALLER + retried, all.size(), "one profile per attempt");
                assertEquals(retried, all.stream().filter(p -> !p.succeeded()).count(),
                        "each failed attempt was retried alone, once");
                checkPressureAccounting(all, List.copyOf(events));
                long reclaimed = 0;
                long forOthers = 0;
                long spills = 0;
                for (QueryProfile p : profiles) {
                    reclaimed += p.bytesReclaimed();
                    forOthers += p.pressure().bytesSpilledForOtherQueries();
                    spills += p.pressure().spillsForOtherQueries();
                }
                summary[0] = CALLERS * QUERIES_PER_CALLER + " of " + CALLERS * QUERIES_PER_CALLER + " queries passed, "
                        + retried + " retried alone; reclaimed " + (reclaimed >> 20) + " MiB, of which " + spills + " spills / " + (forOthers >> 20)
                        + " MiB by other queries' operators; " + sw.arbiter().waits() + " waits, " + sw.arbiter().waitsSatisfied()
                        + " satisfied";
            } finally {
                callers.shutdownNow();
                assertTrue(callers.awaitTermination(60, TimeUnit.SECONDS), "callers did not end");
            }
            assertEquals(0, sw.budget().reserved(), "every query gave its memory back");
            assertEquals(0, sw.pool().outstandingBuffers(), "no buffer of the block pool is still in use");
            try (var dirs = Files.list(sw.spills().root())) {
                assertEquals(0, dirs.filter(p -> p.getFileName().toString().startsWith("spillway-")).count(),
                        "no query spill directory left");
            }
        });
        return summary[0];
    }

    /**
     * What the queries' operators spilled for other queries is exactly what the queries got from
     * other queries' operators, and every such spill was reported once, by the query that spilled,
     * naming the query that asked.
     */
    private static void checkPressureAccounting(List<QueryProfile> profiles, List<SpillwayEvent> events) {
        long spilledForOthers = 0;
        long gotFromOthers = 0;
        long spillsForOthers = 0;
        for (QueryProfile p : profiles) {
            spilledForOthers += p.pressure().bytesSpilledForOtherQueries();
            gotFromOthers += p.pressure().bytesFromOtherQueries();
            spillsForOthers += p.pressure().spillsForOtherQueries();
            assertTrue(p.pressure().bytesFromOtherQueries() <= p.bytesReclaimed(), p.toTable());
        }
        assertEquals(spilledForOthers, gotFromOthers, "bytes spilled for other queries vs. received from them");
        long crossEvents = 0;
        long crossBytes = 0;
        for (SpillwayEvent e : events) {
            if (e instanceof MemoryReclaimed r && !r.askedBy().equals(r.query())) {
                assertTrue(r.askedBy().startsWith("query-"), r.line());
                crossEvents++;
                crossBytes += r.freed();
            }
        }
        assertEquals(spillsForOthers, crossEvents, "cross-query spills reported as events");
        assertEquals(spilledForOthers, crossBytes, "bytes of cross-query spill events");
    }

    private static String threadDump() {
        StringBuilder sb = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            sb.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement e : stack) {
                sb.append("    at ").append(e).append('\n');
            }
        });
        return sb.toString();
    }

    // ------------------------------------------------------------------ queries and oracles

    private static LazyFrame build(Spillway sw) {
        return sw.range("key", 0, BUILD_ROWS).withColumns(lit(PAYLOAD).alias("payload"));
    }

    private static LazyFrame probe(Spillway sw) {
        return sw.range("i", 0, PROBE_ROWS).withColumns(col("i").mod(lit(BUILD_ROWS)).alias("key"));
    }

    private static void run(Spillway sw, Kind kind, Path out) throws IOException {
        switch (kind) {
            case JOIN -> {
                probe(sw).join(build(sw), "key", JoinType.INNER)
                        .select(col("i"), col("key"), col("payload").charLength().cast(DataType.INT64).alias("len"))
                        .sinkCsv(out);
                long[][] rows = readCsv(out, 3);
                Arrays.sort(rows, (a, b) -> Long.compare(a[0], b[0]));
                assertEquals(PROBE_ROWS, rows.length, "join rows");
                for (int r = 0; r < rows.length; r++) {
                    assertArrayEquals(new long[] {r, r % BUILD_ROWS, PAYLOAD.length()}, rows[r], "join row " + r);
                }
                Files.delete(out);
            }
            case GROUP_BY -> {
                Map<Long, long[]> expected = new HashMap<>();
                for (long i = 0; i < GROUP_ROWS; i++) {
                    long[] acc = expected.computeIfAbsent(i % GROUPS, k -> new long[2]);
                    acc[0] += i;
                    acc[1]++;
                }
                try (DataFrame df = sw.range("i", 0, GROUP_ROWS).withColumns(col("i").mod(lit(GROUPS)).alias("g"))
                        .groupBy("g").agg(col("i").sum().alias("s"), col("i").count().alias("n")).collect()) {
                    assertGroups(expected, df, "g", "group-by");
                }
            }
            case SORT -> {
                // x = i * step mod rows is a permutation of [0, rows): sorted by x descending.
                sw.range("i", 0, SORT_ROWS).withColumns(col("i").times(lit(SORT_STEP)).mod(lit(SORT_ROWS)).alias("x"),
                                lit(PAYLOAD).alias("payload"))
                        .sort(SortKey.desc("x"))
                        .select(col("x"), col("i"), col("payload").charLength().cast(DataType.INT64).alias("len"))
                        .sinkCsv(out);
                long[][] expected = new long[(int) SORT_ROWS][];
                for (long i = 0; i < SORT_ROWS; i++) {
                    expected[(int) i] = new long[] {i * SORT_STEP % SORT_ROWS, i, PAYLOAD.length()};
                }
                Arrays.sort(expected, (a, b) -> Long.compare(b[0], a[0]));
                long[][] rows = readCsv(out, 3);
                assertEquals(expected.length, rows.length, "sort rows");
                for (int r = 0; r < rows.length; r++) {
                    assertArrayEquals(expected[r], rows[r], "sorted row " + r);
                }
                Files.delete(out);
            }
            case JOIN_GROUP_BY -> {
                Map<Long, long[]> expected = new HashMap<>();
                for (long i = 0; i < PROBE_ROWS; i++) {
                    long[] acc = expected.computeIfAbsent((i % BUILD_ROWS) % BUCKETS, k -> new long[2]);
                    acc[0] += i;
                    acc[1]++;
                }
                try (DataFrame df = probe(sw).join(build(sw), "key", JoinType.INNER)
                        .withColumns(col("key").mod(lit(BUCKETS)).alias("b"))
                        .groupBy("b").agg(col("i").sum().alias("s"), col("payload").count().alias("n")).collect()) {
                    assertGroups(expected, df, "b", "join + group-by");
                }
            }
            default -> throw new AssertionError(kind);
        }
    }

    private static void assertGroups(Map<Long, long[]> expected, DataFrame df, String key, String what) {
        assertEquals(expected.size(), df.rowCount(), what + " groups");
        for (long r = 0; r < df.rowCount(); r++) {
            long[] acc = expected.get(df.getLong(r, key));
            assertTrue(acc != null, what + ": unexpected group " + df.getLong(r, key));
            assertArrayEquals(acc, new long[] {df.getLong(r, "s"), df.getLong(r, "n")}, what + " group " + df.getLong(r, key));
        }
    }

    /** The rows of a CSV file of int64 columns written by the engine (header skipped). */
    private static long[][] readCsv(Path file, int columns) throws IOException {
        List<String> lines = Files.readAllLines(file);
        long[][] rows = new long[lines.size() - 1][];
        for (int i = 1; i < lines.size(); i++) {
            String[] parts = lines.get(i).split(",", -1);
            assertEquals(columns, parts.length, file + " line " + (i + 1) + ": " + lines.get(i));
            long[] row = new long[columns];
            for (int c = 0; c < columns; c++) {
                row[c] = Long.parseLong(parts[c]);
            }
            rows[i - 1] = row;
        }
        return rows;
    }
}
