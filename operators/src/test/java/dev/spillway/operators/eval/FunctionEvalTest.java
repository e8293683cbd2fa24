package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;
import dev.spillway.errors.ExprTypeException;
import dev.spillway.expr.UnaryOp;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static dev.spillway.operators.eval.ExprEvalTest.eval;
import static dev.spillway.operators.eval.PhysicalExprs.column;
import static dev.spillway.operators.eval.PhysicalExprs.literal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** isIn, between, like, substring, coalesce, abs, round and date intervals. */
class FunctionEvalTest {
    private static final Schema S = Schema.of(Field.of("s", DataType.UTF8));
    private static final PhysicalExpr STR = column(0, "s", DataType.UTF8);

    private static List<List<Object>> strings(String... values) {
        List<List<Object>> rows = new ArrayList<>();
        for (String v : values) {
            rows.add(Arrays.asList((Object) v));
        }
        return rows;
    }

    @Test
    void likeFastPathsAndWildcardsOnMultiByteText() {
        assertEquals(LikePattern.Kind.PREFIX, LikePattern.compile("abc%").kind());
        assertEquals(LikePattern.Kind.SUFFIX, LikePattern.compile("%abc").kind());
        assertEquals(LikePattern.Kind.CONTAINS, LikePattern.compile("%abc%").kind());
        assertEquals(LikePattern.Kind.EXACT, LikePattern.compile("abc").kind());
        assertEquals(LikePattern.Kind.ANY, LikePattern.compile("%%").kind());
        assertEquals(LikePattern.Kind.GENERAL, LikePattern.compile("%special%requests%").kind());
        assertEquals(LikePattern.Kind.GENERAL, LikePattern.compile("a_c").kind());
        assertNoLeaks(mem -> {
            List<List<Object>> rows = strings("héllo", "hello", "日本語", "", null, "h\uD83D\uDE00llo", "hllo");
            assertEquals(Arrays.asList(true, true, false, false, null, true, false),
                    eval(mem, PhysicalExprs.like(STR, "h_llo", false), S, rows), "_ is one character, of any byte length");
            assertEquals(Arrays.asList(false, false, true, false, null, false, false),
                    eval(mem, PhysicalExprs.like(STR, "%本_", false), S, rows));
            assertEquals(Arrays.asList(true, true, true, true, null, true, true),
                    eval(mem, PhysicalExprs.like(STR, "%", false), S, rows), "% matches the empty string too");
            assertEquals(Arrays.asList(false, false, false, true, null, false, false),
                    eval(mem, PhysicalExprs.like(STR, "", false), S, rows));
            assertEquals(Arrays.asList(false, true, true, true, null, true, true),
                    eval(mem, PhysicalExprs.like(STR, "%é%", true), S, rows), "not like keeps null null");
            assertEquals(Arrays.asList(true, true, false, false, null, true, true),
                    eval(mem, PhysicalExprs.like(STR, "h%o", false), S, rows));
            assertEquals(Arrays.asList(false, false, false, false, null, false, false),
                    eval(mem, PhysicalExprs.like(STR, "h%lo%lo", false), S, rows), "segments do not overlap");
        });
    }

    @Test
    void likeAgreesWithARegexOracleAcrossSeeds() {
        for (long seed = 1; seed <= 40; seed++) {
            Random rnd = new Random(seed);
            String[] alphabet = {"a", "b", "é", "日", "\uD83D\uDE00", "%", "_"};
            for (int round = 0; round < 200; round++) {
                String pattern = OracleExpr.randomPattern(rnd);
                LikePattern compiled = LikePattern.compile(pattern);
                java.util.regex.Pattern regex = OracleExpr.LikeNode.regex(pattern);
                for (int k = 0; k < 20; k++) {
                    StringBuilder sb = new StringBuilder();
                    for (int c = rnd.nextInt(9); c > 0; c--) {
                        sb.append(alphabet[rnd.nextInt(alphabet.length)]);
                    }
                    String s = sb.toString();
                    byte[] b = s.getBytes(StandardCharsets.UTF_8);
                    assertEquals(regex.matcher(s).matches(), compiled.matches(MemorySegment.ofArray(b), 0, b.length),
                            "seed " + seed + ": '" + s + "' like '" + pattern + "'");
                }
            }
        }
    }

