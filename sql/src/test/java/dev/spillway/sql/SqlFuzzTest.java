package dev.spillway.sql;

import dev.spillway.DataFrame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded differential test: random SQL (projections, filters, joins of every kind, group-bys with
 * HAVING, EXISTS and IN subqueries, UNION ALL, DISTINCT, ORDER BY with LIMIT/OFFSET) over small
 * random tables with nulls, planned by the SQL front end and run by the engine, against DuckDB
 * running the same text over the same rows, at three memory settings (no cap; tiny morsels under
 * a small cap; every spillable operator forced to disk). A failure prints the seed and the query.
 */
class SqlFuzzTest {
    private static final long SEED = Long.getLong("spillway.sqlfuzz.seed", 20261203L);
    private static final int QUERIES = Integer.getInteger("spillway.sqlfuzz.queries", 150);

    private static Connection duck;
    private static Map<String, Map<String, List<?>>> tables;

    @BeforeAll
    static void setUp() throws SQLException {
        Random r = new Random(SEED);
        tables = new LinkedHashMap<>();
        tables.put("t1", table(r, 120, true));
        tables.put("t2", table(r, 60, false));
        duck = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement s = duck.createStatement()) {
            s.execute("CREATE TABLE t1 (id BIGINT, a BIGINT, b BIGINT, x DOUBLE, s VARCHAR)");
            s.execute("CREATE TABLE t2 (id BIGINT, a BIGINT, c BIGINT, s2 VARCHAR)");
        }
        for (Map.Entry<String, Map<String, List<?>>> t : tables.entrySet()) {
            Map<String, List<?>> cols = t.getValue();
            int n = cols.get("id").size();
            String marks = String.join(", ", java.util.Collections.nCopies(cols.size(), "?"));
            try (PreparedStatement ps = duck.prepareStatement("INSERT INTO " + t.getKey() + " VALUES (" + marks + ")")) {
                for (int i = 0; i < n; i++) {
                    int c = 1;
                    for (List<?> col : cols.values()) {
                        ps.setObject(c++, col.get(i));
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    private static Map<String, List<?>> table(Random r, int rows, boolean first) {
        List<Long> id = new ArrayList<>();
        List<Long> a = new ArrayList<>();
        List<Long> b = new ArrayList<>();
        List<Double> x = new ArrayList<>();
        List<String> s = new ArrayList<>();
        String[] words = {"apple", "banana", "cherry", "apricot", "blueberry", "date", "fig", "avocado"};
        for (int i = 0; i < rows; i++) {
            id.add((long) i);
            a.add(r.nextInt(8) == 0 ? null : (long) r.nextInt(10));
            b.add(r.nextInt(6) == 0 ? null : (long) (r.nextInt(21) - 5));
            x.add(r.nextInt(7) == 0 ? null : Math.round(r.nextDouble() * 1000) / 10.0);
            s.add(r.nextInt(9) == 0 ? null : words[r.nextInt(words.length)]);
        }
        Map<String, List<?>> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("a", a);
        if (first) {
            out.put("b", b);
            out.put("x", x);
            out.put("s", s);
        } else {
            out.put("c", b);
            out.put("s2", s);
        }
        return out;
    }

    @AfterAll
    static void tearDown() throws SQLException {
        if (duck != null) {
            duck.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"NO_CAP, 268435456, 131072, 0", "SMALL_MORSELS, 33554432, 16, 0", "FORCED, 268435456, 64, 1.0"})
    void randomQueriesMatchDuckDb(String setting, long cap, int morselRows, double forceSpill) {
        SqlTestSupport.withEngine(cap, morselRows, forceSpill, (sw, dir) -> {
            SqlContext ctx = SqlContext.of(sw);
            for (Map.Entry<String, Map<String, List<?>>> t : tables.entrySet()) {
                ctx.register(t.getKey(), sw.fromColumns(t.getValue()));
            }
            Random r = new Random(SEED ^ setting.hashCode());
            for (int q = 0; q < QUERIES; q++) {
                Query query = randomQuery(r);
                List<List<Object>> expected;
                try {
                    expected = duckRows(query.sql());
                } catch (SQLException e) {
                    fail("DuckDB rejects generated query (generator bug), seed " + SEED + ": " + query.sql() + "\n" + e);
                    return;
                }
                List<List<Object>> actual;
                try (DataFrame df = ctx.sql(query.sql()).collect()) {
                    actual = normalize(df.rows());
                } catch (RuntimeException e) {
                    throw new AssertionError("seed " + SEED + ", setting " + setting + ", query " + q + " failed: "
                            + query.sql(), e);
                }
                if (!query.ordered()) {
                    actual.sort(ROWS);
                    expected.sort(ROWS);
                }
                if (!same(actual, expected)) {
                    assertEquals(expected, actual, "seed " + SEED + ", setting " + setting + ", query " + q + ": "
                            + query.sql());
                }
            }
        });
    }

    /** A generated query and whether its ORDER BY fixes the row order completely. */
    record Query(String sql, boolean ordered) {
    }

    private static Query randomQuery(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> new Query("select id, a, b, a + b as ab, b * 2 - a as e, s, x from t1 where " + predicate(r), false);
            case 1 -> new Query("select a, count(*) as n, sum(b) as sb, min(s) as ms, max(x) as mx, count(distinct b) as db,"
                    + " count(b) as cb from t1 where " + predicate(r) + " group by a", false);
            case 2 -> new Query("select a, s, avg(x) as ax, sum(case when b > " + r.nextInt(8) + " then 1 else 0 end) as big"
                    + " from t1 group by a, s having count(*) > " + r.nextInt(3), false);
            case 3 -> new Query("select t1.id, t1.a, t2.id as id2, t2.c from t1 join t2 on t1.a = t2.a where "
                    + predicate(r), false);
            case 4 -> new Query("select t1.id, t2.id as id2, c, s2 from t1, t2 where t1.a = t2.a and t2.c "
                    + (r.nextBoolean() ? ">" : "<=") + " " + (r.nextInt(12) - 3) + " and " + predicate(r), false);
            case 5 -> {
                String kind = List.of("left", "right", "full").get(r.nextInt(3));
                // Equalities, conditions on one side, and conditions across the two (a nested-loop outer join).
                String on = switch (r.nextInt(5)) {
                    case 0 -> "t1.a = t2.a";
                    case 1 -> "t1.a = t2.a and t2.c > " + r.nextInt(10);
                    case 2 -> "t1.a = t2.a and t1.b < t2.c";
                    case 3 -> "t1.b < t2.c - " + r.nextInt(8);
                    default -> "t1.a = t2.a and t1.b > " + (r.nextInt(10) - 3);
                };
                yield new Query("select t1.id, t1.b, t2.id as id2, t2.c from t1 " + kind + " join t2 on " + on, false);
            }
            case 6 -> {
                String[] keys = {"a", "b", "s", "x"};
                String k1 = keys[r.nextInt(keys.length)];
                String k2 = keys[r.nextInt(keys.length)];
                yield new Query("select id, a, b, s, x from t1 where " + predicate(r) + " order by " + k1
                        + (r.nextBoolean() ? " desc" : "") + (r.nextBoolean() ? " nulls first" : " nulls last") + ", " + k2
                        + (r.nextBoolean() ? " desc" : "") + ", id limit " + (1 + r.nextInt(30))
                        + (r.nextBoolean() ? " offset " + r.nextInt(10) : ""), true);
            }
            case 7 -> new Query("select id, s from t1 where " + (r.nextBoolean() ? "not " : "") + "exists (select * from t2"
                    + " where t2.a = t1.a and t2.c > " + (r.nextInt(12) - 3) + ")", false);
            // NOT IN over a column with nulls, and over an empty subquery (c < -4 holds for no row).
            case 8 -> new Query("select id, a from t1 where a " + (r.nextBoolean() ? "not " : "") + "in (select a from t2 where c < "
                    + (r.nextInt(16) - 4) + ") and " + atom(r).replace(" or ", " and "), false);
            case 9 -> new Query("select a, s from t1 where " + predicate(r) + " "
                    + List.of("union all", "union", "intersect", "except").get(r.nextInt(4)) + " select a, s2 from t2 where c > "
                    + r.nextInt(10), false);
            case 10 -> new Query("select distinct a, s from t1 where " + predicate(r), false);
            // Three FROM items joined in an order of the planner's choosing, an IN applied to one of them.
            default -> new Query("select t1.id, t2.id as id2, u.b as ub from t1, t2, t1 as u where t1.a = t2.a and u.b = t2.c"
                    + " and t1.a " + (r.nextBoolean() ? "not " : "") + "in (select a from t2 where c > " + r.nextInt(10) + ") and "
                    + (r.nextBoolean() ? "t1.b <= " + (r.nextInt(12) - 3) : "u.x > " + r.nextInt(80)), false);
        };
    }

    private static String predicate(Random r) {
        int n = 1 + r.nextInt(2);
        List<String> atoms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            atoms.add(atom(r));
        }
        return String.join(r.nextInt(4) == 0 ? " or " : " and ", atoms);
    }

    private static String atom(Random r) {
        int k = r.nextInt(10);
        return switch (r.nextInt(14)) {
            case 0 -> "t1.a > " + k;
            case 1 -> "b <= " + (k - 3);
            case 2 -> "t1.a = b";
            case 3 -> "s like '" + "abcdf".charAt(r.nextInt(5)) + "%'";
            case 4 -> "s not like '%" + "aeyt".charAt(r.nextInt(4)) + "'";
            case 5 -> "x between " + k * 10 + " and " + (k * 10 + 40);
            case 6 -> "t1.a in (1, 3, " + k + ")";
            case 7 -> "b is null";
            case 8 -> "s is not null";
            case 9 -> "t1.a <> " + k;
            case 10 -> "t1.a > " + k + " or b < " + (k - 5);
            case 11 -> "not b = " + (k - 2);
            case 12 -> "case when t1.a > " + k + " then b else t1.a end > " + (k - 4);
            default -> "coalesce(b, 0) > " + (k - 5);
        };
    }

    private static List<List<Object>> duckRows(String sql) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Statement s = duck.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>(n);
                for (int c = 1; c <= n; c++) {
                    row.add(rs.getObject(c));
                }
                rows.add(row);
            }
        }
        return normalize(rows);
    }

    private static List<List<Object>> normalize(List<List<Object>> rows) {
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> row : rows) {
            List<Object> r = new ArrayList<>();
            for (Object v : row) {
                r.add(switch (v) {
                    case Integer i -> (long) i;
                    case BigInteger b -> b.longValueExact();
                    case BigDecimal d -> d.doubleValue();
                    case Float f -> (double) f;
                    case null, default -> v;
                });
            }
            out.add(r);
        }
        return out;
    }

    private static final Comparator<List<Object>> ROWS = (x, y) -> {
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            int c = compare(x.get(i), y.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    };

    private static int compare(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        return a.toString().compareTo(b.toString());
    }

    private static boolean same(List<List<Object>> a, List<List<Object>> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            List<Object> x = a.get(i);
            List<Object> y = b.get(i);
            if (x.size() != y.size()) {
                return false;
            }
            for (int c = 0; c < x.size(); c++) {
                Object p = x.get(c);
                Object q = y.get(c);
                if (p instanceof Double d && q instanceof Number n) {
                    double e = n.doubleValue();
                    if (Math.abs(d - e) > 1e-9 * Math.max(1, Math.abs(e))) {
                        return false;
                    }
                } else if (!Objects.equals(p, q) && !(p instanceof Number pn && q instanceof Number qn
                        && pn.doubleValue() == qn.doubleValue())) {
                    return false;
                }
            }
        }
        return true;
    }
}
