package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnVector;

import java.lang.foreign.MemorySegment;

/**
 * {@code n_unique}: the exact number of distinct non-null values of any type (int64). State: the
 * count of the distinct values folded so far (see {@link DistinctFunction}).
 */
public final class NUnique extends CounterFunction implements DistinctFunction {
    /** The function. */
    public static final NUnique INSTANCE = new NUnique();

    private NUnique() {
        super("n_unique");
    }

    /** Nothing: the values are carried by the extended key and counted by {@link #fold}. */
    @Override
    public void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase) {
    }

    @Override
    public void fold(GroupColumn[] state, ColumnVector values, MemorySegment groups, int from, int to) {
        Inputs.countValues(state[0], values, groups, from, to);
    }
}
