package dev.spillway.operators.eval;

import dev.spillway.expr.BinaryOp;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.Int128;
import dev.spillway.memory.Morsel;

/**
 * Compares two decimal operands of any scales by value (integers were cast to decimals by
 * {@link PhysicalExprs#binary}): on longs after aligning the scales when that fits, else on
 * BigIntegers.
 *
 * @param op    a comparison
 * @param left  a decimal operand
 * @param right a decimal operand
 */
record DecimalComparison(BinaryOp op, PhysicalExpr left, PhysicalExpr right) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.BOOLEAN;
    }

    @Override
    public ColumnVector evaluate(Morsel input, EvalContext ctx) {
        int n = input.rowCount();
        int sa = left.decimalType().scale();
        int sb = right.decimalType().scale();
        int scale = Math.max(sa, sb);
        try (ColumnVector av = left.evaluate(input, ctx);
             ColumnVector bv = right.evaluate(input, ctx);
             BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
            Decimal128Vector a = (Decimal128Vector) av;
            Decimal128Vector b = (Decimal128Vector) bv;
            boolean nulls = a.hasNulls() || b.hasNulls();
            for (int i = 0; i < n; i++) {
                if (nulls && (a.isNull(i) || b.isNull(i))) {
                    out.appendNull();
                    continue;
                }
                int c;
                if (sa == sb) {
                    c = a.compareValues(i, b, i);
                } else {
                    long x = Int128.fitsLong(a.high(i), a.low(i)) ? Decimals.scaleUp(a.low(i), scale - sa) : Long.MIN_VALUE;
                    long y = Int128.fitsLong(b.high(i), b.low(i)) ? Decimals.scaleUp(b.low(i), scale - sb) : Long.MIN_VALUE;
                    c = x != Long.MIN_VALUE && y != Long.MIN_VALUE ? Long.compare(x, y)
                            : Decimals.value(a, i).compareTo(Decimals.value(b, i));
                }
                out.append(op.holds(c));
            }
            return out.build();
        }
    }

    @Override
    public String toString() {
        return "(" + left + " " + op.symbol() + " " + right + ")";
    }
}
