package dev.spillway.memory;

import java.util.Objects;

/**
 * A named, typed column of a {@link Schema}.
 *
 * @param name     column name, unique within a schema
 * @param type     the column's storage type
 * @param nullable whether the column may hold nulls
 * @param decimal  precision and scale when {@code type} is {@link DataType#DECIMAL128}, else null
 */
public record Field(String name, DataType type, boolean nullable, DecimalType decimal) {
    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException when a decimal field has no {@link DecimalType} or another
     *         field has one
     */
    public Field {
        Objects.requireNonNull(name, "field name");
        Objects.requireNonNull(type, "field type of '" + name + "'");
        if ((type == DataType.DECIMAL128) != (decimal != null)) {
            throw new IllegalArgumentException(type == DataType.DECIMAL128
                    ? "decimal column '" + name + "' needs a precision and scale (Field.decimal(name, precision, scale))"
                    : "column '" + name + "' of type " + type.displayName() + " cannot have a decimal precision and scale");
        }
    }

    /** A field of a non-decimal type. */
    public Field(String name, DataType type, boolean nullable) {
        this(name, type, nullable, null);
    }

    /** A nullable field of a non-decimal type. */
    public static Field of(String name, DataType type) {
        return new Field(name, type, true);
    }

    /** A nullable field of {@code type} with {@code decimal} (null unless {@code type} is DECIMAL128). */
    public static Field of(String name, DataType type, DecimalType decimal) {
        return new Field(name, type, true, decimal);
    }

    /** A nullable {@code decimal(precision, scale)} field. */
    public static Field decimal(String name, int precision, int scale) {
        return new Field(name, DataType.DECIMAL128, true, DecimalType.of(precision, scale));
    }

    /** A nullable field with the type of {@code vector}. */
    public static Field of(String name, ColumnVector vector) {
        return new Field(name, vector.type(), true, vector instanceof Decimal128Vector d ? d.decimalType() : null);
    }

    /** The same field under another name. */
    public Field withName(String newName) {
        return new Field(newName, type, nullable, decimal);
    }

    /** The same type under another name, nullable. */
    public Field nullableAs(String newName) {
        return new Field(newName, type, true, decimal);
    }

    /** Whether {@code other} has the same type (and, for decimals, precision and scale). */
    public boolean sameType(Field other) {
        return type == other.type && Objects.equals(decimal, other.decimal);
    }

    /** The type as shown in schemas and messages: {@code int64}, {@code decimal(15,2)}, ... */
    public String typeName() {
        return decimal != null ? decimal.displayName() : type.displayName();
    }

    @Override
    public String toString() {
        return name + ": " + typeName() + (nullable ? "" : " not null");
    }
}
