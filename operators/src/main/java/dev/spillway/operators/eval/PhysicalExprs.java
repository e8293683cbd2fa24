package dev.spillway.operators.eval;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds type-checked {@link PhysicalExpr}s. Type rules:
 * <ul>
 *   <li>Arithmetic on INT32, INT64, FLOAT64 promotes to the wider type (INT32 &lt; INT64 &lt; FLOAT64);
 *       integer overflow wraps as in Java; {@code /} always gives FLOAT64 (x/0 is ±infinity, 0/0 NaN);
 *       integer {@code %} by zero gives null; float {@code %} is Java's remainder (sign of the dividend).</li>
 *   <li>Comparisons: numbers with numbers (promoted), and otherwise equal types: UTF8 by bytes
 *       (= code point order), DATE32, BOOLEAN (false &lt; true). Floats compare as IEEE 754: NaN is
 *       unequal to everything, itself included.</li>
 *   <li>AND, OR, NOT on BOOLEAN with SQL three-valued logic; any other operator on a null gives null.</li>
 * </ul>
 * Errors name the expression and the types, e.g. {@code cannot apply '+' to utf8 and int64 in (col("name") + 1)}.
 */
public final class PhysicalExprs {
    private PhysicalExprs() {
    }

    // ================================================================== factories

    /** A reference to input column {@code index}. */
    public static PhysicalExpr column(int index, String name, DataType type) {
        return new ColumnRef(index, name, type);
    }

    /**
     * A constant of {@code type}: Integer (int32), Long or Integer (int64), any Number (float64),
     * Boolean, String (utf8), LocalDate or Integer days (date32), or null.
     */
    public static PhysicalExpr literal(Object value, DataType type) {
        return new Literal(normalize(value, type), type);
    }

    static Object normalize(Object value, DataType type) {
        if (value == null) {
            return null;
        }
        Object v = switch (type) {
            case INT32 -> value instanceof Integer ? value : null;
            case INT64 -> value instanceof Long || value instanceof Integer ? ((Number) value).longValue() : null;
            case FLOAT64 -> value instanceof Number n ? n.doubleValue() : null;
            case BOOLEAN -> value instanceof Boolean ? value : null;
            case UTF8 -> value instanceof String ? value : null;
            case DATE32 -> value instanceof LocalDate d ? d : value instanceof Integer i ? LocalDate.ofEpochDay(i) : null;
        };
        if (v == null) {
            throw new ExprTypeException("literal " + value + " (" + value.getClass().getSimpleName() + ") is not a "
                    + type.displayName());
        }
        return v;
    }

    /** A binary operation; throws {@link ExprTypeException} when the operand types do not fit. */
    public static PhysicalExpr binary(BinaryOp op, PhysicalExpr left, PhysicalExpr right) {
        DataType l = left.type();
        DataType r = right.type();
        String where = "(" + left + " " + op.symbol() + " " + right + ")";
        if (op.isArithmetic()) {
            if (!l.isNumeric() || !r.isNumeric()) {
                throw mismatch(op, l, r, where);
            }
            DataType result = op == BinaryOp.DIV ? DataType.FLOAT64 : promote(l, r);
            return new Arithmetic(op, left, right, result);
        }
        if (op.isComparison()) {
            DataType common;
            if (l.isNumeric() && r.isNumeric()) {
                common = promote(l, r);
            } else if (l == r) {
                common = l;
            } else {
                throw mismatch(op, l, r, where);
            }
            return new Comparison(op, left, right, common);
        }
        if (l != DataType.BOOLEAN || r != DataType.BOOLEAN) {
            throw mismatch(op, l, r, where);
        }
        return new Logical(op, left, right);
    }

    static ExprTypeException mismatch(BinaryOp op, DataType l, DataType r, String where) {
        return new ExprTypeException("cannot apply '" + op.symbol() + "' to " + l.displayName() + " and "
                + r.displayName() + " in " + where);
    }

    static DataType promote(DataType a, DataType b) {
        if (a == DataType.FLOAT64 || b == DataType.FLOAT64) {
            return DataType.FLOAT64;
        }
        if (a == DataType.INT64 || b == DataType.INT64) {
            return DataType.INT64;
        }
        return DataType.INT32;
    }

