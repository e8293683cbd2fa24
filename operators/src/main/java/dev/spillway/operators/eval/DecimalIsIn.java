package dev.spillway.operators.eval;

import dev.spillway.errors.ExprTypeException;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Int128;
import dev.spillway.memory.Morsel;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * SQL {@code x IN (v1, v2, ...)} for a decimal {@code x}, exact: the constants (integers,
 * BigDecimals, float64s as their shortest decimal form, strings parsed as decimals) are compared as
 * numbers, whatever their scale. A constant that no value of {@code x}'s type can equal (more
 * digits after the point than its scale, or more before it than its precision allows; NaN and the
 * infinities) matches nothing. The others become unscaled 128-bit integers at {@code x}'s scale,
 * sorted once; each row is a binary search on the two words. Nulls as {@link IsIn}.
 */
final class DecimalIsIn implements PhysicalExpr {
    private final PhysicalExpr input;
    private final List<Object> values;
    private final boolean hasNull;
    /** High words of the matching constants, in ascending 128-bit order. */
    private final long[] highs;
    /** Low words of the matching constants, beside {@link #highs}. */
    private final long[] lows;

    private DecimalIsIn(PhysicalExpr input, List<Object> values, List<BigInteger> unscaled) {
        this.input = input;
        this.values = values;
        this.hasNull = values.contains(null);
        this.highs = new long[unscaled.size()];
        this.lows = new long[unscaled.size()];
        for (int i = 0; i < unscaled.size(); i++) {
            highs[i] = Int128.high(unscaled.get(i));
            lows[i] = Int128.low(unscaled.get(i));
        }
    }

    /**
     * {@code input IN (values)} for a decimal input.
     *
     * @param where the expression, for errors
     * @throws ExprTypeException naming the value for a constant of another kind (a date, a boolean)
     *                           or a string that is not a number
     */
    static DecimalIsIn of(PhysicalExpr input, List<Object> values, String where) {
        DecimalType t = input.decimalType();
        TreeSet<BigInteger> matching = new TreeSet<>();
        for (Object v : values) {
            if (v == null) {
                continue;
            }
            BigDecimal d = switch (v) {
                case BigDecimal b -> b;
                case Integer i -> BigDecimal.valueOf(i);
                case Long l -> BigDecimal.valueOf(l);
                case Double x -> Double.isFinite(x) ? BigDecimal.valueOf(x) : null;
                case String s -> parse(s, t, where);
                default -> throw new ExprTypeException("cannot apply is_in to " + t.displayName() + " with the value "
                        + IsIn.render(v) + " (" + v.getClass().getSimpleName() + ") in " + where
                        + ": the values must be numbers (Integer, Long, BigDecimal, Double), decimal strings or null");
            };
            BigInteger u = d == null ? null : unscaledAt(d, t);
            if (u != null) {
                matching.add(u);
            }
        }
        return new DecimalIsIn(input, values, new ArrayList<>(matching));
    }

    private static BigDecimal parse(String s, DecimalType t, String where) {
        try {
            return new BigDecimal(s.strip());
        } catch (NumberFormatException e) {
            throw new ExprTypeException("cannot apply is_in to " + t.displayName() + " with the string \"" + s + "\" in " + where
                    + ": it is not a decimal number (digits with an optional sign, decimal point and exponent)");
        }
    }

    /** The unscaled value of {@code d} at {@code t}'s scale, or null when no value of {@code t} equals it. */
    private static BigInteger unscaledAt(BigDecimal d, DecimalType t) {
        BigDecimal exact = d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        if (exact.scale() > t.scale()) {
            return null;
        }
        BigInteger u = exact.setScale(t.scale()).unscaledValue();
        return t.holds(u) ? u : null;
    }

    @Override
    public DataType type() {
        return DataType.BOOLEAN;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        try (ColumnVector cv = input.evaluate(morsel, ctx);
             BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
            Decimal128Vector v = (Decimal128Vector) cv;
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                } else if (contains(v.high(i), v.low(i))) {
                    out.append(true);
                } else if (hasNull) {
                    out.appendNull();
                } else {
                    out.append(false);
                }
            }
            return out.build();
        }
    }

    private boolean contains(long high, long low) {
        int lo = 0;
        int hi = highs.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Int128.compare(highs[mid], lows[mid], high, low);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return input + ".is_in(" + values.stream().map(IsIn::render).collect(Collectors.joining(", ", "[", "]")) + ")";
    }
}
