package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnVector;

import java.lang.foreign.MemorySegment;

/**
 * An aggregate over the distinct values of its input ({@code n_unique}). Its input extends the
 * key of partial rows, so every distinct (keys, value) pair survives pre-aggregation, flushing
 * and spilling as its own row, and {@link #update} sees no input values. After a partition is
 * merged, its rows are folded back to the group keys: {@link #fold} then sees each pair once.
 * Folded states (one partition's) are merged across partitions with {@link #merge}.
 */
public interface DistinctFunction extends AggregateFunction {
    /**
     * Folds distinct values {@code [from, to)} (each (group, value) pair once; nulls are rows of
     * other distinct inputs and are skipped) into the states of their groups.
     *
     * @param values the distinct values (an extended-key column of the merged partial rows)
     * @param groups the group id (group keys only) of every row (int32s)
     */
    void fold(GroupColumn[] state, ColumnVector values, MemorySegment groups, int from, int to);
}
