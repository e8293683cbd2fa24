package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Rounds to {@code digits} decimal places (negative: to tens, hundreds, ...), half away from zero,
 * as SQL's {@code ROUND}. A float64 rounds as its shortest decimal form reads ({@code 2.675} is
 * {@code 2.68}, although the nearest double is slightly below it), and the result is the double
 * nearest to the rounded decimal. Integers keep their type.
 *
 * @param input  the numeric operand
 * @param digits decimal places to keep
 */
record Round(PhysicalExpr input, int digits) implements PhysicalExpr {
    private static final double[] POWERS = new double[23];

    static {
        POWERS[0] = 1;
        for (int i = 1; i < POWERS.length; i++) {
            POWERS[i] = POWERS[i - 1] * 10; // 10^22 is the largest power of ten a double holds exactly
        }
    }

    @Override
    public DataType type() {
        return input.type();
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        try (ColumnVector v = input.evaluate(morsel, ctx);
             ColumnBuilder out = ColumnBuilder.create(type(), ctx.pool(), ctx.budget(), n)) {
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                switch (out) {
                    case Float64Builder f -> f.append(round(Values.doubleAt(v, i), digits));
                    case Int64Builder l -> l.append(round(Values.longAt(v, i), digits));
                    default -> ((Int32Builder) out).append((int) round(Values.longAt(v, i), digits));
                }
            }
            return out.build();
        }
    }

    static double round(double x, int digits) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return x;
        }
        if (digits > 350) {
            return x; // a double's shortest decimal form has fewer decimals (the smallest is about 4.9e-324)
        }
        if (digits < -310) {
            return 0.0; // beyond Double.MAX_VALUE, about 1.8e308, everything rounds to zero
        }
        double r = fastRound(Math.abs(x), digits);
        if (Double.isNaN(r)) {
            r = new BigDecimal(Double.toString(Math.abs(x))).setScale(digits, RoundingMode.HALF_UP).doubleValue();
        }
        // -0.4 rounds to 0.0, not -0.0.
        return r == 0 ? 0.0 : Math.copySign(r, x);
    }

    /** {@code a >= 0} rounded with one scaling, or NaN when that scaling could decide a tie wrongly. */
    private static double fastRound(double a, int digits) {
        if (digits >= POWERS.length || digits <= -POWERS.length) {
            return Double.NaN;
        }
        double y = digits >= 0 ? a * POWERS[digits] : a / POWERS[-digits];
        if (y >= 0x1p54 && digits >= 0) {
            // ulp(a) > 10^-digits: a's shortest decimal form has at most `digits` decimals already.
            return a;
        }
        if (y >= 0x1p52) {
            return Double.NaN;
        }
        double r = Math.floor(y);
        double frac = y - r;
        // y is off by at most about an ulp (and the decimal form of a by less); only near a tie can that matter.
        if (Math.abs(frac - 0.5) <= 4 * Math.ulp(y)) {
            return Double.NaN;
        }
        if (frac > 0.5) {
            r += 1;
        }
        return digits >= 0 ? r / POWERS[digits] : r * POWERS[-digits];
    }

    static long round(long x, int digits) {
        if (digits >= 0) {
            return x;
        }
        if (digits < -18) {
            return BigDecimal.valueOf(x).setScale(digits, RoundingMode.HALF_UP).longValue();
        }
        long p = (long) POWERS[-digits];
        long q = x / p;
        long rem = Math.abs(x % p);
        if (rem >= p - rem) {
            q += x < 0 ? -1 : 1;
        }
        return q * p;
    }

    @Override
    public String toString() {
        return input + ".round(" + digits + ")";
    }
}
