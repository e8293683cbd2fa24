package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Morsel;

import java.util.List;

/**
 * {@code min} and {@code max}: the smallest or the largest non-null value of any type (of the
 * input type; float64 in {@link Double#compare} order, NaN largest; strings by UTF-8 bytes); null
 * when none. State: that value, null until one. The two differ only in the sign the shared loop
 * multiplies its comparisons by, so its per-row code is the same for both.
 */
public final class Extreme implements AggregateFunction {
    /** {@code min}. */
    public static final Extreme MIN = new Extreme("min", -1);
    /** {@code max}. */
    public static final Extreme MAX = new Extreme("max", 1);

    private final String name;
    private final int sign;

    private Extreme(String name, int sign) {
        this.name = name;
        this.sign = sign;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DataType resultType(DataType input) {
        return input;
    }

    @Override
    public List<StateType> stateTypes(DataType input) {
        return List.of(StateType.nullable(input));
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, int[] groups, int from, int to, long ordinalBase) {
        Inputs.keepExtreme(state[0], input, groups, from, to, sign);
    }

    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, int[] groups, int from, int to) {
        Inputs.keepExtreme(state[0], partials.column(firstColumn), groups, from, to, sign);
    }

    @Override
    public void finish(GroupColumn[] state, int from, int to, ColumnBuilder out) {
        for (int g = from; g < to; g++) {
            state[0].appendTo(out, g);
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
