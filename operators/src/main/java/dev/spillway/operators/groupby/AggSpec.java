package dev.spillway.operators.groupby;

import dev.spillway.memory.DataType;
import dev.spillway.memory.DecimalType;
import dev.spillway.memory.Field;
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
 * @param name         name of the result column
 * @param label        how errors name the aggregate, e.g. {@code col("price").sum().alias("total")}
 */
public record AggSpec(AggregateFunction function, DataType inputType, DecimalType inputDecimal, String name, String label) {
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
            function.resultType(inputType);
        } else {
            inputType = null;
            inputDecimal = null;
        }
    }

    /** An aggregate over a non-decimal input (or none), named by its result column in errors. */
    public AggSpec(AggregateFunction function, DataType inputType, String name) {
        this(function, inputType, null, name, name);
    }

    /** An aggregate over the input described by {@code input} (its type, precision and scale; null for none). */
    public static AggSpec of(AggregateFunction function, Field input, String name, String label) {
        return new AggSpec(function, input == null ? null : input.type(), input == null ? null : input.decimal(), name, label);
    }

    /** The type of the result column. */
    public DataType resultType() {
        return function.resultType(inputType);
    }

    /** The result column: its name, type, and precision and scale for a decimal result. */
    public Field resultField() {
        DataType t = resultType();
        return Field.of(name, t, t == DataType.DECIMAL128 ? function.resultDecimal(inputDecimal) : null);
    }

    /** The input column as the group-by's input rows carry it, under {@code columnName}. */
    Field inputField(String columnName) {
        return Field.of(columnName, inputType, inputDecimal);
    }

    /** The partial-state columns. */
    List<StateType> stateTypes() {
        return function.stateTypes(inputType, inputDecimal);
    }
}
