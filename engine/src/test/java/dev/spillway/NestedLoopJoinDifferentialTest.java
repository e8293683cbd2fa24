package dev.spillway;

import dev.spillway.event.BlocksEvicted;
import dev.spillway.event.MemoryReclaimed;
import dev.spillway.event.NestedLoopFinished;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.memory.Morsel;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.JoinType;
import dev.spillway.errors.PlanException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross joins and {@code joinWhere} against a nested-loops-over-lists oracle, at three memory
 * settings (no cap; a moderate cap with half the blocks spilled; a tiny cap with every block
 * spilled and small morsels), with nulls, range predicates, an equality that becomes a hash join,
 * and OR / single-side conjuncts; plus a materialized side several times the cap, early stopping
 * under {@code head}, explain labels, pushdown and errors.
 */
class NestedLoopJoinDifferentialTest {
    /** Memory settings, as in {@link JoinDifferentialTest} but with small morsels. */
    private static final List<MemorySetting> SETTINGS = MemorySetting.three(64L << 20, 128, 8L << 20, 64);

    /** A predicate both as an expression over the pair columns and as the oracle's three-valued function. */
    private record Predicate(String name, Expr expr, BiFunction<List<Object>, List<Object>, Boolean> eval) {
    }

    // Left rows: k, x, s; right rows: k (k_right in a pair), y, d.
    private static final List<Predicate> PREDICATES = List.of(
            new Predicate("range", col("x").lt(col("y")).and(col("y").lt(col("x").plus(lit(10L)))),
                    (l, r) -> and(lt(l.get(1), r.get(1)), lt(r.get(1), plus10(l.get(1))))),
            new Predicate("equality and range", col("k").eq(col("k_right")).and(col("x").le(col("y"))),
                    (l, r) -> and(eq(l.get(0), r.get(0)), le(l.get(1), r.get(1)))),
            new Predicate("or with a right-only conjunct", col("x").gt(col("y")).or(col("k").eq(col("k_right")))
                    .and(col("d").lt(lit(50.0))), (l, r) -> and(or(lt(r.get(1), l.get(1)), eq(l.get(0), r.get(0))),
                            r.get(2) == null ? null : (Double) r.get(2) < 50.0)));

    private static Boolean lt(Object a, Object b) {
        return a == null || b == null ? null : (Long) a < (Long) b;
    }

    private static Boolean le(Object a, Object b) {
        return a == null || b == null ? null : (Long) a <= (Long) b;
    }

    private static Boolean eq(Object a, Object b) {
        return a == null || b == null ? null : a.equals(b);
    }

    private static Object plus10(Object a) {
        return a == null ? null : (Long) a + 10;
    }

    private static Boolean and(Boolean a, Boolean b) {
        if (Boolean.FALSE.equals(a) || Boolean.FALSE.equals(b)) {
            return false;
        }
        return a == null || b == null ? null : true;
    }

    private static Boolean or(Boolean a, Boolean b) {
        if (Boolean.TRUE.equals(a) || Boolean.TRUE.equals(b)) {
            return true;
        }
        return a == null || b == null ? null : false;
    }

    private static List<List<Object>> oracle(List<List<Object>> left, List<List<Object>> right, JoinType how, Predicate p) {
        List<List<Object>> out = new ArrayList<>();
        boolean[] rightMatched = new boolean[right.size()];
        for (List<Object> l : left) {
            boolean any = false;
            for (int ri = 0; ri < right.size(); ri++) {
                List<Object> r = right.get(ri);
                if (p == null || Boolean.TRUE.equals(p.eval().apply(l, r))) {
                    any = true;
                    rightMatched[ri] = true;
                    if (how.emitsPairs()) {
                        List<Object> row = new ArrayList<>(l);
                        row.addAll(r);
                        out.add(row);
                    }
                }
            }
            if ((how == JoinType.SEMI && any) || (how == JoinType.ANTI && !any)) {
                out.add(l);
            } else if (how.keepsUnmatchedLeft() && !any) {
                List<Object> row = new ArrayList<>(l);
                row.addAll(Arrays.asList(null, null, null));
                out.add(row);
            }
        }
        if (how.keepsUnmatchedRight()) {
            for (int ri = 0; ri < right.size(); ri++) {
                if (!rightMatched[ri]) {
                    List<Object> row = new ArrayList<>(Arrays.asList(null, null, null));
                    row.addAll(right.get(ri));
                    out.add(row);
                }
            }
        }
        return out;
    }

