package dev.spillway.operators.eval;

import dev.spillway.expr.UnaryOp;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Int128;
import dev.spillway.memory.Morsel;

import java.math.BigInteger;

/**
 * Negation, absolute value and rounding of a decimal. Negation and {@code abs} keep the type (a
 * value's negation has as many digits). {@code round(digits)} rounds half away from zero to
 * {@code digits} decimals (negative: to tens, hundreds, ...); its result has scale
 * {@code clamp(digits, 0, s)} and one more integer digit than the input, since rounding can carry
 * ({@code 9.99} to one decimal is {@code 10.0}), capped at 38.
 *
 * @param op          NEGATE, ABS, or null for round
 * @param input       a decimal operand
 * @param digits      for round: decimal places to keep
 * @param decimalType the result type
 */
record DecimalUnary(UnaryOp op, PhysicalExpr input, int digits, DecimalType decimalType) implements PhysicalExpr {

    /** The result type of {@code round(digits)} of a value of {@code t}. */
    static DecimalType roundType(DecimalType t, int digits) {
        int scale = Math.max(0, Math.min(digits, t.scale()));
        if (scale == t.scale()) {
            return t;
        }
        return DecimalType.of(Math.min(DecimalType.MAX_PRECISION, t.precision() - t.scale() + scale + 1), scale);
    }

    @Override
    public DataType type() {
        return DataType.DECIMAL128;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        int from = input.decimalType().scale();
        int to = decimalType.scale();
        // Round to 10^-digits, then express at the result scale (exact: to >= digits). Below -39
        // digits everything rounds to zero as at -39, and powers of ten stay in their table.
        int drop = from - Math.max(digits, -39);
        try (ColumnVector v = input.evaluate(morsel, ctx);
             Decimal128Builder out = ColumnBuilder.create(decimalType, ctx.pool(), ctx.budget(), n)) {
            Decimal128Vector d = (Decimal128Vector) v;
            for (int i = 0; i < n; i++) {
                if (d.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                long lo = d.low(i);
                boolean small = Int128.fitsLong(d.high(i), lo) && lo != Long.MIN_VALUE;
                if (op == UnaryOp.NEGATE || op == UnaryOp.ABS) {
                    if (small) {
                        out.appendUnscaled(op == UnaryOp.NEGATE ? -lo : Math.abs(lo));
                    } else {
                        BigInteger u = d.unscaled(i);
                        out.appendUnscaled(op == UnaryOp.NEGATE ? u.negate() : u.abs());
                    }
                    continue;
                }
                if (drop <= 0) {
                    appendChecked(out, d, i, small ? BigInteger.valueOf(lo) : d.unscaled(i));
                    continue;
                }
                if (small && drop <= DecimalType.MAX_LONG_PRECISION) {
                    long r = Decimals.scaleDown(lo, drop);
                    long back = Decimals.scaleUp(r, to - (from - drop));
                    if (back != Long.MIN_VALUE && (!decimalType.fitsLong() || decimalType.holds(back))) {
                        out.appendUnscaled(back);
                        continue;
                    }
                }
                BigInteger r = Decimals.rescale(d.unscaled(i), from, from - drop);
                appendChecked(out, d, i, Decimals.rescale(r, from - drop, to));
            }
            return out.build();
        }
    }

    private void appendChecked(Decimal128Builder out, Decimal128Vector d, int i, BigInteger u) {
        if (!decimalType.holds(u)) {
            throw Decimals.overflow(this + " of " + Decimals.value(d, i).toPlainString(), u, decimalType.scale(), decimalType, this);
        }
        out.appendUnscaled(u);
    }

    @Override
    public String toString() {
        if (op == null) {
            return input + ".round(" + digits + ")";
        }
        return op == UnaryOp.NEGATE ? "-" + input : input + ".abs()";
    }
}
