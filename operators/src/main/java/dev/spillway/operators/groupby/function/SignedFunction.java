package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;

/**
 * A pair of functions that keep one value of their input per group and differ only in the sign a
 * shared loop multiplies its comparisons by ({@code min}/{@code max}, {@code first}/{@code last}):
 * the result has the input's type and is the kept value, null until one.
 */
abstract sealed class SignedFunction implements AggregateFunction permits Extreme, Positional {
    private final String name;
    /** -1 keeps the smaller (or earlier), +1 the larger (or later). */
    final int sign;

    SignedFunction(String name, int sign) {
        this.name = name;
        this.sign = sign;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final DataType resultType(DataType input) {
        return input;
    }

    @Override
    public final DecimalType resultDecimal(DecimalType input) {
        return input;
    }

    @Override
    public final void finish(GroupColumn[] state, int from, int to, ColumnBuilder out) {
        Inputs.appendValues(state[0], from, to, out);
    }

    @Override
    public final String toString() {
        return name;
    }
}
