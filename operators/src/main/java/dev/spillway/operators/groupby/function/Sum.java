package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * {@code sum}: the sum of the non-null values; int32/int64 give int64 (wrapping on overflow),
 * float64 gives float64, {@code decimal(p, s)} gives {@code decimal(38, s)}, exact, failing when
 * the sum does not fit 38 digits (see {@link DecimalStates}); null when there is none. State: the
 * running sum, null until a value.
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
        return switch (Inputs.numeric(name(), input)) {
            case FLOAT64, DECIMAL128 -> input;
            default -> DataType.INT64;
        };
    }

    @Override
    public DecimalType resultDecimal(DecimalType input) {
        return input == null ? null : DecimalStates.sumType(input);
    }

    @Override
    public List<StateType> stateTypes(DataType input, DecimalType decimal) {
        return List.of(StateType.nullable(resultType(input), resultDecimal(decimal)));
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
        if (state[0].type() == DataType.DECIMAL128) {
            DecimalStates.appendSums(state[0], from, to, out);
        } else {
            Inputs.appendValues(state[0], from, to, out);
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
