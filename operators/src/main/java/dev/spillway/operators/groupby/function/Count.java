package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;

import java.util.List;

/** {@code count}: the number of non-null values of any type (int64; 0 for a group without any). State: the counter. */
public final class Count implements AggregateFunction {
    /** The function. */
    public static final Count INSTANCE = new Count();

    private Count() {
    }

    @Override
    public String name() {
        return "count";
    }

    @Override
    public DataType resultType(DataType input) {
        return DataType.INT64;
    }

    @Override
    public List<StateType> stateTypes(DataType input) {
        return List.of(StateType.counter());
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, int[] groups, int from, int to, long ordinalBase) {
        long[] v = state[0].longs();
        if (!input.hasNulls()) {
            for (int r = from; r < to; r++) {
                v[groups[r]]++;
            }
            return;
        }
        for (int r = from; r < to; r++) {
            v[groups[r]] += input.isNull(r) ? 0 : 1;
        }
    }

    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, int[] groups, int from, int to) {
        Inputs.addCounts(state[0], partials.column(firstColumn), groups, from, to);
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
