package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnVector;

import java.lang.foreign.MemorySegment;

/** {@code count}: the number of non-null values of any type (int64; 0 for a group without any). State: the counter. */
public final class Count extends CounterFunction {
    /** The function. */
    public static final Count INSTANCE = new Count();

    private Count() {
        super("count");
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase) {
        if (input.hasNulls()) {
            Inputs.countValues(state[0], input, groups, from, to);
        } else {
            Inputs.countRows(state[0], groups, from, to);
        }
    }
}
