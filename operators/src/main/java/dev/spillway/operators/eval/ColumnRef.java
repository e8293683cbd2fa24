package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;

/** Column reference: a zero-copy view of an input column. */
record ColumnRef(int index, String name, DataType type, DecimalType decimalType, String timeZone) implements PhysicalExpr {
    @Override
    public ColumnVector evaluate(Morsel input, EvalContext ctx) {
        ColumnVector c = input.column(index);
        return c.slice(0, c.length());
    }

    @Override
    public String toString() {
        return "col(\"" + name + "\")";
    }
}
