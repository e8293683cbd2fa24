package dev.spillway.tpch;

import dev.spillway.SortKey;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Compares a query result with a reference result. Integers, strings, dates and decimals must be
 * equal (decimals by value, whatever their scales: DuckDB's {@code sum} of a {@code decimal(15,2)}
 * and Spillway's are both exact); floating-point values (the divisions, which both engines compute
 * in float64) may differ by a relative {@link #TOLERANCE}, because two engines add the same
 * numbers in different orders. A decimal against a float64 (an {@code avg}: DuckDB's is a DOUBLE,
 * Spillway's a {@code decimal(38, 6)} rounded half away from zero) agrees when they differ by at
 * most half a unit in the decimal's last place plus that relative tolerance. Rows are compared as
 * multisets; where the query has an ORDER BY, the sequence of sort-key values must also match row
 * by row, so rows that tie on the whole sort key may come in any order.
 */
final class ResultComparison {
    /** Relative tolerance for floating-point values: |a - b| <= 1e-9 * max(|a|, |b|). */
    static final double TOLERANCE = 1e-9;

    private ResultComparison() {
    }

    /** Integers as Long, floats as Double, dates as LocalDate; decimals, strings as they are. */
    static Object normalize(Object v) {
        return switch (v) {
            case null -> null;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case BigInteger b -> b.longValueExact();
            case Float f -> (double) f;
            case java.sql.Date d -> d.toLocalDate();
            default -> v;
        };
    }

    /** Normalized copies of {@code rows}. */
    static List<List<Object>> normalize(List<List<Object>> rows) {
        List<List<Object>> out = new ArrayList<>(rows.size());
        for (List<Object> r : rows) {
            List<Object> n = new ArrayList<>(r.size());
            for (Object v : r) {
                n.add(normalize(v));
            }
            out.add(n);
        }
        return out;
    }

    /**
     * Null when {@code actual} matches {@code expected} (both normalized), else a description of
     * the first difference. {@code orderColumns} are the indexes of the ORDER BY columns.
     */
    static String difference(List<List<Object>> actual, List<List<Object>> expected, int[] orderColumns) {
        if (actual.size() != expected.size()) {
            return "expected " + expected.size() + " rows, got " + actual.size() + preview(actual, expected);
        }
        if (!actual.isEmpty() && actual.getFirst().size() != expected.getFirst().size()) {
            return "expected " + expected.getFirst().size() + " columns, got " + actual.getFirst().size()
                    + preview(actual, expected);
        }
        for (int r = 0; r < actual.size(); r++) {
            for (int c : orderColumns) {
                if (!same(actual.get(r).get(c), expected.get(r).get(c))) {
                    return String.format(Locale.ROOT, "row %d in ORDER BY order: sort column %d is %s, expected %s"
                            + " (row %s, expected row %s)", r, c, actual.get(r).get(c), expected.get(r).get(c),
                            actual.get(r), expected.get(r));
                }
            }
        }
        List<List<Object>> a = canonical(actual);
        List<List<Object>> e = canonical(expected);
        for (int r = 0; r < a.size(); r++) {
            for (int c = 0; c < a.get(r).size(); c++) {
                if (!same(a.get(r).get(c), e.get(r).get(c))) {
                    return String.format(Locale.ROOT, "column %d differs: %s (%s), expected %s (%s); row %s, expected row %s",
                            c, a.get(r).get(c), typeOf(a.get(r).get(c)), e.get(r).get(c), typeOf(e.get(r).get(c)),
                            a.get(r), e.get(r));
                }
            }
        }
        return null;
    }

    /**
     * Writes the eight tables at {@code scale} as Parquet into {@code data} (inside a leak check)
     * and opens a DuckDB connection (2 threads) with a view over each file, for the tests that
     * compare with DuckDB's answer to the official SQL text.
     */
    static Connection generateForDuckDb(double scale, java.nio.file.Path data) throws SQLException {
        dev.spillway.memory.testing.LeakCheck.assertNoLeaks(mem -> new TpchGen(scale, TpchGen.Format.PARQUET, mem.pool(),
                mem.budget()).writeAll(data, 2));
        Connection duck = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        try (Statement s = duck.createStatement()) {
            s.execute("SET threads = 2");
            for (String t : TpchSchema.tables()) {
                java.nio.file.Path file = TpchGen.file(data, t, TpchGen.Format.PARQUET);
                s.execute("CREATE VIEW " + t + " AS SELECT * FROM read_parquet('" + file.toString().replace("'", "''") + "')");
            }
        } catch (SQLException | RuntimeException e) {
            duck.close();
            throw e;
        }
        return duck;
    }

    /** The positions in {@code columns} of query {@code query}'s ORDER BY columns. */
    static int[] orderColumns(int query, List<String> columns) {
        List<SortKey> keys = TpchQueries.orderBy(query);
        int[] out = new int[keys.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = columns.indexOf(keys.get(i).column());
            if (out[i] < 0) {
                throw new AssertionError("Q" + query + " has no ORDER BY column " + keys.get(i).column() + " in " + columns);
            }
        }
        return out;
    }

    /** DuckDB's rows for query {@code query}'s SQL text, normalized; fails when there are none. */
    static List<List<Object>> duckDbRows(Connection duck, int query) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Statement s = duck.createStatement(); ResultSet rs = s.executeQuery(TpchQueries.sql(query))) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>(n);
                for (int c = 1; c <= n; c++) {
                    row.add(rs.getObject(c));
                }
                rows.add(row);
            }
        }
        rows = normalize(rows);
        if (rows.isEmpty()) {
            throw new AssertionError("DuckDB returned no row for Q" + query + ": the data or the SQL is wrong");
        }
        return rows;
    }

    private static String typeOf(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName();
    }

    private static String preview(List<List<Object>> actual, List<List<Object>> expected) {
        return "; first rows: " + actual.subList(0, Math.min(3, actual.size())) + ", expected "
                + expected.subList(0, Math.min(3, expected.size()));
    }

    /**
     * Equal integers, strings, dates; equal decimals; floats within the tolerance; a decimal and a
     * float within half a unit of the decimal's last place and the tolerance; an integer never
     * equals a float or a decimal.
     */
    static boolean same(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof BigDecimal x && b instanceof BigDecimal y) {
            return x.compareTo(y) == 0;
        }
        if (a instanceof BigDecimal || b instanceof BigDecimal) {
            BigDecimal d = a instanceof BigDecimal x ? x : (BigDecimal) b;
            Object other = a instanceof BigDecimal ? b : a;
            if (!(other instanceof Double f)) {
                return false;
            }
            double halfUnit = 0.5 * Math.pow(10, -d.scale());
            return Math.abs(d.doubleValue() - f) <= halfUnit + TOLERANCE * Math.max(Math.abs(d.doubleValue()), Math.abs(f));
        }
        if (a instanceof Double x && b instanceof Double y) {
            return x.equals(y) || Math.abs(x - y) <= TOLERANCE * Math.max(Math.abs(x), Math.abs(y));
        }
        return a.getClass() == b.getClass() && a.equals(b);
    }

    /**
     * Rows sorted on their exact columns first (integers, strings, dates), then on the floats and
     * decimals, so that rows differing only by rounding in a float column still line up.
     */
    private static List<List<Object>> canonical(List<List<Object>> rows) {
        List<List<Object>> sorted = new ArrayList<>(rows);
        sorted.sort(ROW_ORDER);
        return sorted;
    }

    private static final Comparator<List<Object>> ROW_ORDER = (x, y) -> {
        for (int pass = 0; pass < 2; pass++) {
            for (int c = 0; c < x.size(); c++) {
                // Decimals go with the floats, because a column may be decimal in one result and
                // float64 in the other (avg), and both lists must be sorted alike.
                boolean isFloat = inexact(x.get(c)) || inexact(y.get(c));
                if (isFloat != (pass == 1)) {
                    continue;
                }
                int cmp = compareValues(x.get(c), y.get(c));
                if (cmp != 0) {
                    return cmp;
                }
            }
        }
        return 0;
    };

    private static boolean inexact(Object v) {
        return v instanceof Double || v instanceof BigDecimal;
    }

    private static int compareValues(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return switch (a) {
            case Long x when b instanceof Long y -> Long.compare(x, y);
            case Double x when b instanceof Double y -> Double.compare(x, y);
            case BigDecimal x when b instanceof BigDecimal y -> x.compareTo(y);
            case BigDecimal x when b instanceof Double y -> Double.compare(x.doubleValue(), y);
            case Double x when b instanceof BigDecimal y -> Double.compare(x, y.doubleValue());
            case String x when b instanceof String y -> x.compareTo(y);
            case LocalDate x when b instanceof LocalDate y -> x.compareTo(y);
            case Boolean x when b instanceof Boolean y -> Boolean.compare(x, y);
            default -> a.getClass().getName().compareTo(b.getClass().getName());
        };
    }
}
