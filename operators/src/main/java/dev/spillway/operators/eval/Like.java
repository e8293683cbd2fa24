package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;

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
        return StringMatch.test(input, morsel, ctx, (d, off, len) -> pattern.matches(d, off, len) != negated);
    }

    @Override
    public String toString() {
        return input + ".str." + (negated ? "not_like" : "like") + "(\"" + pattern + "\")";
    }
}
