package dev.spillway.operators.eval;

import dev.spillway.expr.UnaryOp;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Unary operators and functions. */
record Unary(UnaryOp op, PhysicalExpr input, DataType type) implements PhysicalExpr {

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        try (ColumnVector v = input.evaluate(morsel, ctx);
             ColumnBuilder out = ColumnBuilder.create(type, ctx.pool(), ctx.budget(), n)) {
            for (int i = 0; i < n; i++) {
                boolean isNull = v.isNull(i);
                switch (op) {
                    case IS_NULL -> ((BooleanBuilder) out).append(isNull);
                    case IS_NOT_NULL -> ((BooleanBuilder) out).append(!isNull);
                    default -> {
                        if (isNull) {
                            out.appendNull();
                            continue;
                        }
                        switch (op) {
                            case NOT -> ((BooleanBuilder) out).append(!((BooleanVector) v).get(i));
                            case NEGATE -> {
                                switch (out) {
                                    case Float64Builder f -> f.append(-Values.doubleAt(v, i));
                                    case Int64Builder l -> l.append(-Values.longAt(v, i));
                                    default -> ((Int32Builder) out).append((int) -Values.longAt(v, i));
                                }
                            }
                            case ABS -> {
                                switch (out) {
                                    case Float64Builder f -> f.append(Math.abs(Values.doubleAt(v, i)));
                                    case Int64Builder l -> l.append(Math.abs(Values.longAt(v, i)));
                                    default -> ((Int32Builder) out).append(Math.abs((int) Values.longAt(v, i)));
                                }
                            }
                            case CHAR_LENGTH -> ((Int32Builder) out).append(codePoints((Utf8Vector) v, i));
                            case YEAR -> ((Int32Builder) out).append(Values.year(Values.longAt(v, i)));
                            case MONTH -> ((Int32Builder) out).append(Values.month(Values.longAt(v, i)));
                            default -> ((Int32Builder) out).append(Values.day(Values.longAt(v, i)));
                        }
                    }
                }
            }
            return out.build();
        }
    }

    private static int codePoints(Utf8Vector v, int row) {
        MemorySegment d = v.dataSegment();
        long off = v.dataOffset(row);
        int len = v.byteLength(row);
        int n = 0;
        for (int k = 0; k < len; k++) {
            // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
            if ((d.get(ValueLayout.JAVA_BYTE, off + k) & 0xC0) != 0x80) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return switch (op) {
            case NOT -> "~" + input;
            case NEGATE -> "-" + input;
            default -> input + "." + op.name().toLowerCase(java.util.Locale.ROOT) + "()";
        };
    }
}
