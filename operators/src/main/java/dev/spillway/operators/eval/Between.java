package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;

/**
 * SQL {@code x BETWEEN lo AND hi}, both ends included: evaluated as {@code x >= lo AND x <= hi}
 * with three-valued logic, so a null bound gives null unless the other bound already fails. The
 * input is evaluated for each comparison, which costs nothing for a column (a view) and repeats the
 * work of a computed input.
 *
 * @param input the tested value
 * @param lo    the lower bound
 * @param hi    the upper bound
 * @param plan  the comparison it evaluates as
 */
record Between(PhysicalExpr input, PhysicalExpr lo, PhysicalExpr hi, PhysicalExpr plan) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.BOOLEAN;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        return plan.evaluate(morsel, ctx);
    }

    @Override
    public String toString() {
        return input + ".between(" + lo + ", " + hi + ")";
    }
}