    @Test
    void byteSearchFindsTheFirstOccurrenceAcrossWords() {
        byte[] alphabet = {'a', 'b', 0, 1, (byte) 0x80, (byte) 0xFF};
        for (long seed = 1; seed <= 30; seed++) {
            Random rnd = new Random(seed);
            for (int round = 0; round < 2000; round++) {
                byte[] text = new byte[rnd.nextInt(48)];
                byte[] pat = new byte[1 + rnd.nextInt(4)];
                int kinds = 1 + rnd.nextInt(alphabet.length);
                for (int k = 0; k < text.length; k++) {
                    text[k] = alphabet[rnd.nextInt(kinds)];
                }
                for (int k = 0; k < pat.length; k++) {
                    pat[k] = alphabet[rnd.nextInt(kinds)];
                }
                int from = text.length == 0 ? 0 : rnd.nextInt(text.length);
                long want = -1;
                for (int k = 0; k + pat.length <= text.length - from && want < 0; k++) {
                    if (Arrays.equals(text, from + k, from + k + pat.length, pat, 0, pat.length)) {
                        want = k;
                    }
                }
                assertEquals(want, StringMatch.indexOf(MemorySegment.ofArray(text), from, text.length - from,
                        MemorySegment.ofArray(pat), pat.length), "seed " + seed + ": " + Arrays.toString(pat) + " in "
                        + Arrays.toString(text) + " from " + from);
            }
        }
    }

