package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.DecimalText;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int128;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Conversions to and from decimals. To a decimal: from a decimal of another precision or scale
 * (fewer decimals round half away from zero), from int32/int64 (exact), from float64 (its
 * shortest decimal form, rounded half away from zero; NaN and infinities fail), from utf8
 * (parsed as {@link DecimalText} reads it). From a decimal: to int32/int64 (rounded half away
 * from zero, as DuckDB does), to float64 (the nearest double), to utf8 (plain notation). A value
 * that does not fit the target fails naming the value and the expression.
 *
 * @param input       the operand
 * @param to          the target type
 * @param decimalType the target precision and scale when {@code to} is DECIMAL128, else null
 * @param implicit    whether the planner added this cast (an integer operand of decimal
 *                    arithmetic); it then prints as its input
 */
record DecimalCast(PhysicalExpr input, DataType to, DecimalType decimalType, boolean implicit) implements PhysicalExpr {

    @Override
    public DataType type() {
        return to;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        try (ColumnVector v = input.evaluate(morsel, ctx);
             ColumnBuilder out = ColumnBuilder.create(to, decimalType, ctx.pool(), ctx.budget(), n)) {
            long[] parsed = new long[2];
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                if (v instanceof Decimal128Vector d) {
                    fromDecimal(d, i, out);
                } else {
                    toDecimal(v, i, (Decimal128Builder) out, parsed);
                }
            }
            return out.build();
        }
    }

    private void fromDecimal(Decimal128Vector d, int i, ColumnBuilder out) {
        int scale = d.decimalType().scale();
        long hi = d.high(i);
        long lo = d.low(i);
        boolean small = Int128.fitsLong(hi, lo);
        switch (out) {
            case Decimal128Builder b -> {
                DecimalType t = decimalType;
                if (small) {
                    long r = t.scale() >= scale ? Decimals.scaleUp(lo, t.scale() - scale) : Decimals.scaleDown(lo, scale - t.scale());
                    if (r != Long.MIN_VALUE && (!t.fitsLong() || t.holds(r))) {
                        b.appendUnscaled(r);
                        return;
                    }
                }
                BigInteger r = Decimals.rescale(d.unscaled(i), scale, t.scale());
                if (!t.holds(r)) {
                    throw cannot(Decimals.value(d, i).toPlainString(), "more than " + (t.precision() - t.scale())
                            + " digits before the decimal point");
                }
                b.appendUnscaled(r);
            }
            case Int64Builder l -> {
                BigInteger r = Decimals.rescale(d.unscaled(i), scale, 0);
                if (r.bitLength() > 63) {
                    throw cannot(Decimals.value(d, i).toPlainString(), "out of the int64 range");
                }
                l.append(r.longValue());
            }
            case Int32Builder x -> {
                BigInteger r = Decimals.rescale(d.unscaled(i), scale, 0);
                if (r.bitLength() > 31) {
                    throw cannot(Decimals.value(d, i).toPlainString(), "out of the int32 range");
                }
                x.append(r.intValue());
            }
            case Float64Builder f -> {
                // Both operands exact doubles: one correctly rounded division.
                if (small && Math.abs(lo) < (1L << 53) && scale <= 22) {
                    f.append(lo / TEN_POWERS[scale]);
                } else {
                    f.append(Decimals.value(d, i).doubleValue());
                }
            }
            case Utf8Builder u -> u.append(Decimals.value(d, i).toPlainString());
            default -> throw new IllegalStateException("cannot cast decimal to " + to.displayName());
        }
    }

    private static final double[] TEN_POWERS = new double[23];

    static {
        TEN_POWERS[0] = 1;
        for (int i = 1; i < TEN_POWERS.length; i++) {
            TEN_POWERS[i] = TEN_POWERS[i - 1] * 10;
        }
    }

    private void toDecimal(ColumnVector v, int i, Decimal128Builder b, long[] parsed) {
        DecimalType t = decimalType;
        switch (input.type()) {
            case INT32, INT64 -> {
                long x = Values.longAt(v, i);
                long r = Decimals.scaleUp(x, t.scale());
                if (r != Long.MIN_VALUE && (!t.fitsLong() || t.holds(r))) {
                    b.appendUnscaled(r);
                    return;
                }
                BigInteger u = BigInteger.valueOf(x).multiply(DecimalType.pow10(t.scale()));
                if (!t.holds(u)) {
                    throw cannot(Long.toString(x), "more than " + (t.precision() - t.scale()) + " digits before the decimal point");
                }
                b.appendUnscaled(u);
            }
            case FLOAT64 -> {
                double x = Values.doubleAt(v, i);
                if (Double.isNaN(x) || Double.isInfinite(x)) {
                    throw cannot(Double.toString(x), "not a finite number");
                }
                BigInteger u = DecimalText.rescale(BigDecimal.valueOf(x), t);
                if (u == null || !t.holds(u)) {
                    throw cannot(Double.toString(x), "more than " + (t.precision() - t.scale()) + " digits before the decimal point");
                }
                b.appendUnscaled(u);
            }
            case UTF8 -> {
                Utf8Vector s = (Utf8Vector) v;
                MemorySegment data = s.dataSegment();
                long off = s.dataOffset(i);
                int status = DecimalText.parse(data, off, off + s.byteLength(i), t, parsed);
                if (status != DecimalText.OK) {
                    throw cannot("'" + s.getString(i) + "'", status == DecimalText.OVERFLOW
                            ? "more than " + (t.precision() - t.scale()) + " digits before the decimal point"
                            : "not a number (digits with an optional sign, decimal point and exponent)");
                }
                b.append128(parsed[0], parsed[1]);
            }
            default -> throw new IllegalStateException("cannot cast " + input.type().displayName() + " to decimal");
        }
    }

    private ExprEvaluationException cannot(String value, String why) {
        String target = decimalType != null ? decimalType.displayName() : to.displayName();
        return new ExprEvaluationException("cannot cast " + value + " to " + target + " in " + this + ": " + why);
    }

    @Override
    public String toString() {
        if (implicit) {
            return input.toString();
        }
        return input + ".cast(" + (decimalType != null ? decimalType.displayName() : to.displayName()) + ")";
    }
}
