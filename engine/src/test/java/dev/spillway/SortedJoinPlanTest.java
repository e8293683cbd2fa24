package dev.spillway;

import dev.spillway.options.JoinOptions;
import dev.spillway.options.JoinStrategy;

import dev.spillway.options.JoinType;
import dev.spillway.options.AsofStrategy;
import dev.spillway.errors.UnsortedInputException;
import dev.spillway.errors.PlanException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How merge and AsOf joins are planned and guarded: which joins merge, explain labels, chained
 * merge joins, sortedness through projections, predicate and projection pushdown around the new
 * nodes, and the errors for unsorted inputs — at plan time when the order is unknown, at run time
 * when a {@code setSorted} declaration is false.
 */
class SortedJoinPlanTest {
    private static Map<String, Object> frame(String key, List<?> keys, String payload, List<?> values) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, keys);
        m.put(payload, values);
        return m;
    }

    private static UnsortedInputException unsorted(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UnsortedInputException u) {
                return u;
            }
        }
        throw new AssertionError("no UnsortedInputException in the chain", t);
    }

    @Test
    void aFalseSetSortedDeclarationFailsTheMergeNamingColumnRowAndValues() {
        EngineTestSupport.withEngine((sw, dir) -> {
            // Morsels of 4 rows: the violation (9 then 4) straddles a morsel boundary (rows 3 and 4).
            try (Spillway small = Spillway.builder().memoryLimit(64L << 20).threads(2).morselRows(4)
                    .tempDir(dir.resolve("s")).build()) {
                LazyFrame left = small.fromColumns(frame("k", List.of(1L, 2L, 3L, 9L, 4L, 5L), "a",
                        List.of("a", "b", "c", "d", "e", "f"))).setSorted("k");
                LazyFrame right = small.fromColumns(frame("k", List.of(1L, 4L, 9L), "b", List.of("x", "y", "z"))).setSorted("k");
                LazyFrame joined = left.join(right, "k", JoinType.INNER);
                assertTrue(joined.explain().contains("STREAMING_MERGE_JOIN INNER"), joined.explain());
                RuntimeException e = assertThrows(RuntimeException.class, joined::collect);
                UnsortedInputException u = unsorted(e);
                assertEquals(4, u.row(), u.getMessage());
                assertTrue(u.getMessage().contains("left input is not sorted by [k]") && u.getMessage().contains("row 4 has k=4 after k=9")
                        && u.getMessage().contains("declared with setSorted"), u.getMessage());

                // The AsOf join checks its right input the same way, inside one morsel this time.
                LazyFrame badRight = small.fromColumns(frame("k", List.of(1L, 3L, 2L), "b", List.of("x", "y", "z")))
                        .setSorted("k");
                RuntimeException e2 = assertThrows(RuntimeException.class,
                        () -> left.head(3).joinAsof(badRight, "k", AsofStrategy.BACKWARD).collect());
                UnsortedInputException u2 = unsorted(e2);
                assertTrue(u2.getMessage().startsWith("asof-join: the right input is not sorted by [k]")
                        && u2.getMessage().contains("row 2 has k=2 after k=3"), u2.getMessage());
            }
            java.nio.file.Files.deleteIfExists(dir.resolve("s"));
        });
    }

    @Test
    void forcedMergeOnAnInputOfUnknownOrderIsRejectedAtPlanTime() {
        EngineTestSupport.withEngine((sw, dir) -> {
            LazyFrame left = sw.fromColumns(frame("k", List.of(3L, 1L), "a", List.of("x", "y"))).sort("k");
            LazyFrame right = sw.fromColumns(frame("k", List.of(1L, 3L), "b", List.of("x", "y")));
            JoinOptions merge = JoinOptions.defaults().withStrategy(JoinStrategy.MERGE);
            PlanException e = assertThrows(PlanException.class,
                    () -> left.join(right, List.of("k"), List.of("k"), JoinType.INNER, merge));
            assertTrue(e.getMessage().contains("right input sorted ascending on [k]") && e.getMessage().contains("setSorted"),
                    e.getMessage());
            PlanException desc = assertThrows(PlanException.class, () -> left.join(right.sort(SortKey.desc("k")), List.of("k"),
                    List.of("k"), JoinType.INNER, merge));
            assertTrue(desc.getMessage().contains("known sorted by [k desc nulls first]"), desc.getMessage());
            assertThrows(PlanException.class, () -> left.joinAsof(right, "k", AsofStrategy.BACKWARD));
            // Unknown order without forcing: the hash join.
            assertTrue(left.join(right, "k", JoinType.INNER).explain().contains("STREAMING_EQUI_JOIN"));
            // An explicit hash strategy wins over known order.
            assertTrue(left.join(right.setSorted("k"), List.of("k"), List.of("k"), JoinType.INNER,
                    JoinOptions.defaults().withStrategy(JoinStrategy.HASH)).explain().contains("STREAMING_EQUI_JOIN"));
        });
    }

    /** Three tables sorted on k; random duplicate keys. */
    private static List<Map<String, Object>> tables(Random rnd, int rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String p : List.of("a", "b", "c")) {
            List<Long> k = new ArrayList<>();
            List<String> v = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                k.add((long) rnd.nextInt(rows / 3));
                v.add(p + i);
            }
            k.sort(null);
            out.add(frame("k", k, p, v));
        }
        return out;
    }

    @Test
    void aMergeJoinsOutputFeedsASecondMergeJoinAndMatchesTheHashJoins() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        EngineTestSupport.withEngine((sw, dir) -> {
            List<Map<String, Object>> t = tables(rnd, 3000);
            LazyFrame a = sw.fromColumns(t.get(0)).setSorted("k");
            LazyFrame b = sw.fromColumns(t.get(1)).sort("k");
            LazyFrame c = sw.fromColumns(t.get(2)).setSorted("k");
            LazyFrame merged = a.join(b, "k", JoinType.INNER).filter(col("a").ne(lit("a7"))).join(c, "k", JoinType.LEFT);
            String plan = merged.explain();
            assertEquals(2, plan.split("STREAMING_MERGE_JOIN", -1).length - 1, plan);
            assertTrue(plan.contains("STREAMING_MERGE_JOIN LEFT") && plan.contains("STREAMING_MERGE_JOIN INNER"), plan);
            JoinOptions hash = JoinOptions.defaults().withStrategy(JoinStrategy.HASH);
            LazyFrame hashed = a.join(b, List.of("k"), List.of("k"), JoinType.INNER, hash).filter(col("a").ne(lit("a7")))
                    .join(c, List.of("k"), List.of("k"), JoinType.LEFT, hash);
            assertTrue(!hashed.explain().contains("MERGE"), hashed.explain());
            try (DataFrame m = merged.collect(); DataFrame h = hashed.collect()) {
                List<List<Object>> rows = m.rows();
                assertTrue(rows.size() > 3000, "duplicate keys multiply: " + rows.size());
                DifferentialSupport.assertSameRows(h.rows(), rows, "chained merge joins vs hash joins, seed " + seed);
                MergeJoinDifferentialTest.assertSortedOn(rows, new int[] {0}, "chained merge join output, seed " + seed);
            }
        });
    }

    @Test
    void aSortedCacheFeedsBothSidesOfAMergeJoinInOrder() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        // A small cap with forced spilling: the multiplexer's backlogs and the merge join's runs spill.
        EngineTestSupport.withEngine(8L << 20, b -> b.morselRows(512).forceSpill(1.0), (sw, dir) -> {
            List<Map<String, Object>> t = tables(rnd, 3000);
            LazyFrame sorted = sw.fromColumns(t.get(0)).sort("k").cache();
            LazyFrame self = sorted.join(sorted.select(col("k"), col("a").alias("a2")), "k", JoinType.INNER);
            String plan = self.explain();
            assertTrue(plan.contains("STREAMING_MERGE_JOIN INNER") && plan.contains("STREAMING_MULTIPLEXER consumers=2"), plan);
            JoinOptions hash = JoinOptions.defaults().withStrategy(JoinStrategy.HASH);
            LazyFrame plain = sw.fromColumns(t.get(0));
            LazyFrame hashed = plain.join(plain.select(col("k"), col("a").alias("a2")), List.of("k"), List.of("k"),
                    JoinType.INNER, hash);
            try (DataFrame m = self.collect(); DataFrame h = hashed.collect()) {
                List<List<Object>> rows = m.rows();
                assertTrue(rows.size() > 3000, "duplicate keys multiply: " + rows.size());
                DifferentialSupport.assertSameRows(h.rows(), rows, "merge self-join through a cache, seed " + seed);
                MergeJoinDifferentialTest.assertSortedOn(rows, new int[] {0}, "merge self-join output, seed " + seed);
            }
        });
    }

    @Test
    void sortednessSurvivesRenamingProjectionsAndTwoColumnKeysReorderToTheSortOrder() {
        EngineTestSupport.withEngine((sw, dir) -> {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("x", Arrays.asList(1, 1, 2, 2));
            l.put("y", Arrays.asList("p", "q", "p", "q"));
            l.put("v", Arrays.asList(10L, 11L, 12L, 13L));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("x", Arrays.asList(1, 2, 2));
            r.put("y", Arrays.asList("q", "p", "q"));
            r.put("w", Arrays.asList(1.5, 2.5, 3.5));
            LazyFrame left = sw.fromColumns(l).sort("x", "y").select(col("x").alias("a"), col("y").alias("b"), col("v"));
            LazyFrame right = sw.fromColumns(r).setSorted("x", "y");
            // Keys given as (b, a): the planner merges on (a, b), the order of the sort.
            LazyFrame j = left.join(right, List.of("b", "a"), List.of("y", "x"), JoinType.LEFT);
            assertTrue(j.explain().contains("STREAMING_MERGE_JOIN LEFT left_on=[a, b] right_on=[x, y]"), j.explain());
            try (DataFrame df = j.collect()) {
                assertEquals(List.of(List.of(1, "p", 10L), Arrays.asList(1, "q", 11L, 1.5), Arrays.asList(2, "p", 12L, 2.5),
                        Arrays.asList(2, "q", 13L, 3.5)), df.rows().stream().map(row -> row.get(3) == null
                                ? row.subList(0, 3) : row).toList());
            }
            // A projection that drops the sort key loses the order: back to the hash join.
            LazyFrame noKey = sw.fromColumns(l).sort("x").select(col("v"), col("y"));
            assertTrue(noKey.join(right, List.of("y"), List.of("y"), JoinType.INNER).explain().contains("STREAMING_EQUI_JOIN"));
        });
    }

    @Test
    void asofFiltersOnRightColumnsStayAboveTheJoinAndLeftFiltersMoveBelow() {
        EngineTestSupport.withEngine((sw, dir) -> {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("t", Arrays.asList(1L, 3L, 5L, 7L, 9L));
            l.put("lv", Arrays.asList("a", "b", "c", "d", "e"));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("t", Arrays.asList(0L, 2L, 4L, 6L, 8L));
            r.put("q", Arrays.asList(100L, 5L, 100L, 5L, 100L));
            LazyFrame asof = sw.fromColumns(l).setSorted("t").joinAsof(sw.fromColumns(r).setSorted("t"), "t",
                    AsofStrategy.BACKWARD);
            // Pushing q > 50 below the join would pick the latest row with q > 50 instead: a different answer.
            LazyFrame filtered = asof.filter(col("q").gt(lit(50L)).and(col("lv").ne(lit("a"))));
            String plan = filtered.explain();
            int filterQ = plan.indexOf("STREAMING_FILTER (col(\"q\")");
            int join = plan.indexOf("STREAMING_ASOF_JOIN");
            int filterLv = plan.indexOf("STREAMING_FILTER (col(\"lv\")");
            assertTrue(filterQ >= 0 && filterQ < join && join < filterLv, plan);
            try (DataFrame all = asof.collect(); DataFrame df = filtered.collect()) {
                List<List<Object>> expected = all.rows().stream().filter(row -> row.get(2) != null && (Long) row.get(2) > 50
                        && !"a".equals(row.get(1))).toList();
                assertEquals(List.of(List.of(5L, "c", 100L), List.of(9L, "e", 100L)), expected);
                assertEquals(expected, df.rows());
            }
        });
    }

    @Test
    void mergeJoinPushesLeftFiltersBelowAndPrunesColumns() {
        EngineTestSupport.withEngine((sw, dir) -> {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("k", Arrays.asList(1L, 2L, 3L, 4L));
            l.put("a", Arrays.asList(10L, 20L, 30L, 40L));
            l.put("unused", Arrays.asList("u", "u", "u", "u"));
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("k", Arrays.asList(2L, 3L, 3L, 4L));
            r.put("b", Arrays.asList("x", "y", "z", "w"));
            java.nio.file.Path csv = dir.resolve("left.csv");
            sw.fromColumns(l).sinkCsv(csv);
            LazyFrame j = sw.scanCsv(csv).setSorted("k").join(sw.fromColumns(r).setSorted("k"), "k", JoinType.LEFT)
                    .filter(col("a").gt(lit(15L))).select("k", "b");
            String plan = j.explain();
            // The filter on a left column runs below the join; the scan parses only the columns still needed.
            assertTrue(plan.indexOf("STREAMING_MERGE_JOIN") < plan.indexOf("STREAMING_FILTER (col(\"a\") > 15)"), plan);
            assertTrue(plan.contains("STREAMING_SCAN_CSV left.csv columns=[k, a]"), plan);
            try (DataFrame df = j.collect()) {
                assertEquals(List.of(List.of(2L, "x"), List.of(3L, "y"), List.of(3L, "z"), List.of(4L, "w")), df.rows());
            }
        });
    }

    /**
     * FORWARD left rows of a group the right input never serves wait until the right input ends;
     * their columns spill, but what settles them (their answers and {@code on} values) stays in
     * memory, so when that outgrows the join's share of the memory cap the query fails with an
     * out-of-memory error naming the join — after spilling what it could — and releases everything.
     */
    @Test
    void waitingAsofRowsThatOutgrowTheCapFailNamingTheJoin() {
        EngineTestSupport.withEngine(8L << 20, (outer, dir) -> {
            try (Spillway sw = Spillway.builder().memoryLimit(8L << 20).threads(2).morselRows(16_384).tempDir(dir.resolve("s"))
                    .build()) {
                LazyFrame left = sw.range("t", 0, 600_000).setSorted("t").withColumns(lit(1L).alias("g"));
                LazyFrame right = sw.range("t", 0, 600_000).setSorted("t").withColumns(lit(2L).alias("g"),
                        col("t").alias("r"));
                LazyFrame j = left.joinAsof(right, "t", List.of("g"), AsofStrategy.FORWARD, null);
                RuntimeException e = assertThrows(RuntimeException.class, j::collect);
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                assertTrue(root.getMessage().startsWith("asof-join (FORWARD): out of memory: holding ")
                        && root.getMessage().contains("left rows waiting for a right row of their group")
                        && root.getMessage().contains("what settles a waiting row (its on value and answers) stays in memory")
                        && !root.getMessage().contains("waiting morsels spilled: 0)"), root.getMessage());
                assertEquals(0, sw.budget().reserved(), "everything released after the failure");
                // With a tolerance the same rows settle as soon as the right input moves past it.
                LazyFrame tolerant = left.joinAsof(right, "t", List.of("g"), AsofStrategy.FORWARD, 10L)
                        .filter(col("r").isNotNull());
                try (DataFrame df = tolerant.collect()) {
                    assertEquals(0, df.rowCount(), "group 1 never has a right row");
                }
            }
            java.nio.file.Files.deleteIfExists(dir.resolve("s"));
        });
    }
}
