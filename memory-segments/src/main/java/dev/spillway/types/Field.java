package dev.spillway.types;

import dev.spillway.memory.Timestamps;


import java.util.Objects;

/**
 * A named, typed column of a {@link Schema}.
 *
 * @param name     column name, unique within a schema
 * @param type     the column's storage type
 * @param nullable whether the column may hold nulls
 * @param decimal  precision and scale when {@code type} is {@link DataType#DECIMAL128}, else null
 * @param timeZone for {@link DataType#TIMESTAMP}: the zone the instants are shown in (a region such
 *                 as {@code Europe/Berlin}, {@code UTC} or an offset such as {@code +01:00}), or
 *                 null for naive local date-times; null for every other type
 */
public record Field(String name, DataType type, boolean nullable, DecimalType decimal, String timeZone) {
    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException when a decimal field has no {@link DecimalType} or another
     *         field has one, when a non-timestamp field has a time zone, or when the zone is unknown
     */
    public Field {
        Objects.requireNonNull(name, "field name");
        Objects.requireNonNull(type, "field type of '" + name + "'");
        if ((type == DataType.DECIMAL128) != (decimal != null)) {
            throw new IllegalArgumentException(type == DataType.DECIMAL128
                    ? "decimal column '" + name + "' needs a precision and scale (Field.decimal(name, precision, scale))"
                    : "column '" + name + "' of type " + type.displayName() + " cannot have a decimal precision and scale");
        }
        if (timeZone != null) {
            if (type != DataType.TIMESTAMP) {
                throw new IllegalArgumentException("column '" + name + "' of type " + type.displayName()
                        + " cannot have a time zone (only timestamp columns can)");
            }
            Timestamps.zone(timeZone, "column '" + name + "'");
        }
    }

    /** A field without a time zone. */
    public Field(String name, DataType type, boolean nullable, DecimalType decimal) {
        this(name, type, nullable, decimal, null);
    }

    /** A field of a non-decimal type (timestamps without a time zone). */
    public Field(String name, DataType type, boolean nullable) {
        this(name, type, nullable, null, null);
    }

    /** A nullable field of a non-decimal type. */
    public static Field of(String name, DataType type) {
        return new Field(name, type, true);
    }

    /** A nullable field of {@code type} with {@code decimal} (null unless {@code type} is DECIMAL128). */
    public static Field of(String name, DataType type, DecimalType decimal) {
        return new Field(name, type, true, decimal);
    }

    /** A nullable field of {@code type} with its decimal precision and scale and its time zone (each may be null). */
    public static Field of(String name, DataType type, DecimalType decimal, String timeZone) {
        return new Field(name, type, true, decimal, timeZone);
    }

    /** A nullable {@code decimal(precision, scale)} field. */
    public static Field decimal(String name, int precision, int scale) {
        return new Field(name, DataType.DECIMAL128, true, DecimalType.of(precision, scale));
    }

    /** A nullable timestamp field: naive when {@code timeZone} is null, else instants shown in that zone. */
    public static Field timestamp(String name, String timeZone) {
        return new Field(name, DataType.TIMESTAMP, true, null, timeZone);
    }

    /** The same field under another name. */
    public Field withName(String newName) {
        return new Field(newName, type, nullable, decimal, timeZone);
    }

    /** The same type under another name, nullable. */
    public Field nullableAs(String newName) {
        return new Field(newName, type, true, decimal, timeZone);
    }

    /** Whether {@code other} has the same type (for decimals, precision and scale; for timestamps, time zone). */
    public boolean sameType(Field other) {
        return type == other.type && Objects.equals(decimal, other.decimal) && Objects.equals(timeZone, other.timeZone);
    }

    /** The type as shown in schemas and messages: {@code int64}, {@code decimal(15,2)}, {@code timestamp(UTC)}, ... */
    public String typeName() {
        return typeName(type, decimal, timeZone);
    }

    /** The name of a type with its details, as {@link #typeName()}. */
    public static String typeName(DataType type, DecimalType decimal, String timeZone) {
        if (decimal != null) {
            return decimal.displayName();
        }
        return timeZone != null ? type.displayName() + "(" + timeZone + ")" : type.displayName();
    }

    @Override
    public String toString() {
        return name + ": " + typeName() + (nullable ? "" : " not null");
    }
}
