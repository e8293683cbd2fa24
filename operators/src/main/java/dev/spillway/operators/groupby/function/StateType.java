package dev.spillway.operators.groupby.function;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;

import java.util.Objects;

/**
 * One partial-state column of an aggregate: its type (also the type of the partial-row column it
 * is flushed and spilled as) and the value a new group starts with.
 *
 * @param type       the value type; {@link DataType#UTF8} holds variable-size entries
 * @param startsNull whether a new group starts with null (a minimum, a sum) rather than zero (a count)
 * @param decimal    the precision and scale of a {@link DataType#DECIMAL128} state (the partial-row
 *                   column's type), else null
 */
public record StateType(DataType type, boolean startsNull, DecimalType decimal) {
    /**
     * Validates the type.
     *
     * @throws IllegalArgumentException when a decimal state has no precision and scale, or another
     *                                  state has one
     */
    public StateType {
        Objects.requireNonNull(type, "type");
        if ((type == DataType.DECIMAL128) != (decimal != null)) {
            throw new IllegalArgumentException("a " + type.displayName() + " state " + (decimal == null ? "needs" : "cannot have")
                    + " a decimal precision and scale");
        }
    }

    /** A state that starts null (nothing seen yet) of a type other than decimal. */
    public static StateType nullable(DataType type) {
        return new StateType(type, true, null);
    }

    /** A state that starts null of {@code type} with {@code decimal} (null unless {@code type} is DECIMAL128). */
    public static StateType nullable(DataType type, DecimalType decimal) {
        return new StateType(type, true, decimal);
    }

    /** A counter that starts at zero and is never null. */
    public static StateType counter() {
        return new StateType(DataType.INT64, false, null);
    }
}
