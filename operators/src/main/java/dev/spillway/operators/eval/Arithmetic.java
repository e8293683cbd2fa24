package dev.spillway.operators.eval;

import dev.spillway.expr.BinaryOp;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;

/** Arithmetic with promotion. */
record Arithmetic(BinaryOp op, PhysicalExpr left, PhysicalExpr right, DataType type) implements PhysicalExpr {

    @Override
    public ColumnVector evaluate(Morsel input, EvalContext ctx) {
        int n = input.rowCount();
        // A literal left operand is broadcast; a literal right operand stays a scalar.
        ColumnVector a = left.evaluate(input, ctx);
        try (a; ColumnVector b = PhysicalExprs.operand(right, input, ctx)) {
            Literal rl = right instanceof Literal l ? l : null;
            if (rl != null && rl.value() == null) {
                return Literal.nulls(type, n, ctx);
            }
            if (type == DataType.FLOAT64) {
                double scalar = rl == null ? 0 : rl.asDouble();
                ColumnVector fast = Kernels.arithmeticDouble(op, a, b, scalar, n, ctx);
                return fast != null ? fast : doubles(a, b, scalar, n, ctx);
            }
            long scalar = rl == null ? 0 : rl.asLong();
            ColumnVector fast = type == DataType.INT64 ? Kernels.arithmeticLong(op, a, b, scalar, n, ctx) : null;
            return fast != null ? fast : longs(a, b, scalar, n, ctx);
        }
    }

    private ColumnVector doubles(ColumnVector a, ColumnVector b, double scalar, int n, EvalContext ctx) {
        try (Float64Builder out = (Float64Builder) ColumnBuilder.create(DataType.FLOAT64, ctx.pool(), ctx.budget(), n)) {
            boolean nulls = a.hasNulls() || (b != null && b.hasNulls());
            for (int i = 0; i < n; i++) {
                if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                    out.appendNull();
                    continue;
                }
                double x = Values.doubleAt(a, i);
                double y = b == null ? scalar : Values.doubleAt(b, i);
                out.append(switch (op) {
                    case PLUS -> x + y;
                    case MINUS -> x - y;
                    case TIMES -> x * y;
                    case DIV -> x / y;
                    default -> x % y;
                });
            }
            return out.build();
        }
    }

    private ColumnVector longs(ColumnVector a, ColumnVector b, long scalar, int n, EvalContext ctx) {
        boolean narrow = type == DataType.INT32;
        try (ColumnBuilder out = ColumnBuilder.create(type, ctx.pool(), ctx.budget(), n)) {
            Int32Builder o32 = narrow ? (Int32Builder) out : null;
            Int64Builder o64 = narrow ? null : (Int64Builder) out;
            boolean nulls = a.hasNulls() || (b != null && b.hasNulls());
            for (int i = 0; i < n; i++) {
                if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                    out.appendNull();
                    continue;
                }
                long x = Values.longAt(a, i);
                long y = b == null ? scalar : Values.longAt(b, i);
                long r;
                switch (op) {
                    case PLUS -> r = x + y;
                    case MINUS -> r = x - y;
                    case TIMES -> r = x * y;
                    default -> {
                        if (y == 0) {
                            out.appendNull();
                            continue;
                        }
                        r = x % y;
                    }
                }
                // int32 results wrap like Java int arithmetic: the low 32 bits of the long result.
                if (narrow) {
                    o32.append((int) r);
                } else {
                    o64.append(r);
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
