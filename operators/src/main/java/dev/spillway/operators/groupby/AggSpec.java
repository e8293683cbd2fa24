package dev.spillway.operators.groupby;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.operators.groupby.function.AggregateFunction;
import dev.spillway.operators.groupby.function.StateType;

import java.util.List;
import java.util.Objects;

/**
 * One aggregate of a group-by.
 *
 * @param function     the function
 * @param inputType    type of its input column; null for a function without input ({@code len})
 * @param inputDecimal the input's precision and scale when {@code inputType} is
 *                     {@link DataType#DECIMAL128}, else null
 * @param timeZone     the time zone of a timestamp input (min, max, first and last keep it); else null
 * @param name         name of the result column
 * @param label        how errors name the aggregate, e.g. {@code col("price").sum().alias("total")}
 */
public record AggSpec(AggregateFunction function, DataType inputType, DecimalType inputDecimal, String timeZone, String name,
        String label) {
    /**
     * Validates the input type against the function.
     *
     * @throws IllegalArgumentException naming the function and the types it takes when it does not
     *                                  apply to the input, or when a decimal input has no precision
     *                                  and scale (or another input has one)
     */
    public AggSpec {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(label, "label");
        if (function.hasInput()) {
            Objects.requireNonNull(inputType, () -> function.name() + "() needs an input");
            if ((inputType == DataType.DECIMAL128) != (inputDecimal != null)) {
                throw new IllegalArgumentException(function.name() + "() over " + inputType.displayName()
                        + (inputDecimal == null ? " needs the input's precision and scale" : " cannot have a decimal precision and scale"));
            }
            if (inputType == DataType.TIMESTAMP && !timestampResult(function)) {
                throw new IllegalArgumentException(function.name() + "() over a timestamp is not defined; min, max, first, "
                        + "last and the counts are (cast(int64) gives microseconds since the epoch)");
            }
            function.resultType(inputType);
        } else {
            inputType = null;
            inputDecimal = null;
        }
        if (inputType != DataType.TIMESTAMP) {
            timeZone = null;
        }
    }

    /** An aggregate over a non-decimal input (or none) that is not a zoned timestamp, named by its result column in errors. */
    public AggSpec(AggregateFunction function, DataType inputType, String name) {
        this(function, inputType, null, null, name, name);
    }

    /** An aggregate over the input described by {@code input} (its type, precision and scale, time zone; null for none). */
    public static AggSpec of(AggregateFunction function, Field input, String name, String label) {
        return input == null ? new AggSpec(function, null, null, null, name, label)
                : new AggSpec(function, input.type(), input.decimal(), input.timeZone(), name, label);
    }

    /** Whether {@code function} takes a timestamp and gives a timestamp (min, max, ...) or a count. */
    private static boolean timestampResult(AggregateFunction function) {
        try {
            DataType r = function.resultType(DataType.TIMESTAMP);
            return r == DataType.TIMESTAMP || r == DataType.INT64;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The type of the result column. */
    public DataType resultType() {
        return function.resultType(inputType);
    }

    /**
     * The result column: named {@link #name()}, of {@link #resultType()}, with the precision and
     * scale of a decimal result and the input's zone for a timestamp result.
     */
    public Field resultField() {
        DataType t = resultType();
        return Field.of(name, t, t == DataType.DECIMAL128 ? function.resultDecimal(inputDecimal) : null,
                t == DataType.TIMESTAMP ? timeZone : null);
    }

    /** The input column as the group-by's input rows carry it, under {@code columnName}. */
    Field inputField(String columnName) {
        return Field.of(columnName, inputType, inputDecimal, timeZone);
    }

    /** The partial-state columns. */
    List<StateType> stateTypes() {
        return function.stateTypes(inputType, inputDecimal);
    }
}
