package dev.spillway.operators.eval;

import dev.spillway.expr.BinaryOp;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/** Comparison producing booleans. */
record Comparison(BinaryOp op, PhysicalExpr left, PhysicalExpr right, DataType common) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.BOOLEAN;
    }

    @Override
    public ColumnVector evaluate(Morsel input, EvalContext ctx) {
        int n = input.rowCount();
        Literal rl = right instanceof Literal l ? l : null;
        if (rl != null && rl.value() == null) {
            return Literal.nulls(DataType.BOOLEAN, n, ctx);
        }
        ColumnVector a = left.evaluate(input, ctx);
        try (a; ColumnVector b = PhysicalExprs.operand(right, input, ctx)) {
            ColumnVector fast = Kernels.compare(op, common, a, b, rl == null || common != DataType.FLOAT64 ? 0 : rl.asDouble(),
                    rl == null || common == DataType.FLOAT64 || common == DataType.UTF8 ? 0 : rl.asLong(), n, ctx);
            return fast != null ? fast : general(a, b, rl, n, ctx);
        }
    }

    private ColumnVector general(ColumnVector a, ColumnVector b, Literal rl, int n, EvalContext ctx) {
        try (BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
            boolean nulls = a.hasNulls() || (b != null && b.hasNulls());
            if (common == DataType.UTF8) {
                byte[] pattern = rl == null ? null : ((String) rl.value()).getBytes(StandardCharsets.UTF_8);
                MemorySegment p = pattern == null ? null : MemorySegment.ofArray(pattern);
                Utf8Vector x = (Utf8Vector) a;
                Utf8Vector y = (Utf8Vector) b;
                for (int i = 0; i < n; i++) {
                    if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                        out.appendNull();
                        continue;
                    }
                    int c = y == null
                            ? PhysicalExprs.compareBytes(x.dataSegment(), x.dataOffset(i), x.byteLength(i), p, 0, pattern.length)
                            : PhysicalExprs.compareBytes(x.dataSegment(), x.dataOffset(i), x.byteLength(i), y.dataSegment(),
                                    y.dataOffset(i), y.byteLength(i));
                    out.append(op.holds(c));
                }
            } else if (common == DataType.FLOAT64) {
                double scalar = rl == null ? 0 : rl.asDouble();
                for (int i = 0; i < n; i++) {
                    if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                        out.appendNull();
                        continue;
                    }
                    double x = Values.doubleAt(a, i);
                    double y = b == null ? scalar : Values.doubleAt(b, i);
                    out.append(switch (op) {
                        case EQ -> x == y;
                        case NE -> x != y;
                        case LT -> x < y;
                        case LE -> x <= y;
                        case GT -> x > y;
                        default -> x >= y;
                    });
                }
            } else {
                long scalar = rl == null ? 0 : rl.asLong();
                for (int i = 0; i < n; i++) {
                    if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                        out.appendNull();
                        continue;
                    }
                    long x = Values.longAt(a, i);
                    long y = b == null ? scalar : Values.longAt(b, i);
                    out.append(op.holds(Long.compare(x, y)));
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
