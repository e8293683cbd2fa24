package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Morsel;

import java.util.List;

/**
 * {@code mean}: the arithmetic mean of the non-null int32, int64 or float64 values (float64);
 * null when none. States: the sum (int64 for integer inputs, so merges stay exact; float64 for
 * float64) and the count of non-null values.
 */
public final class Mean implements AggregateFunction {
    /** The function. */
    public static final Mean INSTANCE = new Mean();

    private Mean() {
    }

    @Override
    public String name() {
        return "mean";
    }

    @Override
    public DataType resultType(DataType input) {
        Inputs.numeric(name(), input);
        return DataType.FLOAT64;
    }

    @Override
    public List<StateType> stateTypes(DataType input) {
        return List.of(StateType.nullable(input == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.INT64), StateType.counter());
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, int[] groups, int from, int to, long ordinalBase) {
        Inputs.addValues(state[0], input, groups, from, to);
        long[] n = state[1].longs();
        boolean nulls = input.hasNulls();
        for (int r = from; r < to; r++) {
            n[groups[r]] += nulls && input.isNull(r) ? 0 : 1;
        }
    }

    /** A partial row whose sum is null has a count of zero, so sums and counts merge independently. */
    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, int[] groups, int from, int to) {
        Inputs.addValues(state[0], partials.column(firstColumn), groups, from, to);
        Inputs.addCounts(state[1], partials.column(firstColumn + 1), groups, from, to);
    }

    @Override
    public void finish(GroupColumn[] state, int from, int to, ColumnBuilder out) {
        Float64Builder b = (Float64Builder) out;
        GroupColumn sum = state[0];
        boolean[] set = sum.notNull();
        long[] n = state[1].longs();
        double[] d = sum.doubles();
        long[] v = sum.longs();
        for (int g = from; g < to; g++) {
            if (n[g] == 0 || !set[g]) {
                b.appendNull();
            } else {
                b.append((d != null ? d[g] : (double) v[g]) / n[g]);
            }
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
