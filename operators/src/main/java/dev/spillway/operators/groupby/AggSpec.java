package dev.spillway.operators.groupby;

import dev.spillway.memory.DataType;

import java.util.Objects;

/**
 * One aggregate of a group-by.
 *
 * @param kind      the function
 * @param inputType type of its input column; null for {@link AggKind#LEN}
 * @param name      name of the result column
 */
public record AggSpec(AggKind kind, DataType inputType, String name) {
    /** Validates the input type against the function. */
    public AggSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (kind.hasInput()) {
            Objects.requireNonNull(inputType, () -> kind.displayName() + "() needs an input");
            kind.resultType(inputType);
        } else {
            inputType = null;
        }
    }

    /** The type of the result column. */
    public DataType resultType() {
        return kind.resultType(inputType);
    }
}
