package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code sum}: the sum of the non-null values; int32/int64 give int64 (wrapping on overflow),
 * float64 gives float64; null when there is none. State: the running sum, null until a value.
 */
public final class Sum implements AggregateFunction {
    /** The function. */
    public static final Sum INSTANCE = new Sum();

    private Sum() {
    }

    @Override
    public String name() {
        return "sum";
    }

    @Override
    public DataType resultType(DataType input) {
        return Inputs.numeric(name(), input) == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.INT64;
    }

    @Override
    public List<StateType> stateTypes(DataType input) {
        return List.of(StateType.nullable(resultType(input)));
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase) {
        Inputs.addValues(state[0], input, groups, from, to);
    }

    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, MemorySegment groups, int from, int to) {
        Inputs.addValues(state[0], partials.column(firstColumn), groups, from, to);
    }

    @Override
    public void finish(GroupColumn[] state, int from, int to, ColumnBuilder out) {
        Inputs.appendValues(state[0], from, to, out);
    }

    @Override
    public String toString() {
        return name();
    }
}
