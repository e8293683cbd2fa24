package dev.spillway.operators.groupby;

import dev.spillway.memory.DataType;
import dev.spillway.operators.groupby.function.AggregateFunction;

import java.util.Objects;

/**
 * One aggregate of a group-by.
 *
 * @param function  the function
 * @param inputType type of its input column; null for a function without input ({@code len})
 * @param name      name of the result column
 */
public record AggSpec(AggregateFunction function, DataType inputType, String name) {
    /** Validates the input type against the function. */
    public AggSpec {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(name, "name");
        if (function.hasInput()) {
            Objects.requireNonNull(inputType, () -> function.name() + "() needs an input");
            if (inputType == DataType.DECIMAL128) {
                throw new IllegalArgumentException(function.name() + "() over a decimal is not supported yet; decimals can be "
                        + "group-by keys, and cast(float64) or cast(int64) gives an input the aggregates take");
            }
            function.resultType(inputType);
        } else {
            inputType = null;
        }
    }

    /** The type of the result column. */
    public DataType resultType() {
        return function.resultType(inputType);
    }
}
