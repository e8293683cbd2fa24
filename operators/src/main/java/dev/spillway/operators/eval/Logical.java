package dev.spillway.operators.eval;

import dev.spillway.expr.BinaryOp;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;

/** AND / OR with SQL three-valued logic. */
record Logical(BinaryOp op, PhysicalExpr left, PhysicalExpr right) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.BOOLEAN;
    }

    @Override
    public ColumnVector evaluate(Morsel input, EvalContext ctx) {
        int n = input.rowCount();
        boolean and = op == BinaryOp.AND;
        try (ColumnVector av = left.evaluate(input, ctx); ColumnVector bv = right.evaluate(input, ctx)) {
            ColumnVector fast = Kernels.logical(op, av, bv, n, ctx);
            return fast != null ? fast : general(av, bv, n, and, ctx);
        }
    }

    private static ColumnVector general(ColumnVector av, ColumnVector bv, int n, boolean and, EvalContext ctx) {
        try (BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
            BooleanVector a = (BooleanVector) av;
            BooleanVector b = (BooleanVector) bv;
            for (int i = 0; i < n; i++) {
                boolean an = a.isNull(i);
                boolean bn = b.isNull(i);
                boolean x = !an && a.get(i);
                boolean y = !bn && b.get(i);
                if (and) {
                    // false wins over null; null AND true is null.
                    if ((!an && !x) || (!bn && !y)) {
                        out.append(false);
                    } else if (an || bn) {
                        out.appendNull();
                    } else {
                        out.append(true);
                    }
                } else {
                    if ((!an && x) || (!bn && y)) {
                        out.append(true);
                    } else if (an || bn) {
                        out.appendNull();
                    } else {
                        out.append(false);
                    }
                }
            }
            return out.build();
        }
    }

    @Override
    public String toString() {
        return "(" + left + " " + op.symbol() + " " + right + ")";
    }
}
