package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;
import dev.spillway.errors.ExprTypeException;
import dev.spillway.expr.BinaryOp;
import dev.spillway.expr.StringOp;
import dev.spillway.expr.UnaryOp;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static dev.spillway.operators.eval.PhysicalExprs.binary;
import static dev.spillway.operators.eval.PhysicalExprs.cast;
import static dev.spillway.operators.eval.PhysicalExprs.column;
import static dev.spillway.operators.eval.PhysicalExprs.literal;
import static dev.spillway.operators.eval.PhysicalExprs.unary;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExprEvalTest {
    private static final Schema BOOLS = Schema.of(Field.of("a", DataType.BOOLEAN), Field.of("b", DataType.BOOLEAN));

    static List<Object> eval(TestMemory mem, PhysicalExpr e, Schema schema, List<List<Object>> rows) {
        try (Morsel m = RandomData.morsel(schema, rows, 0, mem.pool(), mem.budget());
             ColumnVector v = e.evaluate(m, new EvalContext(mem.pool(), mem.budget()))) {
            assertEquals(e.type(), v.type(), "declared type of " + e);
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < v.length(); i++) {
                out.add(v.getObject(i));
            }
            return out;
        }
    }

    @Test
    void threeValuedLogicTruthTables() {
        assertNoLeaks(mem -> {
            List<List<Object>> rows = new ArrayList<>();
            Boolean[] vals = {true, false, null};
            for (Boolean a : vals) {
                for (Boolean b : vals) {
                    rows.add(Arrays.asList(a, b));
                }
            }
            PhysicalExpr a = column(0, "a", DataType.BOOLEAN);
            PhysicalExpr b = column(1, "b", DataType.BOOLEAN);
            // rows: TT TF TN FT FF FN NT NF NN
            assertEquals(Arrays.asList(true, false, null, false, false, false, null, false, null),
                    eval(mem, binary(BinaryOp.AND, a, b), BOOLS, rows));
            assertEquals(Arrays.asList(true, true, true, true, false, null, true, null, null),
                    eval(mem, binary(BinaryOp.OR, a, b), BOOLS, rows));
            assertEquals(Arrays.asList(false, false, false, true, true, true, null, null, null),
                    eval(mem, unary(UnaryOp.NOT, a), BOOLS, rows));
            assertEquals(Arrays.asList(false, false, false, false, false, false, true, true, true),
                    eval(mem, unary(UnaryOp.IS_NULL, a), BOOLS, rows));
        });
    }

    @Test
    void logicOfBooleanViewsAtABitOffset() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(42);
            List<List<Object>> rows = new ArrayList<>();
            for (int r = 0; r < 100; r++) {
                rows.add(Arrays.asList(rnd.nextBoolean(), rnd.nextBoolean()));
            }
            PhysicalExpr a = column(0, "a", DataType.BOOLEAN);
            PhysicalExpr b = column(1, "b", DataType.BOOLEAN);
            EvalContext ctx = new EvalContext(mem.pool(), mem.budget());
            try (Morsel m = RandomData.morsel(BOOLS, rows, 0, mem.pool(), mem.budget());
                 Morsel slice = m.slice(3, 90);
                 ColumnVector and = binary(BinaryOp.AND, a, b).evaluate(slice, ctx);
                 ColumnVector or = binary(BinaryOp.OR, a, b).evaluate(slice, ctx)) {
                for (int r = 0; r < 90; r++) {
                    boolean x = (Boolean) rows.get(r + 3).get(0);
                    boolean y = (Boolean) rows.get(r + 3).get(1);
                    assertEquals(x && y, and.getObject(r), "and, row " + r);
                    assertEquals(x || y, or.getObject(r), "or, row " + r);
                }
            }
        });
    }

    @Test
    void arithmeticPromotionNullsAndEdgeCases() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("i", DataType.INT32), Field.of("l", DataType.INT64), Field.of("d", DataType.FLOAT64));
            List<List<Object>> rows = List.of(
                    Arrays.asList(7, 2L, 0.5),
                    Arrays.asList(null, 3L, 1.0),
                    Arrays.asList(Integer.MAX_VALUE, 0L, 0.0),
                    Arrays.asList(-7, -2L, null));
            PhysicalExpr i = column(0, "i", DataType.INT32);
            PhysicalExpr l = column(1, "l", DataType.INT64);
            PhysicalExpr d = column(2, "d", DataType.FLOAT64);
            assertEquals(DataType.INT64, binary(BinaryOp.PLUS, i, l).type());
            assertEquals(Arrays.asList(9L, null, (long) Integer.MAX_VALUE, -9L), eval(mem, binary(BinaryOp.PLUS, i, l), s, rows));
            assertEquals(Arrays.asList(8, null, Integer.MIN_VALUE, -6), eval(mem, binary(BinaryOp.PLUS, i, literal(1, DataType.INT32)), s, rows),
                    "int32 overflow wraps");
            assertEquals(Arrays.asList(3.5, null, Double.POSITIVE_INFINITY, 3.5), eval(mem, binary(BinaryOp.DIV, i, l), s, rows),
                    "division is float64; x/0 is infinity");
            assertEquals(Arrays.asList(1L, null, null, -1L), eval(mem, binary(BinaryOp.MOD, i, l), s, rows),
                    "integer modulo by zero is null; sign of the dividend");
            assertEquals(Arrays.asList(3.5, null, 0.0, null), eval(mem, binary(BinaryOp.TIMES, i, d), s, rows));
            assertEquals(Arrays.asList(-7, null, -Integer.MAX_VALUE, 7), eval(mem, unary(UnaryOp.NEGATE, i), s, rows));
            assertEquals(Arrays.asList(null, null, null, null), eval(mem, binary(BinaryOp.PLUS, l, literal(null, DataType.INT64)), s, rows));
        });
    }

    @Test
    void comparisonsOfStringsDatesBooleansAndNaN() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("s", DataType.UTF8), Field.of("t", DataType.UTF8), Field.of("d", DataType.DATE32),
                    Field.of("f", DataType.FLOAT64));
            List<List<Object>> rows = List.of(
                    Arrays.asList("abc", "abd", LocalDate.of(2024, 1, 1), Double.NaN),
                    Arrays.asList("é", "z", LocalDate.of(1969, 12, 31), 1.0),
                    Arrays.asList("", "a", null, -0.0),
                    Arrays.asList(null, "x", LocalDate.of(2024, 1, 1), 0.0));
            PhysicalExpr a = column(0, "s", DataType.UTF8);
            PhysicalExpr b = column(1, "t", DataType.UTF8);
            PhysicalExpr d = column(2, "d", DataType.DATE32);
            PhysicalExpr f = column(3, "f", DataType.FLOAT64);
            assertEquals(Arrays.asList(true, false, true, null), eval(mem, binary(BinaryOp.LT, a, b), s, rows),
                    "byte order = code point order: 'é' > 'z'");
            assertEquals(Arrays.asList(false, true, false, null), eval(mem, binary(BinaryOp.EQ, a, literal("é", DataType.UTF8)), s, rows));
            assertEquals(Arrays.asList(true, false, null, true),
                    eval(mem, binary(BinaryOp.GE, d, literal(LocalDate.of(2024, 1, 1), DataType.DATE32)), s, rows));
            assertEquals(Arrays.asList(false, false, true, true), eval(mem, binary(BinaryOp.EQ, f, literal(0.0, DataType.FLOAT64)), s, rows),
                    "NaN equals nothing; -0.0 == 0.0");
            assertEquals(Arrays.asList(true, true, false, false), eval(mem, binary(BinaryOp.NE, f, literal(0.0, DataType.FLOAT64)), s, rows));
        });
    }

    @Test
    void stringFunctionsOnMultiByteText() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("s", DataType.UTF8));
            List<List<Object>> rows = List.of(List.of("héllo wörld"), List.of("日本語"), List.of(""), Arrays.asList((Object) null),
                    List.of("\uD83D\uDE00 smile"));
            PhysicalExpr c = column(0, "s", DataType.UTF8);
            assertEquals(Arrays.asList(11, 3, 0, null, 7), eval(mem, unary(UnaryOp.CHAR_LENGTH, c), s, rows));
            assertEquals(Arrays.asList(true, false, false, null, false), eval(mem, PhysicalExprs.stringPredicate(StringOp.STARTS_WITH, c, "hé"), s, rows));
            assertEquals(Arrays.asList(false, true, false, null, false), eval(mem, PhysicalExprs.stringPredicate(StringOp.ENDS_WITH, c, "本語"), s, rows));
            assertEquals(Arrays.asList(true, false, false, null, false), eval(mem, PhysicalExprs.stringPredicate(StringOp.CONTAINS, c, "ö"), s, rows));
            assertEquals(Arrays.asList(true, true, true, null, true), eval(mem, PhysicalExprs.stringPredicate(StringOp.CONTAINS, c, ""), s, rows));
        });
    }

    @Test
    void datePartsAgreeWithJavaTimeOverAWideRange() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("d", DataType.DATE32));
            List<List<Object>> rows = new ArrayList<>();
            for (long day = -800_000; day <= 800_000; day += 997) {
                rows.add(List.of(LocalDate.ofEpochDay(day)));
            }
            rows.add(List.of(LocalDate.of(2000, 2, 29)));
            rows.add(List.of(LocalDate.of(1900, 3, 1)));
            PhysicalExpr d = column(0, "d", DataType.DATE32);
            List<Object> years = eval(mem, unary(UnaryOp.YEAR, d), s, rows);
            List<Object> months = eval(mem, unary(UnaryOp.MONTH, d), s, rows);
            List<Object> days = eval(mem, unary(UnaryOp.DAY, d), s, rows);
            for (int i = 0; i < rows.size(); i++) {
                LocalDate date = (LocalDate) rows.get(i).get(0);
                assertEquals(List.of(date.getYear(), date.getMonthValue(), date.getDayOfMonth()),
                        List.of(years.get(i), months.get(i), days.get(i)), date.toString());
            }
        });
    }

    @Test
    void castsAndTheirErrors() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("s", DataType.UTF8));
            PhysicalExpr c = column(0, "s", DataType.UTF8);
            assertEquals(Arrays.asList(12L, -3L, null), eval(mem, cast(c, DataType.INT64), s,
                    List.of(List.of("12"), List.of(" -3 "), Arrays.asList((Object) null))));
            assertEquals(List.of(LocalDate.of(2024, 2, 29)), eval(mem, cast(c, DataType.DATE32), s, List.of(List.of("2024-02-29"))));
            ExprEvaluationException e = assertThrows(ExprEvaluationException.class,
                    () -> eval(mem, cast(c, DataType.INT64), s, List.of(List.of("12x"))));
            assertEquals("cannot cast '12x' to int64 in col(\"s\").cast(int64)", e.getMessage());
            e = assertThrows(ExprEvaluationException.class, () -> eval(mem, cast(c, DataType.DATE32), s, List.of(List.of("2024-13-01"))));
            assertTrue(e.getMessage().contains("(expected yyyy-MM-dd)"), e.getMessage());
            Schema n = Schema.of(Field.of("x", DataType.FLOAT64));
            PhysicalExpr x = column(0, "x", DataType.FLOAT64);
            assertEquals(Arrays.asList(2L, -2L), eval(mem, cast(x, DataType.INT64), n, List.of(List.of(2.9), List.of(-2.9))), "truncates");
            assertEquals(Arrays.asList("2.5", "NaN"), eval(mem, cast(x, DataType.UTF8), n, List.of(List.of(2.5), List.of(Double.NaN))));
            assertThrows(ExprEvaluationException.class, () -> eval(mem, cast(x, DataType.INT32), n, List.of(List.of(Double.NaN))));
            assertThrows(ExprTypeException.class, () -> cast(x, DataType.DATE32));
        });
    }

    @Test
    void typeErrorsNameTheExpression() {
        PhysicalExpr name = column(0, "name", DataType.UTF8);
        PhysicalExpr flag = column(1, "flag", DataType.BOOLEAN);
        PhysicalExpr n = column(2, "n", DataType.INT64);
        assertEquals("cannot apply '+' to utf8 and int64 in (col(\"name\") + 1)",
                assertThrows(ExprTypeException.class, () -> binary(BinaryOp.PLUS, name, literal(1L, DataType.INT64))).getMessage());
        assertEquals("cannot apply '&' to boolean and int64 in (col(\"flag\") & col(\"n\"))",
                assertThrows(ExprTypeException.class, () -> binary(BinaryOp.AND, flag, n)).getMessage());
        assertEquals("cannot apply '<' to utf8 and boolean in (col(\"name\") < col(\"flag\"))",
                assertThrows(ExprTypeException.class, () -> binary(BinaryOp.LT, name, flag)).getMessage());
        assertTrue(assertThrows(ExprTypeException.class, () -> unary(UnaryOp.YEAR, n)).getMessage()
                .contains("cannot apply year to int64"));
        assertTrue(assertThrows(ExprTypeException.class, () -> literal("x", DataType.INT64)).getMessage()
                .contains("is not a int64"));
    }

    @Test
    void constantsFold() {
        assertEquals(7L, PhysicalExprs.evaluateConstant(binary(BinaryOp.PLUS, literal(3L, DataType.INT64), literal(4L, DataType.INT64))));
        assertEquals(true, PhysicalExprs.evaluateConstant(binary(BinaryOp.GT, literal(2.5, DataType.FLOAT64), literal(1, DataType.INT32))));
        assertEquals(null, PhysicalExprs.evaluateConstant(binary(BinaryOp.MOD, literal(3L, DataType.INT64), literal(0L, DataType.INT64))));
        assertEquals("hello", PhysicalExprs.evaluateConstant(literal("hello", DataType.UTF8)));
    }

    @Test
    void randomExpressionTreesAgreeWithTheOracle() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        Schema schema = Schema.of(Field.of("i", DataType.INT32), Field.of("l", DataType.INT64), Field.of("f", DataType.FLOAT64),
                Field.of("b", DataType.BOOLEAN), Field.of("s", DataType.UTF8), Field.of("d", DataType.DATE32));
        try {
            assertNoLeaks(mem -> {
                for (int round = 0; round < 60; round++) {
                    List<List<Object>> rows = RandomData.rows(schema, 1 + rnd.nextInt(300), rnd, 0.2);
                    OracleExpr.Node tree = OracleExpr.random(rnd, schema, 4);
                    PhysicalExpr physical = tree.compile(schema);
                    List<Object> got = eval(mem, physical, schema, rows);
                    for (int r = 0; r < rows.size(); r++) {
                        Object want = tree.eval(rows.get(r));
                        assertEquals(want, got.get(r), "row " + r + " " + rows.get(r) + " of " + physical);
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }
}
