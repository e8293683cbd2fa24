package dev.spillway.types;

/**
 * Logical column types and their Arrow physical layout.
 *
 * <p>{@link #DATE32} is stored like {@link #INT32} (days since 1970-01-01); {@link #BOOLEAN} is
 * bit-packed, LSB first; {@link #UTF8} is int32 offsets ({@code length + 1}) plus data bytes;
 * {@link #DECIMAL128} is Arrow's decimal128: 16 bytes per value, a little-endian two's-complement
 * unscaled integer. A decimal's precision and scale are not part of this enum (so that it stays a
 * closed set of storage kinds); they travel as a {@link DecimalType} beside it, see
 * {@link Field#decimal()}.
 *
 * <p>{@link #TIMESTAMP} is stored like {@link #INT64}: microseconds since 1970-01-01T00:00, as
 * Arrow's {@code timestamp[us]}. Its optional time zone travels beside it like a decimal's
 * precision ({@link Field#timeZone()}): without one the values are naive local date-times; with
 * one they are UTC instants shown in that zone ({@code timestamp[us, tz]}).
 */
public enum DataType {
    /** 32-bit signed integer. */
    INT32(4),
    /** 64-bit signed integer. */
    INT64(8),
    /** IEEE 754 double. */
    FLOAT64(8),
    /** Bit-packed boolean. */
    BOOLEAN(0),
    /** Date as int32 days since the Unix epoch. */
    DATE32(4),
    /** UTF-8 string: int32 offsets plus data bytes. */
    UTF8(0),
    /** Exact decimal: a 128-bit unscaled integer; precision and scale in a {@link DecimalType}. */
    DECIMAL128(16),
    /** Microseconds since the epoch, stored like INT64; the time zone (if any) in {@link Field#timeZone()}. */
    TIMESTAMP(8);

    private final int byteWidth;

    DataType(int byteWidth) {
        this.byteWidth = byteWidth;
    }

    /** Bytes per value for fixed-width types; 0 for bit-packed and variable-width types. */
    public int byteWidth() {
        return byteWidth;
    }

    /** Whether values are stored as fixed-width slots of {@link #byteWidth()} bytes. */
    public boolean isFixedWidth() {
        return byteWidth > 0;
    }

    /** Whether the type is INT32, INT64 or FLOAT64. */
    public boolean isNumeric() {
        return this == INT32 || this == INT64 || this == FLOAT64;
    }

    /** Lower-case name used in schemas and messages, e.g. {@code int64}. */
    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
