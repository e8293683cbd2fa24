package dev.spillway.memory;

import java.util.Objects;

/**
 * A named, typed column of a {@link Schema}.
 *
 * @param name     column name, unique within a schema
 * @param type     the column's type
 * @param nullable whether the column may hold nulls
 */
public record Field(String name, DataType type, boolean nullable) {
    /** Validates the components. */
    public Field {
        Objects.requireNonNull(name, "field name");
        Objects.requireNonNull(type, "field type of '" + name + "'");
    }

    /** A nullable field. */
    public static Field of(String name, DataType type) {
        return new Field(name, type, true);
    }

    /** The same field under another name. */
    public Field withName(String newName) {
        return new Field(newName, type, nullable);
    }

    @Override
    public String toString() {
        return name + ": " + type.displayName() + (nullable ? "" : " not null");
    }
}
