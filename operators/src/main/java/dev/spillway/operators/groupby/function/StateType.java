package dev.spillway.operators.groupby.function;

import dev.spillway.memory.DataType;

import java.util.Objects;

/**
 * One partial-state column of an aggregate: its type (also the type of the partial-row column it
 * is flushed and spilled as) and the value a new group starts with.
 *
 * @param type      the value type; {@link DataType#UTF8} holds variable-size entries
 * @param startsNull whether a new group starts with null (a minimum, a sum) rather than zero (a count)
 */
public record StateType(DataType type, boolean startsNull) {
    /** Validates the type. */
    public StateType {
        Objects.requireNonNull(type, "type");
    }

    /** A state that starts null: nothing seen yet. */
    public static StateType nullable(DataType type) {
        return new StateType(type, true);
    }

    /** A counter that starts at zero and is never null. */
    public static StateType counter() {
        return new StateType(DataType.INT64, false);
    }
}
