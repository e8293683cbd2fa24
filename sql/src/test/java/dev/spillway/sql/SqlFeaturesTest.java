package dev.spillway.sql;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Statements with known results: names, CTEs, set operations, dates, subqueries, EXPLAIN. */
class SqlFeaturesTest {
    private static SqlContext context(Spillway sw) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", List.of(1L, 2L, 3L, 4L));
        t.put("Grp", Arrays.asList("a", "b", "a", null));
        t.put("v", Arrays.asList(10L, 20L, null, 40L));
        t.put("d", List.of(LocalDate.of(2024, 1, 31), LocalDate.of(2024, 2, 29), LocalDate.of(2023, 12, 1),
                LocalDate.of(2024, 3, 15)));
        return SqlContext.of(sw).register("T", sw.fromColumns(t));
    }

    private static List<List<Object>> rows(SqlContext ctx, String sql) {
        try (DataFrame df = ctx.sql(sql).collect()) {
            return df.rows();
        }
    }

    @Test
    void namesAreCaseInsensitiveUnlessQuoted() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            assertEquals(List.of(List.of(1L, "a")), rows(ctx, "SELECT ID, grp FROM t WHERE Id = 1"));
            assertEquals(List.of(List.of("b")), rows(ctx, "select \"Grp\" from T where id = 2"));
            SqlException e = org.junit.jupiter.api.Assertions.assertThrows(SqlException.class,
                    () -> ctx.sql("select \"grp\" from t"));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
            try (DataFrame df = ctx.sql("select id as \"Key\", v from t limit 1").collect()) {
                assertEquals(List.of("Key", "v"), df.columns());
            }
        });
    }

    @Test
    void notInFollowsThreeValuedLogic() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            // An empty subquery keeps every row, a null x included.
            assertEquals(List.of(List.of(1L), List.of(2L), List.of(3L), List.of(4L)),
                    rows(ctx, "select id from t where v not in (select v from t where id > 10) order by id"));
            // A null among the values keeps no row: x NOT IN (..., null) is never true.
            assertEquals(List.of(), rows(ctx, "select id from t where id not in (select v from t) order by id"));
            // Otherwise rows whose x is not null and none of the values.
            assertEquals(List.of(List.of(2L), List.of(4L)),
                    rows(ctx, "select id from t where v not in (select v from t where id = 1) order by id"));
            assertEquals(List.of(List.of(1L), List.of(3L)),
                    rows(ctx, "select id from t where id not in (select id + 1 from t where id in (1, 3)) order by id"));
        });
    }

    @Test
    void intersectAndExceptCompareWholeRowsWithNullsEqual() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            // Rows (grp, v): (a,10) (b,20) (a,null) (null,40); duplicates collapse, null equals null.
            assertEquals(List.of(Arrays.asList("a", null), List.of("b", 20L)), rows(ctx, """
                    select grp, v from t intersect select grp, v from t where id in (2, 3) order by grp"""));
            assertEquals(List.of(List.of("a", 10L), Arrays.asList(null, 40L)), rows(ctx, """
                    select grp, v from t except select grp, v from t where id in (2, 3) order by grp nulls last"""));
            assertEquals(List.of(List.of(1L)), rows(ctx, "select id from t except select id from t where id > 1"));
            SqlException mixed = org.junit.jupiter.api.Assertions.assertThrows(SqlException.class,
                    () -> ctx.sql("select id from t union select id from t intersect select id from t"));
            assertTrue(mixed.getMessage().contains("parentheses"), mixed.getMessage());
        });
    }

    /** A fact table of 20,000 rows over 2,000 keys and a dimension of 2,000 keys, 20 of them tagged. */
    private static SqlContext starSchema(Spillway sw) {
        long[] k = new long[20_000];
        long[] q = new long[20_000];
        for (int i = 0; i < k.length; i++) {
            k[i] = i % 2_000;
            q[i] = (i * 7L) % 50;
        }
        long[] pk = new long[2_000];
        String[] tag = new String[2_000];
        for (int i = 0; i < pk.length; i++) {
            pk[i] = i;
            tag[i] = i < 20 ? "x" : "y" + (i % 97);
        }
        Map<String, Object> fact = new LinkedHashMap<>();
        fact.put("k", k);
        fact.put("q", q);
        Map<String, Object> dim = new LinkedHashMap<>();
        dim.put("pk", pk);
        dim.put("tag", tag);
        return SqlContext.of(sw).register("f", sw.fromColumns(fact)).register("d", sw.fromColumns(dim));
    }

    @Test
    void aCorrelatedScalarSubqueryIsAggregatedOnlyForTheOuterKeys() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = starSchema(sw);
            String query = "select count(*) as n from f, d where d.pk = f.k and d.tag = 'x'"
                    + " and f.q < (select avg(f2.q) from f f2 where f2.k = d.pk)";
            String plan = ctx.explain(query);
            // The outer keys (20 tagged) semi-join the subquery's input before its group-by.
            assertTrue(plan.contains("EQUI_JOIN SEMI"), plan);
            long expected = 0;
            for (int key = 0; key < 20; key++) {
                double sum = 0;
                int n = 0;
                for (int i = key; i < 20_000; i += 2_000) {
                    sum += (i * 7L) % 50;
                    n++;
                }
                for (int i = key; i < 20_000; i += 2_000) {
                    expected += (i * 7L) % 50 < sum / n ? 1 : 0;
                }
            }
            assertEquals(List.of(List.of(expected)), rows(ctx, query));
        });
    }

    @Test
    void anOrAcrossTablesFiltersEachTableItRestricts() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = starSchema(sw);
            String plan = ctx.explain("select count(*) from f, d where d.pk = f.k"
                    + " and ((d.tag = 'x' and f.q = 1) or (d.tag = 'y1' and f.q = 2))");
            // Below the join: each table filtered by its part of the OR; above it, the OR itself.
            assertTrue(plan.contains("(col(\"tag\") == \"x\") | (col(\"tag\") == \"y1\")"), plan);
            assertTrue(plan.contains("(col(\"q\") == 1) | (col(\"q\") == 2)"), plan);
        });
    }

    @Test
    void cteUnionOrderByPositionAndOffset() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            assertEquals(List.of(List.of(3L), List.of(2L)), rows(ctx, """
                    with small as (select id from t where id <= 2), big as (select id from t where id >= 3)
                    select id from small union all select id from big order by 1 desc limit 2 offset 1"""));
        });
    }

    @Test
    void groupByWithNullsHavingAndOrderNullsFirst() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            assertEquals(List.of(Arrays.asList(null, 1L, 40L), List.of("a", 2L, 10L)), rows(ctx, """
                    select grp, count(*) as n, sum(v) as s from t group by grp
                    having count(v) >= 1 and coalesce(grp, 'z') <> 'b' order by grp nulls first"""));
        });
    }

    @Test
    void datesIntervalsAndExtract() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            assertEquals(List.of(List.of(1L, LocalDate.of(2024, 2, 29), 2024L)), rows(ctx, """
                    select id, d + interval '1' month as next, cast(extract(year from d) as bigint) as y from t
                    where d between date '2024-01-01' and date '2024-03-01' - interval '1' month order by id"""));
        });
    }

    @Test
    void scalarAndInSubqueries() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            assertEquals(List.of(List.of(4L)), rows(ctx, "select id from t where v > (select avg(v) from t)"));
            assertEquals(List.of(List.of(1L), List.of(3L)), rows(ctx,
                    "select id from t where grp in (select grp from t where v = 10) order by id"));
            assertEquals(List.of(List.of(2L), List.of(4L)), rows(ctx,
                    "select id from t o where not exists (select * from t i where i.grp = o.grp and i.id < o.id)"
                            + " and o.id <> 1 order by id"));
        });
    }

    @Test
    void explainGivesThePlan() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            LazyFrame f = ctx.sql("explain select grp, count(*) from t where v > 5 group by grp");
            try (DataFrame df = f.collect()) {
                assertEquals(List.of("explain"), df.columns());
                String plan = String.join("\n", df.columnValues("explain").stream().map(String::valueOf).toList());
                assertTrue(plan.toLowerCase(java.util.Locale.ROOT).contains("group"), plan);
            }
            assertEquals(ctx.explain("select id from t"), ctx.sql("select id from t").explain());
        });
    }

    @Test
    void explainAnalyzeRunsTheQueryAndShowsItsProfile() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            try (DataFrame df = ctx.sql("explain analyze select grp, count(*) as n from t group by grp").collect()) {
                assertEquals(List.of("explain"), df.columns());
                String profile = String.join("\n", df.columnValues("explain").stream().map(String::valueOf).toList());
                // The profile's table: the result's rows (3 groups) and the group-by pipeline with its rows.
                assertTrue(profile.contains("3 result rows"), profile);
                assertTrue(profile.contains("group-by"), profile);
                assertTrue(profile.contains("memory: peak"), profile);
            }
        });
    }
}
