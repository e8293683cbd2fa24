package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;
import dev.spillway.errors.ExprTypeException;
import dev.spillway.expr.BinaryOp;
import dev.spillway.expr.UnaryOp;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static dev.spillway.operators.eval.ExprEvalTest.eval;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decimal expressions against a BigDecimal oracle: random precisions and scales (the int64 fast
 * path and the 128-bit path), negatives, nulls and values at the precision limit.
 */
class DecimalEvalTest {
    private static final int ROWS = 300;

    private record Case(Schema schema, List<List<Object>> rows, PhysicalExpr a, PhysicalExpr b, PhysicalExpr i,
            DecimalType ta, DecimalType tb) {
    }

    private static Case randomCase(Random rnd) {
        DecimalType ta = randomType(rnd);
        DecimalType tb = randomType(rnd);
        Schema s = Schema.of(Field.of("a", DataType.DECIMAL128, ta), Field.of("b", DataType.DECIMAL128, tb),
                Field.of("i", DataType.INT64));
        List<List<Object>> rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            BigDecimal a = rnd.nextInt(10) == 0 ? null : RandomData.decimal(ta, rnd);
            BigDecimal b = rnd.nextInt(10) == 0 ? null : rnd.nextInt(8) == 0 && a != null ? a : RandomData.decimal(tb, rnd);
            if (b != null && (b.precision() - b.scale() > tb.precision() - tb.scale() || b.scale() > tb.scale())) {
                b = RandomData.decimal(tb, rnd);
            }
            Long i = rnd.nextInt(10) == 0 ? null : rnd.nextInt(4) == 0 ? rnd.nextLong() : (long) rnd.nextInt(2001) - 1000;
            rows.add(Arrays.asList(a, b == null ? null : b.setScale(tb.scale()), i));
        }
        return new Case(s, rows, PhysicalExprs.column(0, s.field(0)), PhysicalExprs.column(1, s.field(1)),
                PhysicalExprs.column(2, "i", DataType.INT64), ta, tb);
    }

    private static DecimalType randomType(Random rnd) {
        int p = switch (rnd.nextInt(3)) {
            case 0 -> 1 + rnd.nextInt(9);
            case 1 -> 10 + rnd.nextInt(9);
            default -> 19 + rnd.nextInt(20);
        };
        return DecimalType.of(p, rnd.nextInt(Math.min(p, 12) + 1));
    }

    /** The oracle value of a decimal result, or the error message expected instead. */
    private static Object fit(BigDecimal exact, DecimalType t) {
        BigDecimal v = exact.setScale(t.scale(), RoundingMode.HALF_UP);
        return v.unscaledValue().abs().compareTo(DecimalType.pow10(t.precision())) < 0 ? v : OVERFLOW;
    }

    private static final Object OVERFLOW = new Object();

    private static void checkBinary(TestMemory mem, Case c, BinaryOp op, BiFunction<BigDecimal, BigDecimal, BigDecimal> oracle,
            long seed) {
        PhysicalExpr e = PhysicalExprs.binary(op, c.a(), c.b());
        DecimalType t = e.decimalType();
        int scale = op == BinaryOp.TIMES ? c.ta().scale() + c.tb().scale() : Math.max(c.ta().scale(), c.tb().scale());
        assertEquals(scale, t.scale(), "result scale of " + e);
        int precision = op == BinaryOp.TIMES ? c.ta().precision() + c.tb().precision()
                : Math.max(c.ta().precision() - c.ta().scale(), c.tb().precision() - c.tb().scale()) + scale + 1;
        assertEquals(Math.min(38, precision), t.precision(), "result precision of " + e);
        List<Object> expected = new ArrayList<>();
        boolean overflow = false;
        for (List<Object> r : c.rows()) {
            BigDecimal a = (BigDecimal) r.get(0);
            BigDecimal b = (BigDecimal) r.get(1);
            Object v = a == null || b == null ? null : fit(oracle.apply(a, b), t);
            overflow |= v == OVERFLOW;
            expected.add(v);
        }
        if (overflow) {
            ExprEvaluationException ex = assertThrows(ExprEvaluationException.class, () -> eval(mem, e, c.schema(), c.rows()),
                    "seed " + seed + ": " + e);
            assertTrue(ex.getMessage().startsWith("decimal overflow in " + e) && ex.getMessage().contains("does not fit "
                    + t.displayName()), ex.getMessage());
        } else {
            assertEquals(expected, eval(mem, e, c.schema(), c.rows()), "seed " + seed + ": " + e);
        }
    }

    @Test
    void arithmeticAndComparisonsAgreeWithBigDecimalAcrossSeeds() {
        for (long seed = 1; seed <= 60; seed++) {
            long s = seed;
            Random rnd = new Random(seed);
            Case c = randomCase(rnd);
            assertNoLeaks(mem -> {
                checkBinary(mem, c, BinaryOp.PLUS, BigDecimal::add, s);
                checkBinary(mem, c, BinaryOp.MINUS, BigDecimal::subtract, s);
                if (c.ta().scale() + c.tb().scale() <= 38) {
                    checkBinary(mem, c, BinaryOp.TIMES, BigDecimal::multiply, s);
                }
                for (BinaryOp op : new BinaryOp[] {BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE}) {
                    for (PhysicalExpr right : List.of(c.b(), c.i())) {
                        PhysicalExpr e = PhysicalExprs.binary(op, c.a(), right);
                        assertEquals(DataType.BOOLEAN, e.type());
                        List<Object> expected = new ArrayList<>();
                        for (List<Object> r : c.rows()) {
                            BigDecimal a = (BigDecimal) r.get(0);
                            Object o = right == c.b() ? r.get(1) : r.get(2);
                            BigDecimal b = o == null ? null : o instanceof Long l ? BigDecimal.valueOf(l) : (BigDecimal) o;
                            expected.add(a == null || b == null ? null : test(op, a.compareTo(b)));
                        }
                        assertEquals(expected, eval(mem, e, c.schema(), c.rows()), "seed " + s + ": " + e);
                    }
                }
            });
        }
    }

    private static boolean test(BinaryOp op, int c) {
        return switch (op) {
            case EQ -> c == 0;
            case NE -> c != 0;
            case LT -> c < 0;
            case LE -> c <= 0;
            case GT -> c > 0;
            default -> c >= 0;
        };
    }

    @Test
    void integerOperandsBecomeExactDecimals() {
        for (long seed = 100; seed < 120; seed++) {
            long s = seed;
            Case c = randomCase(new Random(seed));
            assertNoLeaks(mem -> {
                PhysicalExpr e = PhysicalExprs.binary(BinaryOp.PLUS, c.a(), c.i());
                DecimalType t = e.decimalType();
                assertEquals(Math.min(38, Math.max(c.ta().precision() - c.ta().scale(), 19) + c.ta().scale() + 1), t.precision());
                List<Object> expected = new ArrayList<>();
                for (List<Object> r : c.rows()) {
                    BigDecimal a = (BigDecimal) r.get(0);
                    Long i = (Long) r.get(2);
                    expected.add(a == null || i == null ? null : fit(a.add(BigDecimal.valueOf(i)), t));
                }
                if (expected.contains(OVERFLOW)) {
                    assertThrows(ExprEvaluationException.class, () -> eval(mem, e, c.schema(), c.rows()));
                } else {
                    assertEquals(expected, eval(mem, e, c.schema(), c.rows()), "seed " + s + ": " + e);
                }
                assertEquals("(col(\"a\") + col(\"i\"))", e.toString(), "implicit casts do not show");
            });
        }
    }

    @Test
    void castsRoundAndAbsAgreeWithBigDecimal() {
        for (long seed = 200; seed < 240; seed++) {
            long s = seed;
            Random rnd = new Random(seed);
            Case c = randomCase(rnd);
            DecimalType target = randomType(rnd);
            int digits = rnd.nextInt(8) - 2;
            assertNoLeaks(mem -> {
                List<Object> toTarget = new ArrayList<>();
                List<Object> toDouble = new ArrayList<>();
                List<Object> toLong = new ArrayList<>();
                List<Object> toText = new ArrayList<>();
                List<Object> abs = new ArrayList<>();
                List<Object> neg = new ArrayList<>();
                List<Object> rounded = new ArrayList<>();
                DecimalType roundType = PhysicalExprs.round(c.a(), digits).decimalType();
                for (List<Object> r : c.rows()) {
                    BigDecimal a = (BigDecimal) r.get(0);
                    toTarget.add(a == null ? null : fit(a, target));
                    toDouble.add(a == null ? null : a.doubleValue());
                    BigDecimal whole = a == null ? null : a.setScale(0, RoundingMode.HALF_UP);
                    toLong.add(whole == null ? null : whole.unscaledValue().bitLength() > 63 ? OVERFLOW : whole.longValueExact());
                    toText.add(a == null ? null : a.toPlainString());
                    abs.add(a == null ? null : a.abs());
                    neg.add(a == null ? null : a.negate());
                    rounded.add(a == null ? null : fit(a.setScale(digits, RoundingMode.HALF_UP), roundType));
                }
                check(mem, c, PhysicalExprs.cast(c.a(), target), toTarget, s);
                check(mem, c, PhysicalExprs.cast(c.a(), DataType.FLOAT64), toDouble, s);
                check(mem, c, PhysicalExprs.cast(c.a(), DataType.INT64), toLong, s);
                check(mem, c, PhysicalExprs.cast(c.a(), DataType.UTF8), toText, s);
                check(mem, c, PhysicalExprs.unary(UnaryOp.ABS, c.a()), abs, s);
                check(mem, c, PhysicalExprs.unary(UnaryOp.NEGATE, c.a()), neg, s);
                check(mem, c, PhysicalExprs.round(c.a(), digits), rounded, s);
                // Back from text and from int64 to the column's own type is the identity.
                check(mem, c, PhysicalExprs.cast(PhysicalExprs.cast(c.a(), DataType.UTF8), c.ta()), new ArrayList<>(
                        c.rows().stream().map(r -> r.get(0)).toList()), s);
                List<Object> fromLong = new ArrayList<>();
                for (List<Object> r : c.rows()) {
                    Long i = (Long) r.get(2);
                    fromLong.add(i == null ? null : fit(BigDecimal.valueOf(i), target));
                }
                check(mem, c, PhysicalExprs.cast(c.i(), target), fromLong, s);
            });
        }
    }

    private static void check(TestMemory mem, Case c, PhysicalExpr e, List<Object> expected, long seed) {
        if (expected.contains(OVERFLOW)) {
            ExprEvaluationException ex = assertThrows(ExprEvaluationException.class, () -> eval(mem, e, c.schema(), c.rows()),
                    "seed " + seed + ": " + e);
            assertTrue(ex.getMessage().contains(e.toString()), ex.getMessage());
        } else {
            assertEquals(expected, eval(mem, e, c.schema(), c.rows()), "seed " + seed + ": " + e);
        }
    }

    @Test
    void overflowNamesTheExpressionAndTheValuesAndNeverWraps() {
        DecimalType t = DecimalType.of(38, 0);
        Schema s = Schema.of(Field.of("a", DataType.DECIMAL128, t));
        BigDecimal max = new BigDecimal(DecimalType.pow10(38).subtract(BigInteger.ONE));
        assertNoLeaks(mem -> {
            PhysicalExpr a = PhysicalExprs.column(0, s.field(0));
            PhysicalExpr sum = PhysicalExprs.binary(BinaryOp.PLUS, a, a);
            ExprEvaluationException e = assertThrows(ExprEvaluationException.class,
                    () -> eval(mem, sum, s, List.of(Arrays.asList((Object) max))));
            assertEquals("decimal overflow in (col(\"a\") + col(\"a\")): " + max.toPlainString() + " + " + max.toPlainString()
                    + " = " + max.add(max).toPlainString() + " does not fit decimal(38,0) (at most 38 digits before the decimal point)",
                    e.getMessage());
            PhysicalExpr narrow = PhysicalExprs.cast(a, DecimalType.of(5, 2));
            ExprEvaluationException c = assertThrows(ExprEvaluationException.class,
                    () -> eval(mem, narrow, s, List.of(Arrays.asList((Object) new BigDecimal("1000")))));
            assertEquals("cannot cast 1000 to decimal(5,2) in col(\"a\").cast(decimal(5,2)): more than 3 digits before the "
                    + "decimal point", c.getMessage());
            Schema text = Schema.of(Field.of("t", DataType.UTF8));
            PhysicalExpr parse = PhysicalExprs.cast(PhysicalExprs.column(0, "t", DataType.UTF8), DecimalType.of(10, 2));
            ExprEvaluationException p = assertThrows(ExprEvaluationException.class,
                    () -> eval(mem, parse, text, List.of(Arrays.asList((Object) "12x"))));
            assertTrue(p.getMessage().startsWith("cannot cast '12x' to decimal(10,2) in col(\"t\").cast(decimal(10,2)): not a number"),
                    p.getMessage());
            assertEquals(List.of(new BigDecimal("-12.35")), eval(mem, parse, text, List.of(Arrays.asList((Object) "-12.345"))),
                    "text with more decimals rounds half away from zero");
        });
        ExprTypeException mod = assertThrows(ExprTypeException.class, () -> PhysicalExprs.binary(BinaryOp.MOD,
                PhysicalExprs.column(0, s.field(0)), PhysicalExprs.literal(2L, DataType.INT64)));
        assertTrue(mod.getMessage().contains("not defined on decimals"), mod.getMessage());
        ExprTypeException str = assertThrows(ExprTypeException.class, () -> PhysicalExprs.binary(BinaryOp.LT,
                PhysicalExprs.column(0, s.field(0)), PhysicalExprs.literal("x", DataType.UTF8)));
        assertTrue(str.getMessage().contains("cannot apply '<' to decimal(38,0) and utf8"), str.getMessage());
    }
}
