package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Int128;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

import static dev.spillway.operators.groupby.function.GroupColumn.BYTE;
import static dev.spillway.operators.groupby.function.GroupColumn.INT;
import static dev.spillway.operators.groupby.function.GroupColumn.LONG;

/**
 * The decimal sums of {@code sum} and {@code mean}: a state is a signed 128-bit unscaled integer
 * at the input's scale, its low word in the column's {@link GroupColumn#values()} and its high
 * word in {@link GroupColumn#highs()}, added to with a carry from the low word. A running sum may
 * use the whole 128-bit range (about ±1.7·10^38), so partial sums of different signs may go past
 * 38 digits and come back; leaving the 128-bit range fails at once, and a result is checked
 * against its type when it is finished. Nothing wraps.
 */
final class DecimalStates {
    /** The scale of {@code mean}'s result: at least 6 digits after the decimal point, more when the input has them. */
    static final int MIN_MEAN_SCALE = 6;

    /** The result type of {@code sum} and the state type of the sums: all 38 digits at the input's scale. */
    static DecimalType sumType(DecimalType input) {
        return DecimalType.of(DecimalType.MAX_PRECISION, input.scale());
    }

    /** The result type of {@code mean} over {@code input}: {@code decimal(38, max(s, 6))}. */
    static DecimalType meanType(DecimalType input) {
        return DecimalType.of(DecimalType.MAX_PRECISION, Math.max(input.scale(), MIN_MEAN_SCALE));
    }

    private DecimalStates() {
    }

    /**
     * Adds the non-null values of rows {@code [from, to)} of {@code x} to their groups' 128-bit sums,
     * marking those groups not null.
     *
     * @throws ArithmeticException when a sum leaves the 128-bit range
     */
    static void add(GroupColumn sum, Decimal128Vector x, MemorySegment groups, int from, int to) {
        MemorySegment lo = sum.values();
        MemorySegment hi = sum.highs();
        MemorySegment set = sum.notNull();
        boolean nulls = x.hasNulls();
        for (int r = from; r < to; r++) {
            if (nulls && x.isNull(r)) {
                continue;
            }
            long g = groups.getAtIndex(INT, r);
            long al = lo.getAtIndex(LONG, g);
            long ah = hi.getAtIndex(LONG, g);
            long bh = x.high(r);
            long rl = al + x.low(r);
            long rh = ah + bh + (Long.compareUnsigned(rl, al) < 0 ? 1 : 0);
            // Signed overflow of the 128-bit add: both operands of one sign, the sum of the other.
            if (((ah ^ rh) & (bh ^ rh)) < 0) {
                throw rangeExceeded(ah, al, x, r);
            }
            lo.setAtIndex(LONG, g, rl);
            hi.setAtIndex(LONG, g, rh);
            set.set(BYTE, g, (byte) 1);
        }
    }

    private static ArithmeticException rangeExceeded(long ah, long al, Decimal128Vector x, int r) {
        int scale = x.decimalType().scale();
        BigInteger total = Int128.toBigInteger(ah, al).add(x.unscaled(r));
        return new ArithmeticException("the running sum " + new BigDecimal(Int128.toBigInteger(ah, al), scale).toPlainString()
                + " + " + new BigDecimal(x.unscaled(r), scale).toPlainString() + " = " + new BigDecimal(total, scale).toPlainString()
                + " leaves the 128-bit range of a decimal sum (about 1.7e38 unscaled)");
    }

    /**
     * Appends groups {@code [from, to)} of a sum state to {@code out}, a builder of the result type
     * (the state's scale, 38 digits).
     *
     * @throws ArithmeticException when a sum has more than 38 digits
     */
    static void appendSums(GroupColumn sum, int from, int to, ColumnBuilder out) {
        Decimal128Builder b = (Decimal128Builder) out;
        DecimalType t = b.decimalType();
        MemorySegment lo = sum.values();
        MemorySegment hi = sum.highs();
        MemorySegment set = sum.notNull();
        for (int g = from; g < to; g++) {
            if (set.get(BYTE, g) == 0) {
                b.appendNull();
                continue;
            }
            long l = lo.getAtIndex(LONG, g);
            long h = hi.getAtIndex(LONG, g);
            if (!Int128.fitsLong(h, l) && !t.holds(Int128.toBigInteger(h, l))) {
                throw new ArithmeticException("the sum " + new BigDecimal(Int128.toBigInteger(h, l), t.scale()).toPlainString()
                        + " does not fit " + t.displayName() + " (at most " + (t.precision() - t.scale())
                        + " digits before the decimal point)");
            }
            b.append128(h, l);
        }
    }

    /**
     * Appends the means of groups {@code [from, to)} to {@code out}, a builder of
     * {@link #meanType}: each sum divided by its count, rounded half away from zero to the
     * result's scale; null where the count is zero.
     *
     * @throws ArithmeticException when a mean has more than 38 digits at the result's scale
     */
    static void appendMeans(GroupColumn sum, GroupColumn count, int from, int to, ColumnBuilder out) {
        Decimal128Builder b = (Decimal128Builder) out;
        DecimalType t = b.decimalType();
        int shift = t.scale() - sum.decimal().scale();
        MemorySegment lo = sum.values();
        MemorySegment hi = sum.highs();
        MemorySegment set = sum.notNull();
        MemorySegment n = count.values();
        for (int g = from; g < to; g++) {
            long c = n.getAtIndex(LONG, g);
            if (c == 0 || set.get(BYTE, g) == 0) {
                b.appendNull();
                continue;
            }
            long l = lo.getAtIndex(LONG, g);
            long h = hi.getAtIndex(LONG, g);
            long scaled = Int128.fitsLong(h, l) ? scaleUp(l, shift) : Long.MIN_VALUE;
            if (scaled != Long.MIN_VALUE) {
                // |mean| <= |sum|, and below 19 digits it fits the result's 38 digits.
                long q = scaled / c;
                long rem = Math.abs(scaled % c);
                b.appendUnscaled(rem >= c - rem ? q + Long.signum(scaled) : q);
                continue;
            }
            BigDecimal mean = new BigDecimal(Int128.toBigInteger(h, l), sum.decimal().scale())
                    .divide(BigDecimal.valueOf(c), t.scale(), RoundingMode.HALF_UP);
            if (!t.holds(mean.unscaledValue())) {
                throw new ArithmeticException("the mean " + mean.toPlainString() + " does not fit " + t.displayName()
                        + " (at most " + (t.precision() - t.scale()) + " digits before the decimal point)");
            }
            b.appendUnscaled(mean.unscaledValue());
        }
    }

    /** {@code u × 10^k} exactly, or {@link Long#MIN_VALUE} when it leaves the long range ({@code 0 <= k}). */
    private static long scaleUp(long u, int k) {
        if (k > DecimalType.MAX_LONG_PRECISION) {
            return u == 0 ? 0 : Long.MIN_VALUE;
        }
        long p = DecimalType.longPow10(k);
        long r = u * p;
        return Math.multiplyHigh(u, p) == (r >> 63) && r != Long.MIN_VALUE ? r : Long.MIN_VALUE;
    }
}
