package dev.spillway.operators.groupby;

import dev.spillway.memory.DataType;
import dev.spillway.memory.Field;
import dev.spillway.operators.groupby.function.AggregateFunction;

import java.util.Objects;

/**
 * One aggregate of a group-by.
 *
 * @param function  the function
 * @param inputType type of its input column; null for a function without input ({@code len})
 * @param name      name of the result column
 * @param timeZone  the time zone of a timestamp input (min, max, first and last keep it); else null
 */
public record AggSpec(AggregateFunction function, DataType inputType, String name, String timeZone) {
    /** An aggregate whose input is not a timestamp with a time zone. */
    public AggSpec(AggregateFunction function, DataType inputType, String name) {
        this(function, inputType, name, null);
    }

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
            if (inputType == DataType.TIMESTAMP && !timestampResult(function)) {
                throw new IllegalArgumentException(function.name() + "() over a timestamp is not defined; min, max, first, "
                        + "last and the counts are (cast(int64) gives microseconds since the epoch)");
            }
            function.resultType(inputType);
        } else {
            inputType = null;
        }
        if (inputType != DataType.TIMESTAMP) {
            timeZone = null;
        }
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

    /** The result column: named {@link #name()}, of {@link #resultType()}, a timestamp keeping the input's zone. */
    public Field resultField() {
        DataType t = resultType();
        return Field.of(name, t, null, t == DataType.TIMESTAMP ? timeZone : null);
    }

    /** The type of the result column. */
    public DataType resultType() {
        return function.resultType(inputType);
    }
}
