package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;

import java.util.List;

/**
 * {@code n_unique}: the exact number of distinct non-null values of any type (int64). State: the
 * count of the distinct values folded so far (see {@link DistinctFunction}).
 */
public final class NUnique implements DistinctFunction {
    /** The function. */
    public static final NUnique INSTANCE = new NUnique();

    private NUnique() {
    }

    @Override
    public String name() {
        return "n_unique";
    }

    @Override
    public DataType resultType(DataType input) {
        return DataType.INT64;
    }

    @Override
    public List<StateType> stateTypes(DataType input) {
        return List.of(StateType.counter());
    }

    /** Nothing: the values are carried by the extended key and counted by {@link #fold}. */
    @Override
    public void update(GroupColumn[] state, ColumnVector input, int[] groups, int from, int to, long ordinalBase) {
    }

    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, int[] groups, int from, int to) {
        Inputs.addCounts(state[0], partials.column(firstColumn), groups, from, to);
    }

    @Override
    public void fold(GroupColumn[] state, ColumnVector values, int[] groups, int from, int to) {
        long[] v = state[0].longs();
        for (int r = from; r < to; r++) {
            v[groups[r]] += values.isNull(r) ? 0 : 1;
        }
    }

    @Override
    public void finish(GroupColumn[] state, int from, int to, ColumnBuilder out) {
        Inputs.appendCounts(state[0], from, to, (Int64Builder) out);
    }

    @Override
    public String toString() {
        return name();
    }
}
