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
