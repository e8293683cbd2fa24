package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code first} and {@code last}: the value of the group's first or last row in input order, a
 * null value included (same type). States: that value, and its row's input position (null until
 * a row), by which merges pick the first or last row whatever order partial rows arrive in. The
 * two differ only in the sign the shared loop multiplies its position comparisons by, so its
 * per-row code is the same for both.
 */
public final class Positional extends SignedFunction {
    /** {@code first}. */
    public static final Positional FIRST = new Positional("first", -1);
    /** {@code last}. */
    public static final Positional LAST = new Positional("last", 1);

    private Positional(String name, int sign) {
        super(name, sign);
    }

    @Override
    public List<StateType> stateTypes(DataType input, DecimalType decimal) {
        return List.of(StateType.nullable(input, decimal), StateType.nullable(DataType.INT64));
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase) {
        Inputs.keepPositional(state[0], state[1], input, null, ordinalBase, groups, from, to, sign);
    }

    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, MemorySegment groups, int from, int to) {
        Inputs.keepPositional(state[0], state[1], partials.column(firstColumn), partials.column(firstColumn + 1), 0, groups,
                from, to, sign);
    }
}
