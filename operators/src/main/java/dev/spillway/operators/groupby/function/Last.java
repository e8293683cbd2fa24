package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Morsel;

import java.util.List;

/**
 * {@code last}: the value of the group's last row in input order, a null value included (same type).
 * States: that value, and its row's input position (null until a row), by which merges pick the
 * last row whatever order partial rows arrive in.
 */
public final class Last implements AggregateFunction {
    /** The function. */
    public static final Last INSTANCE = new Last();

    private Last() {
    }

    @Override
    public String name() {
        return "last";
    }

    @Override
    public DataType resultType(DataType input) {
        return input;
    }

    @Override
    public List<StateType> stateTypes(DataType input) {
        return List.of(StateType.nullable(input), StateType.nullable(DataType.INT64));
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, int[] groups, int from, int to, long ordinalBase) {
        Inputs.keepPositional(state[0], state[1], input, null, ordinalBase, groups, from, to, 1);
    }

    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, int[] groups, int from, int to) {
        Inputs.keepPositional(state[0], state[1], partials.column(firstColumn), partials.column(firstColumn + 1), 0, groups,
                from, to, 1);
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