    @Test
    void isInFollowsSqlNulls() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("i", DataType.INT64), Field.of("f", DataType.FLOAT64), Field.of("d", DataType.DATE32),
                    Field.of("s", DataType.UTF8));
            List<List<Object>> rows = List.of(
                    Arrays.asList(1L, 1.0, LocalDate.of(1995, 3, 15), "MAIL"),
                    Arrays.asList(2L, Double.NaN, LocalDate.of(1995, 3, 16), "SHIP"),
                    Arrays.asList(null, -0.0, null, null),
                    Arrays.asList(7L, 2.5, LocalDate.of(2000, 1, 1), "AIR"));
            PhysicalExpr i = column(0, "i", DataType.INT64);
            PhysicalExpr f = column(1, "f", DataType.FLOAT64);
            PhysicalExpr d = column(2, "d", DataType.DATE32);
            PhysicalExpr str = column(3, "s", DataType.UTF8);
            assertEquals(Arrays.asList(true, false, null, true), eval(mem, PhysicalExprs.isIn(i, List.of(7, 1L)), s, rows),
                    "int32 and int64 values; a null input gives null");
            assertEquals(Arrays.asList(true, null, null, null), eval(mem, PhysicalExprs.isIn(i, Arrays.asList(1L, null)), s, rows),
                    "no match and a null among the values gives null");
            assertEquals(Arrays.asList(false, false, null, false), eval(mem, PhysicalExprs.isIn(i, List.of()), s, rows));
            assertEquals(Arrays.asList(true, false, true, true), eval(mem, PhysicalExprs.isIn(f, List.of(0.0, 1, 2.5, Double.NaN)), s, rows),
                    "-0.0 equals 0.0; NaN equals nothing");
            assertEquals(Arrays.asList(false, false, null, true), eval(mem, PhysicalExprs.isIn(i, List.of(7.0, 1.5)), s, rows),
                    "int64 against float64 values compares as float64");
            assertEquals(Arrays.asList(false, true, null, false),
                    eval(mem, PhysicalExprs.isIn(d, List.of(LocalDate.of(1995, 3, 16))), s, rows));
            assertEquals(Arrays.asList(true, true, null, false), eval(mem, PhysicalExprs.isIn(str, List.of("SHIP", "MAIL", "")), s, rows));
        });
    }

    @Test
    void betweenIncludesBothEndsWithThreeValuedNulls() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("x", DataType.INT32), Field.of("lo", DataType.FLOAT64), Field.of("hi", DataType.INT64));
            List<List<Object>> rows = List.of(
                    Arrays.asList(5, 5.0, 10L),
                    Arrays.asList(10, 5.0, 10L),
                    Arrays.asList(11, 5.0, 10L),
                    Arrays.asList(null, 5.0, 10L),
                    Arrays.asList(5, null, 10L),
                    Arrays.asList(50, null, 10L),
                    Arrays.asList(4, 4.5, null));
            PhysicalExpr x = column(0, "x", DataType.INT32);
            PhysicalExpr between = PhysicalExprs.between(x, column(1, "lo", DataType.FLOAT64), column(2, "hi", DataType.INT64));
            assertEquals("col(\"x\").between(col(\"lo\"), col(\"hi\"))", between.toString());
            assertEquals(Arrays.asList(true, true, false, null, null, false, false), eval(mem, between, s, rows),
                    "a null bound gives null unless the other bound already fails");
        });
    }

    @Test
    void substringCountsCharactersFromOne() {
        assertNoLeaks(mem -> {
            List<List<Object>> rows = strings("13-abc", "日本語テキスト", "", null, "\uD83D\uDE00x");
            assertEquals(Arrays.asList("13", "日本", "", null, "\uD83D\uDE00x"), eval(mem, PhysicalExprs.substring(STR, 1, 2L), S, rows));
            assertEquals(Arrays.asList("3-a", "本語テ", "", null, "x"), eval(mem, PhysicalExprs.substring(STR, 2, 3L), S, rows));
            assertEquals(Arrays.asList("1", "日", "", null, "\uD83D\uDE00"), eval(mem, PhysicalExprs.substring(STR, 0, 2L), S, rows),
                    "positions before the first character count (SQL)");
            assertEquals(Arrays.asList("", "", "", null, ""), eval(mem, PhysicalExprs.substring(STR, -3, 3L), S, rows));
            assertEquals(Arrays.asList("abc", "テキスト", "", null, ""), eval(mem, PhysicalExprs.substring(STR, 4, null), S, rows));
            assertEquals(Arrays.asList("", "", "", null, ""), eval(mem, PhysicalExprs.substring(STR, 100, 5L), S, rows));
        });
        assertTrue(assertThrows(ExprTypeException.class, () -> PhysicalExprs.substring(STR, 1, -1L)).getMessage()
                .contains("substring length must not be negative in col(\"s\").str.substring(1, -1)"));
    }

    @Test
    void coalescePromotesNumbersAndSkipsNulls() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("a", DataType.INT32), Field.of("b", DataType.FLOAT64), Field.of("t", DataType.UTF8));
            List<List<Object>> rows = List.of(Arrays.asList(1, 2.5, "x"), Arrays.asList(null, 2.5, null), Arrays.asList(null, null, null));
            PhysicalExpr a = column(0, "a", DataType.INT32);
            PhysicalExpr b = column(1, "b", DataType.FLOAT64);
            PhysicalExpr t = column(2, "t", DataType.UTF8);
            PhysicalExpr c = PhysicalExprs.coalesce(List.of(a, b, literal(0, DataType.INT32)));
            assertEquals(DataType.FLOAT64, c.type());
            assertEquals(Arrays.asList(1.0, 2.5, 0.0), eval(mem, c, s, rows));
            assertEquals(Arrays.asList("x", null, null), eval(mem, PhysicalExprs.coalesce(List.of(t)), s, rows));
            assertEquals(Arrays.asList("x", "none", "none"), eval(mem, PhysicalExprs.coalesce(List.of(t, literal("none", DataType.UTF8))), s, rows));
            assertEquals(Arrays.asList(1, 7, 7), eval(mem, PhysicalExprs.coalesce(List.of(a, a, literal(7, DataType.INT32))), s, rows));
            ExprTypeException e = assertThrows(ExprTypeException.class, () -> PhysicalExprs.coalesce(List.of(a, t)));
            assertEquals("coalesce() values have different types: int32 and utf8 (col(\"t\")) in coalesce(col(\"a\"), col(\"t\"))",
                    e.getMessage());
        });
    }

    @Test
    void absAndRoundHalfAwayFromZero() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("f", DataType.FLOAT64), Field.of("i", DataType.INT64));
            List<List<Object>> rows = List.of(Arrays.asList(2.675, 1250L), Arrays.asList(-2.5, -1250L), Arrays.asList(-0.4, -1249L),
                    Arrays.asList(Double.NaN, Long.MIN_VALUE), Arrays.asList(null, null), Arrays.asList(1234.5, 0L));
            PhysicalExpr f = column(0, "f", DataType.FLOAT64);
            PhysicalExpr i = column(1, "i", DataType.INT64);
            assertEquals(Arrays.asList(2.68, -2.5, -0.4, Double.NaN, null, 1234.5), eval(mem, PhysicalExprs.round(f, 2), s, rows),
                    "2.675 rounds as it reads");
            assertEquals(Arrays.asList(3.0, -3.0, 0.0, Double.NaN, null, 1235.0), eval(mem, PhysicalExprs.round(f, 0), s, rows));
            assertEquals(Arrays.asList(0.0, 0.0, 0.0, Double.NaN, null, 1200.0), eval(mem, PhysicalExprs.round(f, -2), s, rows));
            assertEquals(Arrays.asList(1300L, -1300L, -1200L, -9_223_372_036_854_775_800L, null, 0L),
                    eval(mem, PhysicalExprs.round(i, -2), s, rows), "integers round to hundreds half away from zero");
            assertEquals(Arrays.asList(1250L, -1250L, -1249L, Long.MIN_VALUE, null, 0L), eval(mem, PhysicalExprs.round(i, 2), s, rows));
            assertEquals(Arrays.asList(2.675, 2.5, 0.4, Double.NaN, null, 1234.5), eval(mem, PhysicalExprs.unary(UnaryOp.ABS, f), s, rows));
            assertEquals(Arrays.asList(1250L, 1250L, 1249L, Long.MIN_VALUE, null, 0L), eval(mem, PhysicalExprs.unary(UnaryOp.ABS, i), s, rows),
                    "abs of the minimum wraps, as Math.abs");
        });
        assertEquals(0.1 + 0.2, Round.round(0.1 + 0.2, Integer.MAX_VALUE), "more digits than a double has: unchanged");
        assertEquals(0.0, Round.round(-1e300, Integer.MIN_VALUE));
        assertEquals(1e300, Round.round(1e300, -299), "rounds to 10^299: the nearest double to 1e300 is itself");
        assertTrue(assertThrows(ExprTypeException.class, () -> PhysicalExprs.round(STR, 1)).getMessage()
                .contains("cannot apply round to utf8 in col(\"s\").round(1): it needs a number"));
        assertTrue(assertThrows(ExprTypeException.class, () -> PhysicalExprs.unary(UnaryOp.ABS, STR)).getMessage()
                .contains("cannot apply abs to utf8 in col(\"s\").abs(): it needs a number"));
    }

    @Test
    void roundAgreesWithBigDecimalOnRandomDoubles() {
        for (long seed = 1; seed <= 20; seed++) {
            Random rnd = new Random(seed);
            for (int k = 0; k < 20_000; k++) {
                double x = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextInt(1_000_000) / 1000.0 + 0.0005; // many ties at 3 digits
                    case 1 -> (rnd.nextLong() >> rnd.nextInt(64)) / Math.pow(10, rnd.nextInt(20));
                    case 2 -> Double.longBitsToDouble(rnd.nextLong());
                    default -> rnd.nextInt(20_001) / 8.0 - 1250; // exact binary ties
                };
                int digits = rnd.nextInt(30) - 8;
                double want = Double.isNaN(x) || Double.isInfinite(x) ? x
                        : new BigDecimal(Double.toString(x)).setScale(digits, RoundingMode.HALF_UP).doubleValue();
                assertEquals(want == 0 ? 0.0 : want, Round.round(x, digits), "seed " + seed + ": round(" + x + ", " + digits + ")");
            }
        }
    }

    @Test
    void intervalsClampToTheEndOfTheMonth() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("d", DataType.DATE32));
            PhysicalExpr d = column(0, "d", DataType.DATE32);
            List<List<Object>> rows = List.of(List.of(LocalDate.of(2024, 1, 31)), List.of(LocalDate.of(2024, 2, 29)),
                    List.of(LocalDate.of(1998, 12, 1)), Arrays.asList((Object) null));
            assertEquals(Arrays.asList(LocalDate.of(2024, 2, 29), LocalDate.of(2024, 3, 29), LocalDate.of(1999, 1, 1), null),
                    eval(mem, PhysicalExprs.addInterval(d, 1, 0), s, rows));
            assertEquals(Arrays.asList(LocalDate.of(2025, 1, 31), LocalDate.of(2025, 2, 28), LocalDate.of(1999, 12, 1), null),
                    eval(mem, PhysicalExprs.addInterval(d, 12, 0), s, rows), "Feb 29 + 1 year is Feb 28");
            assertEquals(Arrays.asList(LocalDate.of(2023, 11, 1), LocalDate.of(2023, 11, 30), LocalDate.of(1998, 9, 2), null),
                    eval(mem, PhysicalExprs.addInterval(d, -2, -29), s, rows), "months first (Jan 31 - 2 months is Nov 30), then days");
            assertEquals("(col(\"d\") - interval '90 days')", PhysicalExprs.addInterval(d, 0, -90).toString());
            assertEquals("(col(\"d\") + interval '1 year 3 months 2 days')", PhysicalExprs.addInterval(d, 15, 2).toString());
            List<List<Object>> wide = new ArrayList<>();
            Random rnd = new Random(7);
            for (int k = 0; k < 2000; k++) {
                wide.add(List.of(LocalDate.ofEpochDay(rnd.nextInt(1_400_000) - 700_000)));
            }
            for (int months : new int[] {1, -1, 13, -25, 1200}) {
                List<Object> got = eval(mem, PhysicalExprs.addInterval(d, months, 3), s, wide);
                for (int k = 0; k < wide.size(); k++) {
                    LocalDate in = (LocalDate) wide.get(k).get(0);
                    assertEquals(in.plusMonths(months).plusDays(3), got.get(k), in + " + " + months + " months");
                }
            }
            assertThrows(ExprEvaluationException.class, () -> eval(mem, PhysicalExprs.addInterval(d, 0, Integer.MAX_VALUE), s, rows));
        });
        assertEquals("cannot add interval '3 months' to utf8 in (col(\"s\") + interval '3 months'): it needs a date32 or timestamp",
                assertThrows(ExprTypeException.class, () -> PhysicalExprs.addInterval(STR, 3, 0)).getMessage());
    }

    @Test
    void typeErrorsNameTheFunctionAndWhatFits() {
        PhysicalExpr n = column(0, "n", DataType.INT64);
        assertEquals("cannot apply is_in to int64 with a utf8 value (\"x\") in col(\"n\").is_in([1, \"x\"]): the values must be"
                        + " numbers (int32, int64 or float64) or null",
                assertThrows(ExprTypeException.class, () -> PhysicalExprs.isIn(n, List.of(1, "x"))).getMessage());
        assertEquals("cannot apply is_in to utf8 with a int32 value (3) in col(\"s\").is_in([3]): the values must be utf8 or null",
                assertThrows(ExprTypeException.class, () -> PhysicalExprs.isIn(STR, List.of(3))).getMessage());
        assertEquals("cannot apply between to int64 with bounds utf8 and int64 in col(\"n\").between(\"a\", 3): the bounds must be"
                        + " numbers (int32, int64 or float64)",
                assertThrows(ExprTypeException.class, () -> PhysicalExprs.between(n, literal("a", DataType.UTF8),
                        literal(3L, DataType.INT64))).getMessage());
        assertEquals("cannot apply like to int64 in col(\"n\").str.like(\"a%\"): it needs utf8",
                assertThrows(ExprTypeException.class, () -> PhysicalExprs.like(n, "a%", false)).getMessage());
        assertEquals("cannot apply substring to int64 in col(\"n\").str.substring(1, 2): it needs utf8",
                assertThrows(ExprTypeException.class, () -> PhysicalExprs.substring(n, 1, 2L)).getMessage());
    }

    @Test
    void newFunctionsInRandomTreesAgreeWithTheOracleAcrossSeeds() {
        Schema schema = Schema.of(Field.of("i", DataType.INT32), Field.of("l", DataType.INT64), Field.of("f", DataType.FLOAT64),
                Field.of("b", DataType.BOOLEAN), Field.of("s", DataType.UTF8), Field.of("d", DataType.DATE32));
        DataType[] kinds = {DataType.BOOLEAN, DataType.UTF8, DataType.DATE32, DataType.INT32, DataType.FLOAT64};
        for (long seed = 1; seed <= 25; seed++) {
            Random rnd = new Random(seed);
            long s = seed;
            assertNoLeaks(mem -> {
                for (int round = 0; round < 30; round++) {
                    List<List<Object>> rows = RandomData.rows(schema, 1 + rnd.nextInt(200), rnd, 0.2);
                    OracleExpr.Node tree = OracleExpr.random(rnd, schema, 4, kinds[round % kinds.length]);
                    PhysicalExpr physical = tree.compile(schema);
                    List<Object> got = eval(mem, physical, schema, rows);
                    for (int r = 0; r < rows.size(); r++) {
                        assertEquals(tree.eval(rows.get(r)), got.get(r), "seed " + s + ", row " + r + " " + rows.get(r) + " of " + physical);
                    }
                }
            });
        }
    }

    @Test
    void evaluatesOverASlicedMorsel() {
        assertNoLeaks(mem -> {
            List<List<Object>> rows = strings("xa", "ab", null, "abc", "b");
            EvalContext ctx = new EvalContext(mem.pool(), mem.budget());
            try (Morsel m = RandomData.morsel(S, rows, 0, mem.pool(), mem.budget());
                 Morsel slice = m.slice(1, 3);
                 ColumnVector v = PhysicalExprs.like(STR, "a%", false).evaluate(slice, ctx);
                 ColumnVector sub = PhysicalExprs.substring(STR, 2, 1L).evaluate(slice, ctx)) {
                assertEquals(Arrays.asList(true, null, true), List.of(0, 1, 2).stream().map(v::getObject).toList());
                assertEquals(Arrays.asList("b", null, "b"), List.of(0, 1, 2).stream().map(sub::getObject).toList());
            }
        });
    }
}
