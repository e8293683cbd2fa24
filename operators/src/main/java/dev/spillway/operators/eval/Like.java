package dev.spillway.operators.eval;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;

/**
 * SQL {@code LIKE} / {@code NOT LIKE} against a constant pattern, compiled once.
 *
 * @param input   the utf8 operand
 * @param pattern the compiled pattern
 * @param negated whether this is {@code NOT LIKE}
 */
record Like(PhysicalExpr input, LikePattern pattern, boolean negated) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.BOOLEAN;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        try (ColumnVector cv = input.evaluate(morsel, ctx);
             BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
            Utf8Vector v = (Utf8Vector) cv;
            MemorySegment d = v.dataSegment();
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                } else {
                    out.append(pattern.matches(d, v.dataOffset(i), v.byteLength(i)) != negated);
                }
            }
            return out.build();
        }
    }

    @Override
    public String toString() {
        return input + ".str." + (negated ? "not_like" : "like") + "(\"" + pattern + "\")";
    }
}
