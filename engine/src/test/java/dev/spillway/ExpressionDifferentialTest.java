package dev.spillway;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.Period;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static dev.spillway.EngineTestSupport.withEngine;
import static dev.spillway.Expr.coalesce;
import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL functions of the lazy API (isIn, between, like, substring, coalesce, abs, round, date
 * literals and intervals, HAVING) over random data with nulls, against plain Java.
 */
class ExpressionDifferentialTest {
    private static final String[] WORDS = {"MAIL", "SHIP", "AIR", "REG AIR", "PROMO BRUSHED TIN", "PROMO", "forest green",
        "Customer#Complaints", "special requests", "日本語", "é_%", "", "13-555-0101", "\uD83D\uDE00 smile"};
    private static final String[] PATTERNS = {"PROMO%", "%AIR", "%o%", "%Customer%Complaints%", "_A%", "%_", "f%t g%n", "%",
        "MAIL", "%é%", "%special%requests%", "1_-%", "%\uD83D\uDE00%", ""};

    private record Row(Long i, Long j, Double f, String s, LocalDate d) {
    }

    private static List<Row> rows(Random rnd, int n) {
        List<Row> rows = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            // Row 0 has no nulls so that fromColumns infers every column's type.
            boolean nullable = r > 0;
            Long i = nullable && rnd.nextInt(8) == 0 ? null : (long) rnd.nextInt(40) - 20;
            Long j = nullable && rnd.nextInt(3) == 0 ? null : (long) rnd.nextInt(1000);
            Double f = nullable && rnd.nextInt(8) == 0 ? null : switch (rnd.nextInt(10)) {
                case 0 -> Double.NaN;
                case 1 -> -0.0;
                case 2 -> rnd.nextInt(2000) / 8.0 - 125;
                default -> Math.round(rnd.nextGaussian() * 1e6) / 1000.0;
            };
            String s = nullable && rnd.nextInt(8) == 0 ? null : rnd.nextInt(4) == 0
                    ? WORDS[rnd.nextInt(WORDS.length)] + WORDS[rnd.nextInt(WORDS.length)] : WORDS[rnd.nextInt(WORDS.length)];
            LocalDate d = nullable && rnd.nextInt(8) == 0 ? null
                    : LocalDate.of(1992, 1, 1).plusDays(rnd.nextInt(2600)).withDayOfMonth(rnd.nextInt(3) == 0 ? 1 : 1 + rnd.nextInt(28))
                            .plusDays(rnd.nextInt(4));
            rows.add(new Row(i, j, f, s, d));
        }
        return rows;
    }

    private static LazyFrame frame(Spillway sw, List<Row> rows) {
        Map<String, Object> cols = new LinkedHashMap<>();
        cols.put("i", rows.stream().map(Row::i).toList().stream().map(x -> (Object) x).collect(java.util.stream.Collectors.toList()));
        cols.put("j", rows.stream().map(r -> (Object) r.j()).collect(java.util.stream.Collectors.toList()));
        cols.put("f", rows.stream().map(r -> (Object) r.f()).collect(java.util.stream.Collectors.toList()));
        cols.put("s", rows.stream().map(r -> (Object) r.s()).collect(java.util.stream.Collectors.toList()));
        cols.put("d", rows.stream().map(r -> (Object) r.d()).collect(java.util.stream.Collectors.toList()));
        return sw.fromColumns(cols);
    }

    // ------------------------------------------------------------------ the oracle

    private static Boolean like(String s, String pattern) {
        if (s == null) {
            return null;
        }
        StringBuilder re = new StringBuilder();
        for (int k = 0; k < pattern.length(); ) {
            int c = pattern.codePointAt(k);
            k += Character.charCount(c);
            re.append(c == '%' ? ".*" : c == '_' ? "." : Pattern.quote(new String(Character.toChars(c))));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL).matcher(s).matches();
    }

    private static Boolean in(Object x, List<?> values) {
        if (x == null) {
            return null;
        }
        boolean sawNull = false;
        for (Object v : values) {
            if (v == null) {
                sawNull = true;
            } else if (x instanceof Number a && v instanceof Number b
                    ? (a instanceof Double || b instanceof Double ? a.doubleValue() == b.doubleValue() : a.longValue() == b.longValue())
                    : x.equals(v)) {
                return true;
            }
        }
        return sawNull ? null : false;
    }

    private static Boolean and(Boolean a, Boolean b) {
        if (Boolean.FALSE.equals(a) || Boolean.FALSE.equals(b)) {
            return false;
        }
        return a == null || b == null ? null : true;
    }

    private static String substring(String s, int start, int length) {
        if (s == null) {
            return null;
        }
        int[] cps = s.codePoints().toArray();
        StringBuilder sb = new StringBuilder();
        for (int p = Math.max(1, start); p < start + length && p <= cps.length; p++) {
            sb.appendCodePoint(cps[p - 1]);
        }
        return sb.toString();
    }

    private static Double round(Double x, int digits) {
        if (x == null || x.isNaN() || x.isInfinite()) {
            return x;
        }
        double r = new BigDecimal(Double.toString(x)).setScale(digits, RoundingMode.HALF_UP).doubleValue();
        return r == 0 ? 0.0 : r;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void sqlFunctionsMatchTheJavaOracleAcrossSeeds() {
        long base = System.nanoTime();
        for (int k = 0; k < 6; k++) {
            long seed = base + k;
            Random rnd = new Random(seed);
            try {
                withEngine(64L << 20, b -> b.morselRows(1 + rnd.nextInt(4000)), (sw, dir) -> {
                    List<Row> rows = rows(rnd, 1 + rnd.nextInt(20_000));
                    List<Object> inI = new ArrayList<>(Arrays.asList(3L, -7, 12L, (long) rnd.nextInt(40) - 20));
                    if (rnd.nextBoolean()) {
                        inI.add(null);
                    }
                    List<Object> inS = List.of("MAIL", "SHIP", WORDS[rnd.nextInt(WORDS.length)]);
                    LocalDate someDay = rows.get(0).d();
                    List<Object> inD = Arrays.asList(someDay, LocalDate.of(1995, 3, 15), null);
                    List<Object> inF = List.of(-0.0, 1.5, rnd.nextInt(2000) / 8.0 - 125);
                    long lo = rnd.nextInt(30) - 20;
                    long hi = lo + rnd.nextInt(20);
                    String p1 = PATTERNS[rnd.nextInt(PATTERNS.length)];
                    String p2 = PATTERNS[rnd.nextInt(PATTERNS.length)];
                    int start = rnd.nextInt(6) - 1;
                    int len = rnd.nextInt(5);
                    int digits = rnd.nextInt(5) - 1;
                    int months = rnd.nextInt(30) - 15;
                    int days = rnd.nextInt(200) - 100;
                    LocalDate cutoff = LocalDate.of(1998, 12, 1);
                    LazyFrame q = frame(sw, rows).select(
                            col("i").isIn(inI).alias("in_i"),
                            col("s").isIn(inS).alias("in_s"),
                            col("d").isIn(inD).alias("in_d"),
                            col("f").isIn(inF).alias("in_f"),
                            col("i").between(lit(lo), lit(hi)).alias("btw"),
                            col("i").between(lit(lo), col("j")).alias("btw_col"),
                            col("s").like(p1).alias("like"),
                            col("s").notLike(p2).alias("not_like"),
                            col("s").substring(start, len).alias("sub"),
                            coalesce(col("i"), col("j"), lit(-1L)).alias("co"),
                            col("f").abs().alias("abs_f"),
                            col("i").abs().alias("abs_i"),
                            col("f").round(digits).alias("round"),
                            col("d").day().alias("day"),
                            col("d").plus(Period.of(0, months, days)).alias("plus"),
                            col("d").minus(Period.ofYears(1)).alias("minus_year"),
                            col("d").le(Expr.date("1998-12-01").minus(Period.ofDays(90))).alias("before"));
                    List<List<Object>> expected = new ArrayList<>();
                    for (Row r : rows) {
                        expected.add(Arrays.asList(
                                in(r.i(), inI), in(r.s(), inS), in(r.d(), inD), in(r.f(), inF),
                                r.i() == null ? null : r.i() >= lo && r.i() <= hi,
                                and(r.i() == null ? null : r.i() >= lo, r.i() == null || r.j() == null ? null : r.i() <= r.j()),
                                like(r.s(), p1),
                                r.s() == null ? null : !like(r.s(), p2),
                                substring(r.s(), start, len),
                                r.i() != null ? r.i() : r.j() != null ? r.j() : Long.valueOf(-1),
                                r.f() == null ? null : Math.abs(r.f()),
                                r.i() == null ? null : Math.abs(r.i()),
                                round(r.f(), digits),
                                r.d() == null ? null : r.d().getDayOfMonth(),
                                r.d() == null ? null : r.d().plusMonths(months).plusDays(days),
                                r.d() == null ? null : r.d().minusYears(1),
                                r.d() == null ? null : !r.d().isAfter(cutoff.minusDays(90))));
                    }
                    try (DataFrame df = q.collect()) {
                        assertEquals(expected.size(), df.rowCount());
                        for (int x = 0; x < expected.size(); x++) {
                            assertEquals(expected.get(x), df.row(x), "row " + x + " " + rows.get(x));
                        }
                    }
                    List<Row> kept = rows.stream().filter(r -> Boolean.TRUE.equals(like(r.s(), p1))
                            || Boolean.TRUE.equals(in(r.i(), inI))).toList();
                    try (DataFrame df = frame(sw, rows).filter(col("s").like(p1).or(col("i").isIn(inI)))
                            .select(col("i"), col("s")).collect()) {
                        assertEquals(kept.stream().map(r -> Arrays.asList((Object) r.i(), r.s())).toList(), df.rows(), "filter");
                    }
                });
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("failed with seed " + seed, e);
            }
        }
    }

    @Test
    void filterAfterAggIsHaving() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            for (double forceSpill : new double[] {0, 1.0}) {
                withEngine(64L << 20, b -> b.morselRows(500).forceSpill(forceSpill), (sw, dir) -> {
                    List<Row> rows = rows(rnd, 1 + rnd.nextInt(30_000));
                    long threshold = rnd.nextInt(20_000);
                    LazyFrame q = frame(sw, rows).groupBy("s").agg(col("j").sum().alias("total"), Expr.rowCount().alias("n"))
                            .filter(col("total").gt(lit(threshold)).and(col("s").notLike("%AIR%")).and(col("n").ge(lit(2L))))
                            .sort(SortKey.asc("s"));
                    String plan = q.explain();
                    int filter = plan.indexOf("STREAMING_FILTER (((col(\"total\") > ");
                    assertTrue(filter >= 0 && filter < plan.indexOf("STREAMING_GROUP_BY keys=[col(\"s\")]"), "filters the groups:\n" + plan);
                    Map<String, long[]> groups = new HashMap<>();
                    Map<String, Boolean> anyJ = new HashMap<>();
                    for (Row r : rows) {
                        long[] g = groups.computeIfAbsent(r.s() == null ? "\u0000null" : r.s(), x -> new long[2]);
                        g[1]++;
                        if (r.j() != null) {
                            g[0] += r.j();
                            anyJ.put(r.s() == null ? "\u0000null" : r.s(), true);
                        }
                    }
                    TreeMap<String, List<Object>> expected = new TreeMap<>();
                    groups.forEach((k, g) -> {
                        Long total = anyJ.containsKey(k) ? g[0] : null;
                        String s = k.equals("\u0000null") ? null : k;
                        Boolean keep = and(and(total == null ? null : total > threshold, s == null ? null : !s.contains("AIR")), g[1] >= 2);
                        if (Boolean.TRUE.equals(keep)) {
                            expected.put(s, Arrays.asList(s, total, g[1]));
                        }
                    });
                    try (DataFrame df = q.collect()) {
                        List<List<Object>> want = new ArrayList<>();
                        for (String k : expected.keySet().stream().sorted(ExpressionDifferentialTest::byUtf8).toList()) {
                            want.add(expected.get(k));
                        }
                        assertEquals(want, df.rows());
                    }
                });
            }
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    private static int byUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8), b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void explainShowsTheFunctionsAndFoldsDateArithmetic() {
        withEngine((sw, dir) -> {
            LazyFrame q = frame(sw, rows(new Random(1), 10))
                    .filter(col("d").le(Expr.date("1998-12-01").minus(Period.ofDays(90)))
                            .and(col("s").like("%special%requests%").not())
                            .and(col("i").isIn(1, 2L, null))
                            .and(col("f").between(lit(0.05), lit(0.07))))
                    .select(col("s").substring(1, 2).alias("code"), coalesce(col("i"), lit(0L)).alias("i0"),
                            col("f").abs().round(2).alias("r"), col("d").plus(Period.of(1, 3, 0)).alias("later"));
            String plan = q.explain();
            for (String part : List.of("(col(\"d\") <= date(1998-09-02))", "~col(\"s\").str.like(\"%special%requests%\")",
                    "col(\"i\").is_in([1, 2, null])", "col(\"f\").between(0.05, 0.07)", "col(\"s\").str.substring(1, 2) as code",
                    "coalesce(col(\"i\"), 0) as i0", "col(\"f\").abs().round(2) as r",
                    "(col(\"d\") + interval '1 year 3 months') as later")) {
                assertTrue(plan.contains(part), part + " in\n" + plan);
            }
            assertEquals("(col(\"d\") - interval '2 years 1 month 3 days')", col("d").minus(Period.of(2, 1, 3)).toString());
            assertEquals("col(\"s\").str.not_like(\"a_%\")", col("s").notLike("a_%").toString());
            try (DataFrame df = q.collect()) {
                assertEquals(List.of("code", "i0", "r", "later"), df.schema().names());
            }
        });
    }

    @Test
    void typeErrorsNameTheExpressionAndWhatWouldFit() {
        withEngine((sw, dir) -> {
            LazyFrame f = frame(sw, rows(new Random(2), 5));
            assertEquals("cannot apply is_in to utf8 with a int32 value (1) in col(\"s\").is_in([1, 2]): the values must be utf8 or null",
                    assertThrows(IllegalArgumentException.class, () -> f.filter(col("s").isIn(1, 2))).getMessage());
            assertEquals("cannot apply like to int64 in col(\"i\").str.like(\"1%\"): it needs utf8",
                    assertThrows(IllegalArgumentException.class, () -> f.filter(col("i").like("1%"))).getMessage());
            assertEquals("cannot apply between to utf8 with bounds int32 and int32 in col(\"s\").between(1, 2): the bounds must be utf8",
                    assertThrows(IllegalArgumentException.class, () -> f.filter(col("s").between(lit(1), lit(2)))).getMessage());
            assertEquals("cannot add interval '1 day' to utf8 in (col(\"s\") + interval '1 day'): it needs a date32 or timestamp",
                    assertThrows(IllegalArgumentException.class, () -> f.select(col("s").plus(Period.ofDays(1)))).getMessage());
            assertEquals("cannot apply round to date32 in col(\"d\").round(1): it needs a number (int32, int64 or float64)",
                    assertThrows(IllegalArgumentException.class, () -> f.select(col("d").round(1))).getMessage());
            assertEquals("cannot apply substring to float64 in col(\"f\").str.substring(1, 2): it needs utf8",
                    assertThrows(IllegalArgumentException.class, () -> f.select(col("f").substring(1, 2))).getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> f.select(coalesce(col("i"), col("s")))).getMessage()
                    .startsWith("coalesce() values have different types: int64 and utf8"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> f.select(col("s").abs())).getMessage()
                    .contains("cannot apply abs to utf8 in col(\"s\").abs(): it needs a number"));
            assertEquals("cannot parse date(\"1998-13-01\") (expected yyyy-MM-dd)",
                    assertThrows(IllegalArgumentException.class, () -> Expr.date("1998-13-01")).getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> col("s").substring(1, -2)).getMessage()
                    .contains("substring length must not be negative"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> col("s").isIn(new Object())).getMessage()
                    .contains("cannot make a literal of java.lang.Object"));
        });
    }

    @Test
    void nullsPropagateAsInSql() {
        withEngine((sw, dir) -> {
            Map<String, Object> cols = new LinkedHashMap<>();
            cols.put("s", Arrays.asList("x", null));
            cols.put("d", Arrays.asList(LocalDate.of(2024, 1, 31), null));
            cols.put("f", Arrays.asList(1.25, null));
            try (DataFrame df = sw.fromColumns(cols).select(
                    col("s").isIn("x", null).alias("in"), col("s").isIn("y", null).alias("in_null"),
                    col("s").like("%").alias("like"), col("s").substring(1, 1).alias("sub"),
                    coalesce(col("s"), lit(null), lit("z")).alias("co"), col("f").round(1).alias("round"),
                    col("f").abs().alias("abs"), col("d").plus(Period.ofMonths(1)).alias("next"),
                    col("f").between(lit(null), lit(1.0)).alias("btw"), col("d").day().alias("day")).collect()) {
                assertEquals(Arrays.asList(true, null, true, "x", "x", 1.3, 1.25, LocalDate.of(2024, 2, 29), false, 31), df.row(0));
                assertEquals(Arrays.asList(null, null, null, null, "z", null, null, null, null, null), df.row(1));
            }
        });
    }
}
