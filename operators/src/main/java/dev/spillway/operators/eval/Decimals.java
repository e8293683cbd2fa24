package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;
import dev.spillway.errors.ExprTypeException;
import dev.spillway.expr.BinaryOp;

import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Int128;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * The decimal type rules and the scalar steps the decimal kernels share. Result types follow
 * SQL Server and DuckDB: {@code +} and {@code -} give scale {@code max(s1, s2)} and precision
 * {@code max(p1 - s1, p2 - s2) + max(s1, s2) + 1}; {@code *} gives {@code (p1 + p2, s1 + s2)};
 * precisions are capped at 38 (a scale above 38 is a type error). A value that does not fit its
 * result type is an {@link ExprEvaluationException}, never a wrapped value.
 */
final class Decimals {
    /** int32 as a decimal: 10 digits. */
    static final DecimalType INT32 = DecimalType.of(10, 0);
    /** int64 as a decimal: 19 digits. */
    static final DecimalType INT64 = DecimalType.of(19, 0);

    private Decimals() {
    }

    /** The type of a decimal constant: its own scale and digits (at least the scale, at least one). */
    static DecimalType typeOf(BigDecimal value) {
        BigDecimal v = value.scale() < 0 ? value.setScale(0) : value;
        if (v.scale() > DecimalType.MAX_PRECISION || v.precision() > DecimalType.MAX_PRECISION) {
            throw new ExprTypeException("decimal constant " + value.toPlainString() + " has more than "
                    + DecimalType.MAX_PRECISION + " digits");
        }
        return DecimalType.of(Math.max(1, Math.max(v.precision(), v.scale())), v.scale());
    }

    /** The decimal an integer type converts to exactly, or null for other types. */
    static DecimalType ofInteger(DataType t) {
        return t == DataType.INT32 ? INT32 : t == DataType.INT64 ? INT64 : null;
    }

    /** The result type of {@code a op b} for op in + - *. */
    static DecimalType arithmeticType(BinaryOp op, DecimalType a, DecimalType b, String where) {
        if (op == BinaryOp.TIMES) {
            int scale = a.scale() + b.scale();
            if (scale > DecimalType.MAX_PRECISION) {
                throw new ExprTypeException("the product of " + a + " and " + b + " would have " + scale
                        + " digits after the decimal point, more than " + DecimalType.MAX_PRECISION + ", in " + where
                        + "; cast an operand to a smaller scale first");
            }
            return DecimalType.of(Math.min(DecimalType.MAX_PRECISION, a.precision() + b.precision()), scale);
        }
        int scale = Math.max(a.scale(), b.scale());
        int integer = Math.max(a.precision() - a.scale(), b.precision() - b.scale());
        return DecimalType.of(Math.min(DecimalType.MAX_PRECISION, integer + scale + 1), scale);
    }

    /**
     * The type that holds every value of {@code a} and {@code b} exactly (max integer digits plus
     * max scale, capped at 38): the common type of branches and coalesced values.
     */
    static DecimalType union(DecimalType a, DecimalType b) {
        int scale = Math.max(a.scale(), b.scale());
        int integer = Math.max(a.precision() - a.scale(), b.precision() - b.scale());
        return DecimalType.of(Math.min(DecimalType.MAX_PRECISION, integer + scale), scale);
    }

    /** The value of {@code row} as a BigDecimal (the row must be valid). */
    static BigDecimal value(Decimal128Vector v, int row) {
        return new BigDecimal(Int128.toBigInteger(v.high(row), v.low(row)), v.decimalType().scale());
    }

    /** {@code u × 10^k} exactly, or {@link Long#MIN_VALUE} when it leaves the long range ({@code 0 <= k}). */
    static long scaleUp(long u, int k) {
        if (k == 0) {
            return u;
        }
        if (k > DecimalType.MAX_LONG_PRECISION) {
            return u == 0 ? 0 : Long.MIN_VALUE;
        }
        long p = DecimalType.longPow10(k);
        long r = u * p;
        return Math.multiplyHigh(u, p) == (r >> 63) && r != Long.MIN_VALUE ? r : Long.MIN_VALUE;
    }

    /** {@code u / 10^k} rounded half away from zero ({@code 0 <= k}). */
    static long scaleDown(long u, int k) {
        if (k == 0) {
            return u;
        }
        if (k > DecimalType.MAX_LONG_PRECISION) {
            return 0;
        }
        long p = DecimalType.longPow10(k);
        long q = u / p;
        long rem = Math.abs(u % p);
        return rem >= p - rem ? q + Long.signum(u) : q;
    }

    /** {@code u} rescaled from scale {@code from} to scale {@code to}, rounding half away from zero. */
    static BigInteger rescale(BigInteger u, int from, int to) {
        if (to >= from) {
            return u.multiply(DecimalType.pow10(to - from));
        }
        return new BigDecimal(u, from).setScale(to, RoundingMode.HALF_UP).unscaledValue();
    }

    /** The error for a value that does not fit {@code type}. */
    static ExprEvaluationException overflow(String what, BigInteger unscaled, int scale, DecimalType type, Object where) {
        return new ExprEvaluationException("decimal overflow in " + where + ": " + what + " = "
                + new BigDecimal(unscaled, scale).toPlainString() + " does not fit " + type.displayName() + " (at most "
                + (type.precision() - type.scale()) + " digits before the decimal point)");
    }
}