    /** A unary operation or function; throws {@link ExprTypeException} for an unfit operand. */
    public static PhysicalExpr unary(UnaryOp op, PhysicalExpr input) {
        DataType t = input.type();
        String where = input + "." + op.name().toLowerCase(java.util.Locale.ROOT) + "()";
        DataType result = switch (op) {
            case NOT -> t == DataType.BOOLEAN ? DataType.BOOLEAN : null;
            case NEGATE -> t.isNumeric() ? t : null;
            case IS_NULL, IS_NOT_NULL -> DataType.BOOLEAN;
            case LENGTH -> t == DataType.UTF8 ? DataType.INT32 : null;
            case YEAR, MONTH, DAY -> t == DataType.DATE32 ? DataType.INT32 : null;
        };
        if (result == null) {
            throw new ExprTypeException("cannot apply " + op.name().toLowerCase(java.util.Locale.ROOT) + " to "
                    + t.displayName() + " in " + where);
        }
        return new Unary(op, input, result);
    }

    /** A conversion to {@code to}; every pair of types converts (strings are parsed at run time). */
    public static PhysicalExpr cast(PhysicalExpr input, DataType to) {
        if (input.type() == to) {
            return input;
        }
        if ((input.type() == DataType.DATE32 && to != DataType.UTF8 && to != DataType.INT32 && to != DataType.INT64)
                || (to == DataType.DATE32 && input.type() != DataType.UTF8 && input.type() != DataType.INT32
                && input.type() != DataType.INT64)) {
            throw new ExprTypeException("cannot cast " + input.type().displayName() + " to " + to.displayName() + " in "
                    + input + ".cast(" + to.displayName() + ")");
        }
        return new Cast(input, to);
    }

    /** A test of a utf8 value against a constant pattern. */
    public static PhysicalExpr stringPredicate(StringOp op, PhysicalExpr input, String pattern) {
        if (input.type() != DataType.UTF8) {
            throw new ExprTypeException("cannot apply " + op.name().toLowerCase(java.util.Locale.ROOT) + " to "
                    + input.type().displayName() + " in " + input + ": it needs utf8");
        }
        return new StringMatch(op, input, pattern);
    }

    /** {@code when(c1).then(v1)...otherwise(o)}: the value of the first true condition. */
    public static PhysicalExpr when(List<PhysicalExpr> conditions, List<PhysicalExpr> values, PhysicalExpr otherwise) {
        if (conditions.isEmpty() || conditions.size() != values.size()) {
            throw new ExprTypeException("when() needs as many values as conditions, at least one");
        }
        for (PhysicalExpr c : conditions) {
            if (c.type() != DataType.BOOLEAN) {
                throw new ExprTypeException("when() condition " + c + " is " + c.type().displayName() + ", not boolean");
            }
        }
        List<PhysicalExpr> all = new ArrayList<>(values);
        all.add(otherwise);
        DataType result = all.get(0).type();
        for (PhysicalExpr v : all) {
            if (v.type() == result) {
                continue;
            }
            if (v.type().isNumeric() && result.isNumeric()) {
                result = promote(result, v.type());
            } else {
                throw new ExprTypeException("when() branches have different types: " + result.displayName() + " and "
                        + v.type().displayName() + " (" + v + ")");
            }
        }
        List<PhysicalExpr> cast = new ArrayList<>();
        for (PhysicalExpr v : values) {
            cast.add(cast(v, result));
        }
        return new When(List.copyOf(conditions), cast, cast(otherwise, result), result);
    }

    /**
     * Evaluates an expression that references no column (constant folding).
     *
     * @return Integer, Long, Double, Boolean, String, LocalDate or null
     */
    public static Object evaluateConstant(PhysicalExpr expr) {
        if (expr instanceof Literal l) {
            return l.value();
        }
        try (BlockPool pool = new BlockPool(64 << 10);
             MemoryBudget budget = MemoryBudget.root("constant-folding", 64L << 20);
             Morsel one = new Morsel(new Schema(List.of()), List.of(), 1, 0);
             ColumnVector v = expr.evaluate(one, new EvalContext(pool, budget))) {
            return v.getObject(0);
        }
    }

    // ================================================================== nodes

    /** Evaluates an operand unless it is a literal (kernels then use the scalar). */
    static ColumnVector operand(PhysicalExpr e, Morsel input, EvalContext ctx) {
        return e instanceof Literal ? null : e.evaluate(input, ctx);
    }

    /** Unsigned lexicographic comparison of two byte ranges (UTF-8 byte order = code point order). */
    static int compareBytes(MemorySegment a, long aOff, int aLen, MemorySegment b, long bOff, int bLen) {
        long m = MemorySegment.mismatch(a, aOff, aOff + aLen, b, bOff, bOff + bLen);
        if (m < 0) {
            return 0;
        }
        if (m == aLen) {
            return -1;
        }
        if (m == bLen) {
            return 1;
        }
        return Integer.compare(Byte.toUnsignedInt(a.get(ValueLayout.JAVA_BYTE, aOff + m)),
                Byte.toUnsignedInt(b.get(ValueLayout.JAVA_BYTE, bOff + m)));
    }

}