    private static Long maybeNull(Random rnd, long v) {
        return rnd.nextInt(12) == 0 ? null : v;
    }

    private static List<List<Object>> leftRows(Random rnd, int n) {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(Arrays.asList(maybeNull(rnd, rnd.nextInt(40)), maybeNull(rnd, rnd.nextInt(200)), "s" + i));
        }
        return rows;
    }

    private static List<List<Object>> rightRows(Random rnd, int n) {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(Arrays.asList(maybeNull(rnd, rnd.nextInt(40)), maybeNull(rnd, rnd.nextInt(200)),
                    rnd.nextInt(12) == 0 ? null : rnd.nextInt(100) + 0.5));
        }
        return rows;
    }

    @Test
    void everyTypeAndPredicateMatchesTheOracleAtThreeMemorySettings() {
        for (long seed : new long[] {1, 2026, System.nanoTime()}) {
            try {
                runSeed(seed);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("failed with seed " + seed, e);
            }
        }
    }

    private static void runSeed(long seed) {
        Random rnd = new Random(seed);
        List<List<Object>> left = leftRows(rnd, 150 + rnd.nextInt(100));
        List<List<Object>> right = rightRows(rnd, 200 + rnd.nextInt(100));
        for (MemorySetting s : SETTINGS) {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            EngineTestSupport.withEngine(s.cap(), b -> s.applyTo(b).eventListener(events::add),
                    (sw, dir) -> {
                        // Capped runs write their result to a file read back by an uncapped engine: the
                        // result itself need not fit the tiny cap.
                        Spillway reader = Spillway.builder().memoryLimit(1L << 30).threads(1)
                                .tempDir(dir.resolve("reader-spill")).build();
                        try {
                            LazyFrame l = sw.fromColumns(DifferentialSupport.columns(List.of("k", "x", "s"), left));
                            LazyFrame r = sw.fromColumns(DifferentialSupport.columns(List.of("k", "y", "d"), right));
                            int round = 0;
                            for (Predicate p : PREDICATES) {
                                for (JoinType how : new JoinType[] {JoinType.INNER, JoinType.LEFT, JoinType.SEMI, JoinType.ANTI}) {
                                    // Inner joins also as a filter over a cross join, which must fold into the same join.
                                    LazyFrame q = how == JoinType.INNER && round++ % 2 == 1 ? l.crossJoin(r).filter(p.expr())
                                            : l.joinWhere(r, how, p.expr());
                                    String explain = q.explain();
                                    boolean hashed = how == JoinType.INNER && p.name().startsWith("equality");
                                    assertEquals(hashed, explain.contains("STREAMING_EQUI_JOIN"), explain);
                                    assertEquals(!hashed, explain.contains("STREAMING_NESTED_LOOP_JOIN " + how), explain);
                                    DifferentialSupport.assertSameRows(oracle(left, right, how, p), run(q, reader, dir),
                                            how + " " + p.name() + " " + s);
                                    if (!s.isNoCap()) {
                                        assertTrue(sw.lastProfile().peakBytes() <= s.cap(), "peak within the cap");
                                    }
                                }
                            }
                            DifferentialSupport.assertSameRows(oracle(left, right, JoinType.INNER, null),
                                    run(l.crossJoin(r), reader, dir), "cross " + s);
                        } finally {
                            reader.close();
                            java.nio.file.Files.deleteIfExists(dir.resolve("reader-spill"));
                        }
                    });
            String log = events.toString();
            if (s.isNoCap()) {
                assertFalse(events.stream().anyMatch(e -> e instanceof BlocksEvicted), log);
            } else {
                assertTrue(events.stream().anyMatch(e -> e instanceof BlocksEvicted), "the " + s + " setting spilled blocks");
                assertTrue(events.stream().anyMatch(e -> e instanceof NestedLoopFinished f && f.readBackBlocks() > 0),
                        "and read them back");
            }
        }
    }

    @Test
    void rightAndFullJoinsMatchTheOracleAtThreeMemorySettingsWithOneAndThreeWorkers() {
        for (long seed : new long[] {7, 2027, System.nanoTime()}) {
            for (int threads : new int[] {1, 3}) {
                try {
                    runRightAndFull(seed, threads);
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("failed with seed " + seed + ", " + threads + " workers", e);
                }
            }
        }
    }

    private static void runRightAndFull(long seed, int threads) {
        Random rnd = new Random(seed);
        // More right rows than one tiny-setting block holds, so that the matched bits span many blocks.
        List<List<Object>> left = leftRows(rnd, 120 + rnd.nextInt(80));
        List<List<Object>> right = rightRows(rnd, 400 + rnd.nextInt(200));
        for (MemorySetting s : SETTINGS) {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            EngineTestSupport.withEngine(s.cap(), b -> s.applyTo(b).threads(threads).eventListener(events::add),
                    (sw, dir) -> {
                        Spillway reader = Spillway.builder().memoryLimit(1L << 30).threads(1)
                                .tempDir(dir.resolve("reader-spill")).build();
                        try {
                            LazyFrame l = sw.fromColumns(DifferentialSupport.columns(List.of("k", "x", "s"), left));
                            LazyFrame r = sw.fromColumns(DifferentialSupport.columns(List.of("k", "y", "d"), right));
                            for (Predicate p : PREDICATES) {
                                for (JoinType how : new JoinType[] {JoinType.RIGHT, JoinType.FULL}) {
                                    LazyFrame q = l.joinWhere(r, how, p.expr());
                                    String explain = q.explain();
                                    // An equality among the predicates keeps the nested-loop join for outer types.
                                    assertTrue(explain.contains("STREAMING_NESTED_LOOP_JOIN " + how + " on=")
                                            && explain.contains("build=right") && !explain.contains("STREAMING_EQUI_JOIN"), explain);
                                    String what = how + " " + p.name() + " " + s + " threads=" + threads;
                                    DifferentialSupport.assertSameRows(oracle(left, right, how, p), run(q, reader, dir), what);
                                    if (!s.isNoCap()) {
                                        assertTrue(sw.lastProfile().peakBytes() <= s.cap(), what + ": peak within the cap");
                                    }
                                }
                            }
                        } finally {
                            reader.close();
                            java.nio.file.Files.deleteIfExists(dir.resolve("reader-spill"));
                        }
                    });
            String log = events.toString();
            if (!s.isNoCap()) {
                assertTrue(events.stream().anyMatch(e -> e instanceof BlocksEvicted), "the " + s + " setting spilled blocks");
                assertTrue(events.stream().anyMatch(e -> e instanceof NestedLoopFinished f && f.readBackBlocks() > 0),
                        "and read them back: " + log);
            }
        }
    }

    @Test
    void aRightJoinWhoseRightSideIsSeveralTimesTheCapEmitsEveryUnmatchedRightRowOnce() {
        long cap = 8L << 20;
        long big = 3_000_000;
        List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
        EngineTestSupport.withEngine(cap, b -> b.eventListener(events::add), (sw, dir) -> {
            // 24 MB of right rows under an 8 MiB cap; the filter above keeps the matched pairs and the
            // unmatched right rows below 100 (it reads a left column, so it stays above the join).
            LazyFrame q = sw.range("x", 0, 12).joinWhere(sw.range("y", 0, big), JoinType.RIGHT,
                    col("x").lt(col("y")), col("y").lt(col("x").plus(lit(10L))))
                    .filter(col("x").isNotNull().or(col("y").lt(lit(100L))));
            List<List<Object>> expected = new ArrayList<>();
            for (long y = 0; y < big; y++) {
                boolean any = false;
                for (long x = 0; x < 12; x++) {
                    if (x < y && y < x + 10) {
                        expected.add(Arrays.asList(x, y));
                        any = true;
                    }
                }
                if (!any && y < 100) {
                    expected.add(Arrays.asList(null, y));
                }
            }
            String explain = q.explain();
            assertTrue(explain.indexOf("STREAMING_FILTER") < explain.indexOf("STREAMING_NESTED_LOOP_JOIN RIGHT"), explain);
            try (DataFrame df = q.collect()) {
                DifferentialSupport.assertSameRows(expected, df.rows(), "right join of 12 x 3,000,000 rows");
            }
            QueryProfile p = sw.lastProfile();
            assertTrue(p.peakBytes() <= cap, "peak " + p.peakBytes() + " within the cap " + cap);
        });
        String log = events.toString();
        NestedLoopFinished f = events.stream().filter(e -> e instanceof NestedLoopFinished).map(NestedLoopFinished.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError(log));
        assertEquals(big, f.buildRows());
        assertTrue(f.spilledBlocks() > 0 && f.readBackBlocks() > 0, log);
        // Every right row comes out of the join: in a pair or once unmatched (the filter drops most above it).
        assertTrue(f.rowsOut() >= big, "rows out " + f.rowsOut());
    }

    private static List<List<Object>> run(LazyFrame q, Spillway reader, Path dir) {
        Path out = dir.resolve("result.csv");
        q.sinkCsv(out);
        try (DataFrame df = reader.scanCsv(out, CsvOptions.defaults().withSchema(q.schema())).collect()) {
            return df.rows();
        }
    }

    @Test
    void crossJoinOfSmallFramesHasEveryPairUnderSuffixedNames() {
        EngineTestSupport.withEngine((sw, dir) -> {
            List<List<Object>> left = List.of(Arrays.asList(1L, "a"), Arrays.asList(2L, null), Arrays.asList(3L, "c"));
            List<List<Object>> right = List.of(Arrays.asList(10L, 0.5), Arrays.asList(null, 1.5));
            LazyFrame q = sw.fromColumns(DifferentialSupport.columns(List.of("id", "name"), left))
                    .crossJoin(sw.fromColumns(DifferentialSupport.columns(List.of("id", "w"), right)));
            assertEquals(List.of("id", "name", "id_right", "w"), q.schema().names());
            try (DataFrame df = q.collect()) {
                DifferentialSupport.assertSameRows(oracle(left, right, JoinType.INNER, null), df.rows(), "3 x 2");
                assertEquals(6, df.rowCount());
            }
            String explain = q.explain();
            assertTrue(explain.contains("STREAMING_NESTED_LOOP_JOIN INNER cross build=") && explain.contains("[spillable]"),
                    explain);
        });
    }

    @Test
    void aMaterializedSideSeveralTimesTheCapSpillsAndFinishes() {
        long cap = 8L << 20;
        List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
        EngineTestSupport.withEngine(cap, b -> b.eventListener(events::add), (sw, dir) -> {
            {
                long big = 3_000_000;
                // LEFT joins materialize the right input: 24 MB of int64 under an 8 MiB cap.
                LazyFrame q = sw.range("x", 0, 12).joinWhere(sw.range("y", 0, big), JoinType.LEFT,
                        col("x").lt(col("y")), col("y").lt(col("x").plus(lit(10L))));
                long expected = 0;
                for (long x = 0; x < 12; x++) {
                    expected += Math.max(1, Math.min(big, x + 10) - (x + 1));
                }
                try (DataFrame df = q.collect()) {
                    assertEquals(expected, df.rowCount());
                    for (List<Object> row : df.rows()) {
                        long x = (Long) row.get(0);
                        long y = (Long) row.get(1);
                        assertTrue(x < y && y < x + 10, "row " + row);
                    }
                }
                QueryProfile p = sw.lastProfile();
                assertTrue(p.peakBytes() <= cap, "peak " + p.peakBytes() + " within the cap " + cap);
                assertTrue(8 * big > 2 * cap, "the materialized side is several times the cap");
            }
        });
        String log = events.toString();
        assertTrue(events.stream().anyMatch(e -> e instanceof MemoryReclaimed r && r.party().equals("nested-loop-build")), log);
        NestedLoopFinished f = events.stream().filter(e -> e instanceof NestedLoopFinished).map(NestedLoopFinished.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError(log));
        assertEquals(3_000_000L, f.buildRows());
        assertTrue(f.spilledBlocks() > 0 && f.readBackBlocks() > 0, log);
    }

    @Test
    void headStopsACrossJoinOfTenBillionPairsEarly() {
        List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
        EngineTestSupport.withEngine(64L << 20, b -> b.eventListener(events::add), (sw, dir) -> {
            {
                LazyFrame q = sw.range("a", 0, 100_000).crossJoin(sw.range("b", 0, 100_000)).head(1000);
                try (DataFrame df = q.collect()) {
                    assertEquals(1000, df.rowCount());
                    long distinct = df.rows().stream().distinct().count();
                    assertEquals(1000, distinct, "distinct pairs");
                }
            }
        });
        NestedLoopFinished f = events.stream().filter(e -> e instanceof NestedLoopFinished).map(NestedLoopFinished.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError(events.toString()));
        long pairs = f.pairs();
        // Each pull yields at most one morsel; only the pulls in flight when the slice filled can add more.
        assertTrue(pairs <= 16L * Morsel.DEFAULT_ROWS, "examined " + pairs + " of 10^10 pairs");
        assertTrue(f.rowsOut() >= 1000 && f.rowsOut() <= pairs, "rows out of a cross join");
    }

    @Test
    void explainShowsTheChosenJoinAndPushdown() {
        EngineTestSupport.withEngine((sw, dir) -> {
            Path a = dir.resolve("a.csv");
            Path b = dir.resolve("b.csv");
            sw.fromColumns(DifferentialSupport.columns(List.of("x", "s", "unused"), List.of(Arrays.asList(1L, "p", 0L), Arrays.asList(7L, "q", 0L))))
                    .sinkCsv(a);
            sw.fromColumns(DifferentialSupport.columns(List.of("y", "d", "other"), List.of(Arrays.asList(9L, 1.0, 0L), Arrays.asList(3L, 5.0, 0L))))
                    .sinkCsv(b);
            LazyFrame left = sw.scanCsv(a);
            LazyFrame right = sw.scanCsv(b);
            LazyFrame q = left.crossJoin(right).filter(col("x").lt(col("y")).and(col("x").gt(lit(5L))))
                    .filter(col("d").lt(lit(3.0))).select("s", "d");
            String explain = q.explain();
            assertTrue(explain.contains("STREAMING_NESTED_LOOP_JOIN INNER on=(col(\"x\") < col(\"y\"))"), explain);
            assertTrue(explain.contains("STREAMING_FILTER (col(\"x\") > 5)"), explain);
            assertTrue(explain.contains("STREAMING_FILTER (col(\"d\") < 3.0)"), explain);
            assertTrue(explain.contains("columns=[x, s]") && explain.contains("columns=[y, d]"), explain);
            try (DataFrame df = q.collect()) {
                assertEquals(List.of(List.of("q", 1.0)), df.rows());
            }
            String hashed = left.joinWhere(right, col("x").eq(col("y")), col("d").gt(col("x"))).explain();
            assertTrue(hashed.contains("STREAMING_EQUI_JOIN INNER left_on=[x]") && hashed.contains("STREAMING_FILTER (col(\"d\") >"),
                    hashed);
            assertFalse(hashed.contains("NESTED_LOOP"), hashed);
            String floatEq = left.joinWhere(right, col("x").cast(dev.spillway.types.DataType.FLOAT64).eq(col("d"))).explain();
            assertTrue(floatEq.contains("STREAMING_NESTED_LOOP_JOIN INNER on="), floatEq);
            String leftJoin = left.joinWhere(right, JoinType.LEFT, col("x").eq(col("y"))).explain();
            assertTrue(leftJoin.contains("STREAMING_NESTED_LOOP_JOIN LEFT on=") && leftJoin.contains("build=right (preserved left)"),
                    leftJoin);
        });
    }

    @Test
    void outerJoinsPushOnlyWhatKeepsTheirPreservedRows() {
        EngineTestSupport.withEngine((sw, dir) -> {
            LazyFrame l = sw.fromColumns(DifferentialSupport.columns(List.of("x"), List.of(List.of(1L), List.of(7L))));
            LazyFrame r = sw.fromColumns(DifferentialSupport.columns(List.of("y", "d"), List.of(Arrays.asList(9L, 1.0), Arrays.asList(3L, 5.0))));
            // A left-only ON conjunct of a LEFT join must stay in the join: it decides matches, not which left rows exist.
            LazyFrame leftOnly = l.joinWhere(r, JoinType.LEFT, col("x").gt(lit(5L)), col("x").lt(col("y")));
            String explain = leftOnly.explain();
            assertTrue(explain.contains("on=((col(\"x\") > 5) & (col(\"x\") < col(\"y\")))"), explain);
            assertFalse(explain.contains("STREAMING_FILTER"), explain);
            try (DataFrame df = leftOnly.collect()) {
                DifferentialSupport.assertSameRows(List.of(Arrays.asList(1L, null, null), Arrays.asList(7L, 9L, 1.0)), df.rows(),
                        "left join keeps x=1 unmatched");
            }
            // A right-only ON conjunct filters the right input first.
            String rightOnly = l.joinWhere(r, JoinType.ANTI, col("d").lt(lit(3.0)), col("x").lt(col("y"))).explain();
            assertTrue(rightOnly.contains("STREAMING_FILTER (col(\"d\") < 3.0)")
                    && rightOnly.contains("STREAMING_NESTED_LOOP_JOIN ANTI on=(col(\"x\") < col(\"y\"))"), rightOnly);
            // Every conjunct right-only: the right input is filtered and any remaining right row matches.
            try (DataFrame semi = l.joinWhere(r, JoinType.SEMI, col("d").lt(lit(3.0))).collect();
                 DataFrame anti = l.joinWhere(r, JoinType.ANTI, col("d").lt(lit(0.0))).collect()) {
                DifferentialSupport.assertSameRows(List.of(List.of(1L), List.of(7L)), semi.rows(), "semi on a right-only predicate");
                DifferentialSupport.assertSameRows(List.of(List.of(1L), List.of(7L)), anti.rows(), "anti, nothing on the right");
            }
            // A filter above a LEFT join that reads right columns stays above it.
            String above = l.joinWhere(r, JoinType.LEFT, col("x").lt(col("y"))).filter(col("d").lt(lit(3.0))).explain();
            assertTrue(above.indexOf("STREAMING_FILTER") < above.indexOf("STREAMING_NESTED_LOOP_JOIN"), above);
            // RIGHT mirrors LEFT: a left-only ON conjunct filters the left input, a right-only one stays in the join.
            LazyFrame right = l.joinWhere(r, JoinType.RIGHT, col("x").gt(lit(5L)), col("d").gt(lit(2.0)), col("x").lt(col("y")));
            String rightExplain = right.explain();
            assertTrue(rightExplain.contains("STREAMING_FILTER (col(\"x\") > 5)")
                    && rightExplain.contains("STREAMING_NESTED_LOOP_JOIN RIGHT on=((col(\"d\") > 2.0) & (col(\"x\") < col(\"y\")))")
                    && rightExplain.contains("build=right (preserved right, matched flags)"), rightExplain);
            try (DataFrame df = right.collect()) {
                assertEquals(List.of("x", "y", "d"), df.schema().names());
                DifferentialSupport.assertSameRows(List.of(Arrays.asList(null, 9L, 1.0), Arrays.asList(null, 3L, 5.0)), df.rows(),
                        "right join: (9, 1.0) fails d > 2, and no x above 5 is below 3");
            }
            // FULL moves nothing: each ON conjunct decides matches, each filter above sees null-padded rows.
            LazyFrame full = l.joinWhere(r, JoinType.FULL, col("x").gt(lit(5L)), col("d").lt(lit(3.0)), col("x").lt(col("y")));
            String fullExplain = full.explain();
            assertFalse(fullExplain.contains("STREAMING_FILTER"), fullExplain);
            try (DataFrame df = full.collect()) {
                DifferentialSupport.assertSameRows(List.of(Arrays.asList(1L, null, null), Arrays.asList(7L, 9L, 1.0),
                        Arrays.asList(null, 3L, 5.0)), df.rows(), "full join");
            }
            String fullAbove = l.joinWhere(r, JoinType.FULL, col("x").lt(col("y"))).filter(col("x").gt(lit(5L))).explain();
            assertTrue(fullAbove.indexOf("STREAMING_FILTER") < fullAbove.indexOf("STREAMING_NESTED_LOOP_JOIN FULL"), fullAbove);
        });
    }

    @Test
    void badInputGetsSpecificErrors() {
        EngineTestSupport.withEngine((sw, dir) -> {
            LazyFrame l = sw.range("x", 0, 10);
            LazyFrame r = sw.range("y", 0, 10);
            PlanException e = assertThrows(PlanException.class, () -> l.joinWhere(r));
            assertTrue(e.getMessage().contains("crossJoin"), e.getMessage());
            e = assertThrows(PlanException.class, () -> l.joinWhere(r, col("x").plus(col("y"))));
            assertTrue(e.getMessage().contains("not boolean"), e.getMessage());
            e = assertThrows(PlanException.class, () -> l.joinWhere(r, (JoinType) null, col("x").lt(col("y"))));
            assertTrue(e.getMessage().contains("INNER, LEFT, RIGHT, FULL, SEMI or ANTI"), e.getMessage());
            RuntimeException unknown = assertThrows(RuntimeException.class, () -> l.joinWhere(r, col("z").lt(col("y"))));
            assertTrue(unknown.getMessage().contains("z") && unknown.getMessage().contains("x, y"), unknown.getMessage());
        });
    }
}
