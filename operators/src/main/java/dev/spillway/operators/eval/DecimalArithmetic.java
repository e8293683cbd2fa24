package dev.spillway.operators.eval;

import dev.spillway.expr.BinaryOp;

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
 * Exact {@code +}, {@code -} and {@code *} of two decimal operands (integers were cast to
 * decimals by {@link PhysicalExprs#binary}); the result type follows {@link Decimals}. Rows whose
 * operands and result fit a long (always the case below 19 digits, barring overflow) are computed
 * on longs with overflow checks; the others, and any that overflow a long, on BigIntegers. A result
 * beyond the result precision fails naming the expression and the values.
 *
 * @param op          PLUS, MINUS or TIMES
 * @param left        a decimal operand
 * @param right       a decimal operand
 * @param decimalType the result type
 */
record DecimalArithmetic(BinaryOp op, PhysicalExpr left, PhysicalExpr right, DecimalType decimalType)
        implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.DECIMAL128;
    }

    @Override
    public ColumnVector evaluate(Morsel input, EvalContext ctx) {
        int n = input.rowCount();
        DecimalType t = decimalType;
        int ka = op == BinaryOp.TIMES ? 0 : t.scale() - left.decimalType().scale();
        int kb = op == BinaryOp.TIMES ? 0 : t.scale() - right.decimalType().scale();
        try (ColumnVector av = left.evaluate(input, ctx);
             ColumnVector bv = right.evaluate(input, ctx);
             Decimal128Builder out = ColumnBuilder.create(t, ctx.pool(), ctx.budget(), n)) {
            Decimal128Vector a = (Decimal128Vector) av;
            Decimal128Vector b = (Decimal128Vector) bv;
            boolean nulls = a.hasNulls() || b.hasNulls();
            for (int i = 0; i < n; i++) {
                if (nulls && (a.isNull(i) || b.isNull(i))) {
                    out.appendNull();
                    continue;
                }
                long al = a.low(i);
                long bl = b.low(i);
                if (Int128.fitsLong(a.high(i), al) && Int128.fitsLong(b.high(i), bl)) {
                    long r = fast(al, bl, ka, kb);
                    if (r != Long.MIN_VALUE) {
                        if (t.fitsLong() && !t.holds(r)) {
                            throw Decimals.overflow(render(a, b, i), BigInteger.valueOf(r), t.scale(), t, this);
                        }
                        out.appendUnscaled(r);
                        continue;
                    }
                }
                BigInteger x = a.unscaled(i).multiply(BigInteger.TEN.pow(ka));
                BigInteger y = b.unscaled(i).multiply(BigInteger.TEN.pow(kb));
                BigInteger r = switch (op) {
                    case PLUS -> x.add(y);
                    case MINUS -> x.subtract(y);
                    default -> x.multiply(y);
                };
                if (!t.holds(r)) {
                    throw Decimals.overflow(render(a, b, i), r, t.scale(), t, this);
                }
                out.appendUnscaled(r);
            }
            return out.build();
        }
    }

    /** The unscaled result on longs, or {@link Long#MIN_VALUE} when a step leaves the long range. */
    private long fast(long x, long y, int ka, int kb) {
        long a = Decimals.scaleUp(x, ka);
        long b = Decimals.scaleUp(y, kb);
        if (a == Long.MIN_VALUE || b == Long.MIN_VALUE) {
            return Long.MIN_VALUE;
        }
        return switch (op) {
            case PLUS -> {
                long r = a + b;
                yield ((a ^ r) & (b ^ r)) < 0 ? Long.MIN_VALUE : r;
            }
            case MINUS -> {
                long r = a - b;
                yield ((a ^ b) & (a ^ r)) < 0 ? Long.MIN_VALUE : r;
            }
            default -> {
                long r = a * b;
                yield Math.multiplyHigh(a, b) != (r >> 63) ? Long.MIN_VALUE : r;
            }
        };
    }

    private String render(Decimal128Vector a, Decimal128Vector b, int i) {
        return Decimals.value(a, i).toPlainString() + " " + op.symbol() + " " + Decimals.value(b, i).toPlainString();
    }

    @Override
    public String toString() {
        return "(" + left + " " + op.symbol() + " " + right + ")";
    }
}
