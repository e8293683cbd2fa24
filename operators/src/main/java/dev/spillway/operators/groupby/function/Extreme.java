package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code min} and {@code max}: the smallest or the largest non-null value of any type (of the
 * input type, a decimal's precision and scale included; float64 in {@link Double#compare} order,
 * NaN largest; strings by UTF-8 bytes; decimals by value); null
 * when none. State: that value, null until one. The two differ only in the sign the shared loop
 * multiplies its comparisons by, so its per-row code is the same for both.
 */
public final class Extreme extends SignedFunction {
    /** {@code min}. */
    public static final Extreme MIN = new Extreme("min", -1);
    /** {@code max}. */
    public static final Extreme MAX = new Extreme("max", 1);

    private Extreme(String name, int sign) {
        super(name, sign);
    }

    @Override
    public List<StateType> stateTypes(DataType input, DecimalType decimal) {
        return List.of(StateType.nullable(input, decimal));
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase) {
        Inputs.keepExtreme(state[0], input, groups, from, to, sign);
    }

    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, MemorySegment groups, int from, int to) {
        Inputs.keepExtreme(state[0], partials.column(firstColumn), groups, from, to, sign);
    }
}
