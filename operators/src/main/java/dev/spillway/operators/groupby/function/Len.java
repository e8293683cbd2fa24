package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnVector;

import java.lang.foreign.MemorySegment;

/** {@code len}: the number of rows, nulls included (int64); it reads no input. State: the counter. */
public final class Len extends CounterFunction {
    /** The function. */
    public static final Len INSTANCE = new Len();

    private Len() {
        super("len");
    }

    @Override
    public boolean hasInput() {
        return false;
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase) {
        Inputs.countRows(state[0], groups, from, to);
    }
}
