package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/**
 * A constant, broadcast when evaluated on its own; a timestamp's value is a Long of microseconds
 * (see {@link Timestamps}), with {@code timeZone} null for a naive one.
 */
record Literal(Object value, DataType type, DecimalType decimalType, String timeZone) implements PhysicalExpr {

    /** A constant without a time zone. */
    Literal(Object value, DataType type, DecimalType decimalType) {
        this(value, type, decimalType, null);
    }

    /** A constant; a decimal one has the precision and scale of its value (see {@link Decimals#typeOf}). */
    Literal(Object value, DataType type) {
        this(value, type, value instanceof BigDecimal d ? Decimals.typeOf(d) : null);
    }

    @Override
    public ColumnVector evaluate(Morsel input, EvalContext ctx) {
        int n = input.rowCount();
        try (ColumnBuilder b = ColumnBuilder.create(type, decimalType(), timeZone, ctx.pool(), ctx.budget(), n)) {
            for (int i = 0; i < n; i++) {
                b.appendObject(value);
            }
            return b.build();
        }
    }

    double asDouble() {
        return ((Number) value).doubleValue();
    }

    /** A vector of {@code n} nulls of {@code type}. */
    static ColumnVector nulls(DataType type, int n, EvalContext ctx) {
        return new Literal(null, type).evaluate(new Morsel(new Schema(List.of()), List.of(), n, 0), ctx);
    }

    long asLong() {
        return switch (value) {
            case Boolean bo -> bo ? 1 : 0;
            case LocalDate d -> d.toEpochDay();
            default -> ((Number) value).longValue();
        };
    }

    @Override
    public String toString() {
        if (type == DataType.TIMESTAMP && value != null) {
            return "timestamp(\"" + Timestamps.format((Long) value, Timestamps.zoneOrNull(timeZone)) + "\")";
        }
        return switch (value) {
            case null -> "null";
            case String s -> "\"" + s + "\"";
            case LocalDate d -> "date(" + d + ")";
            case BigDecimal d -> "decimal(\"" + d.toPlainString() + "\")";
            default -> value.toString();
        };
    }
}
