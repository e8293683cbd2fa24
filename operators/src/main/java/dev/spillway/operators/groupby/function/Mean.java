package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code mean}: the arithmetic mean of the non-null values; int32, int64 and float64 give float64,
 * {@code decimal(p, s)} gives {@code decimal(38, max(s, 6))} rounded half away from zero; null
 * when none. States: the sum (int64 for integer inputs, so merges stay exact; float64 for
 * float64; a 128-bit {@code decimal(38, s)} for decimals) and the count of non-null values.
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
        return Inputs.numeric(name(), input) == DataType.DECIMAL128 ? DataType.DECIMAL128 : DataType.FLOAT64;
    }

    @Override
    public DecimalType resultDecimal(DecimalType input) {
        return input == null ? null : DecimalStates.meanType(input);
    }

    @Override
    public List<StateType> stateTypes(DataType input, DecimalType decimal) {
        StateType sum = switch (input) {
            case FLOAT64 -> StateType.nullable(DataType.FLOAT64);
            case DECIMAL128 -> StateType.nullable(DataType.DECIMAL128, DecimalStates.sumType(decimal));
            default -> StateType.nullable(DataType.INT64);
        };
        return List.of(sum, StateType.counter());
    }

    @Override
    public void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase) {
        Inputs.addValues(state[0], input, groups, from, to);
        if (input.hasNulls()) {
            Inputs.countValues(state[1], input, groups, from, to);
        } else {
            Inputs.countRows(state[1], groups, from, to);
        }
    }

    /** A partial row whose sum is null has a count of zero, so sums and counts merge independently. */
    @Override
    public void merge(GroupColumn[] state, Morsel partials, int firstColumn, MemorySegment groups, int from, int to) {
        Inputs.addValues(state[0], partials.column(firstColumn), groups, from, to);
        Inputs.addCounts(state[1], partials.column(firstColumn + 1), groups, from, to);
    }

    @Override
    public void finish(GroupColumn[] state, int from, int to, ColumnBuilder out) {
        if (state[0].type() == DataType.DECIMAL128) {
            DecimalStates.appendMeans(state[0], state[1], from, to, out);
            return;
        }
        Float64Builder b = (Float64Builder) out;
        GroupColumn sum = state[0];
        MemorySegment set = sum.notNull();
        MemorySegment v = sum.values();
        MemorySegment n = state[1].values();
        boolean doubles = sum.type() == DataType.FLOAT64;
        for (int g = from; g < to; g++) {
            long count = n.getAtIndex(GroupColumn.LONG, g);
            if (count == 0 || set.get(GroupColumn.BYTE, g) == 0) {
                b.appendNull();
            } else {
                b.append((doubles ? v.getAtIndex(GroupColumn.DOUBLE, g) : (double) v.getAtIndex(GroupColumn.LONG, g)) / count);
            }
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
