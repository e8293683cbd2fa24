package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A function whose one state is an int64 counter that starts at zero and is its result
 * ({@code count}, {@code len}, {@code n_unique}): partial counters add up, and a group finishes
 * as its counter. Subclasses say only how rows are counted.
 */
abstract sealed class CounterFunction implements AggregateFunction permits Count, Len, NUnique {
    private final String name;

    CounterFunction(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final DataType resultType(DataType input) {
        return DataType.INT64;
    }

    @Override
    public final DecimalType resultDecimal(DecimalType input) {
        return null;
    }

    @Override
    public final List<StateType> stateTypes(DataType input, DecimalType decimal) {
        return List.of(StateType.counter());
    }

    @Override
    public final void merge(GroupColumn[] state, Morsel partials, int firstColumn, MemorySegment groups, int from, int to) {
        Inputs.addCounts(state[0], partials.column(firstColumn), groups, from, to);
    }

    @Override
    public final void finish(GroupColumn[] state, int from, int to, ColumnBuilder out) {
        Int64Builder b = (Int64Builder) out;
        MemorySegment v = state[0].values();
        for (int g = from; g < to; g++) {
            b.append(v.getAtIndex(GroupColumn.LONG, g));
        }
    }

    @Override
    public final String toString() {
        return name;
    }
}
