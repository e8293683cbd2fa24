package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;

import java.util.List;

/** {@code len}: the number of rows, nulls included (int64); it reads no input. State: the counter. */
public final class Len implements AggregateFunction {
    /** The function. */
    public static final Len INSTANCE = new Len();

    private Len() {
    }

    @Override
    public String name() {
        return "len";
    }

    @Override
    public boolean hasInput() {
        return false;
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
        for (int r = from; r < to; r++) {
            v[groups[r]]++;
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
