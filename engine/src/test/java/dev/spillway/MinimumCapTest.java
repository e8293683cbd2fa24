package dev.spillway;

import dev.spillway.options.JoinType;
import org.junit.jupiter.api.Test;

import dev.spillway.event.SortRunSpilled;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * At the documented minimum memory limit (4 MiB) and with the default morsel size — derived from
 * the limit and the worker count — a group-by, a join, a join into a group-by and a distinct of
 * 300,000 rows (several times the limit) finish on 2 and 4 workers (one worker holds less in flight), written to CSV and equal
 * to {@code java.util} oracles. (With 131,072-row morsels each of them failed at 4 MiB.) So does
 * a sort, plain and stable, on 1, 2 and 4 workers (on 2 and 4 it failed while each worker sorted
 * a whole morsel and held its sorted copy beside it).
 */
class MinimumCapTest {
    private static final long CAP = 4L << 20;
    private static final long ROWS = 300_000;
    private static final long KEYS = 200_000;
    private static final long STEP = 7_919;

    @Test
    void theDefaultMorselSizeFollowsTheLimitPerWorker() {
        assertEquals(131_072, SpillwayConfig.defaultMorselRows(1L << 30, 2));
        assertEquals(131_072, SpillwayConfig.defaultMorselRows(128L << 20, 2));
        assertEquals(32_768, SpillwayConfig.defaultMorselRows(32L << 20, 2));
        assertEquals(16_384, SpillwayConfig.defaultMorselRows(32L << 20, 4));
        assertEquals(8_192, SpillwayConfig.defaultMorselRows(CAP, 1));
        assertEquals(4_096, SpillwayConfig.defaultMorselRows(CAP, 2));
        assertEquals(4_096, SpillwayConfig.defaultMorselRows(CAP, 4));
        assertEquals(4_096, SpillwayConfig.defaultMorselRows(CAP, 64));
        assertEquals(1_000, Spillway.builder().memoryLimit(CAP).threads(2).morselRows(1_000)
                        .resolve(new Settings(Map.of(), Map.of())).morselRows(),
                "an explicit morsel size wins");
    }

    @Test
    void operatorsFinishAtTheMinimumLimitOnTwoAndFourWorkers() {
        for (int threads : new int[] {2, 4}) {
            EngineTestSupport.withEngine(CAP, b -> b.threads(threads), (sw, dir) -> {
                assertEquals(SpillwayConfig.defaultMorselRows(CAP, threads), sw.config().morselRows());
                LazyFrame in = sw.range("i", 0, ROWS).withColumns(col("i").times(lit(STEP)).mod(lit(KEYS)).alias("k"));
                LazyFrame dim = sw.range("k", 0, KEYS).withColumns(col("k").times(lit(3L)).alias("w"));

                Map<Long, Long> sums = sums(read(sink(in.groupBy("k").agg(col("i").sum().alias("s")), dir, "g", threads)));
                assertEquals(oracleSums(), sums, "group-by on " + threads + " worker(s)");

                List<long[]> joined = read(sink(in.join(dim, "k", JoinType.INNER).select(col("i"), col("k"), col("w")), dir, "j", threads));
                assertEquals(ROWS, joined.size(), "join rows on " + threads + " worker(s)");
                for (long[] r : joined) {
                    assertEquals(r[0] * STEP % KEYS, r[1]);
                    assertEquals(3 * r[1], r[2]);
                }

                Map<Long, Long> joinSums = sums(read(sink(in.join(dim, "k", JoinType.INNER).groupBy("k")
                        .agg(col("w").sum().alias("s")), dir, "jg", threads)));
                Map<Long, Long> expected = new TreeMap<>();
                oracleSums().keySet().forEach(k -> expected.put(k, 0L));
                for (long i = 0; i < ROWS; i++) {
                    long k = i * STEP % KEYS;
                    expected.merge(k, 3 * k, Long::sum);
                }
                assertEquals(expected, joinSums, "join into group-by on " + threads + " worker(s)");

                List<long[]> distinct = read(sink(in.select(col("k")).unique(), dir, "d", threads));
                assertEquals(oracleSums().size(), distinct.size(), "distinct keys on " + threads + " worker(s)");
            });
        }
    }

    @Test
    void aSortFinishesAtTheMinimumLimitOnOneTwoAndFourWorkers() {
        List<long[]> expected = oracleSorted();
        for (int threads : new int[] {1, 2, 4}) {
            List<SortRunSpilled> spilled = new CopyOnWriteArrayList<>();
            EngineTestSupport.withEngine(CAP, b -> b.threads(threads).eventListener(e -> {
                if (e instanceof SortRunSpilled r) {
                    spilled.add(r);
                }
            }), (sw, dir) -> {
                LazyFrame in = sw.range("i", 0, ROWS).withColumns(col("i").times(lit(STEP)).mod(lit(KEYS)).alias("k"));
                assertRows(expected, read(sink(in.sort("k", "i"), dir, "s", threads)), "sort on " + threads + " worker(s)");
                // Stable on k alone: ties keep the input order, which is i ascending.
                assertRows(expected, read(sink(in.sortStable("k"), dir, "ss", threads)),
                        "stable sort on " + threads + " worker(s)");
            });
            assertTrue(!spilled.isEmpty(), "runs of " + ROWS + " rows spilled at " + CAP + " bytes on " + threads + " worker(s)");
        }
    }

    /** Rows (i, k) of the input ordered by k, then i. */
    private static List<long[]> oracleSorted() {
        List<long[]> rows = new ArrayList<>();
        for (long i = 0; i < ROWS; i++) {
            rows.add(new long[] {i, i * STEP % KEYS});
        }
        rows.sort(Comparator.<long[]>comparingLong(r -> r[1]).thenComparingLong(r -> r[0]));
        return rows;
    }

    private static void assertRows(List<long[]> expected, List<long[]> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": rows");
        for (int r = 0; r < expected.size(); r++) {
            if (!Arrays.equals(expected.get(r), actual.get(r))) {
                fail(what + ": row " + r + " is " + Arrays.toString(actual.get(r)) + ", expected "
                        + Arrays.toString(expected.get(r)));
            }
        }
    }

    private static Path sink(LazyFrame q, Path dir, String name, int threads) {
        Path out = dir.resolve(name + "-" + threads + ".csv");
        q.sinkCsv(out);
        return out;
    }

    /** The CSV's rows as longs (header skipped). */
    private static List<long[]> read(Path csv) throws java.io.IOException {
        List<String> lines = Files.readAllLines(csv);
        List<long[]> rows = lines.subList(1, lines.size()).stream()
                .map(l -> java.util.Arrays.stream(l.split(",")).mapToLong(Long::parseLong).toArray()).toList();
        Files.delete(csv);
        return rows;
    }

    /** Column "k" (first) to column "s" (second) of a two-column result. */
    private static Map<Long, Long> sums(List<long[]> rows) {
        Map<Long, Long> m = new TreeMap<>();
        for (long[] r : rows) {
            assertEquals(null, m.put(r[0], r[1]), "key " + r[0] + " twice");
        }
        return m;
    }

    private static Map<Long, Long> oracleSums() {
        Map<Long, Long> m = new HashMap<>();
        for (long i = 0; i < ROWS; i++) {
            m.merge(i * STEP % KEYS, i, Long::sum);
        }
        return new TreeMap<>(m);
    }
}
