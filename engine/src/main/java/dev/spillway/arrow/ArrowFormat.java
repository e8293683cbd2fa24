package dev.spillway.arrow;

import dev.spillway.errors.ArrowInterfaceException;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;

/**
 * The C data interface's format strings for Spillway's types, both ways. The mapping is the one
 * the Arrow IPC reader and writer use (same Arrow types, decimal precision and scale, timestamp
 * unit and zone); only its spelling differs: IPC uses flatbuffer type tables, the C interface
 * these strings.
 */
final class ArrowFormat {
    /** The formats {@link #toField} accepts, for error messages. */
    static final String SUPPORTED = "i (int32), l (int64), g (float64), b (boolean), tdD (date32), u (utf8), "
            + "U (large_utf8, read as utf8), d:p,s (decimal128), tsu: and tsu:<zone> (timestamp[us])";
    /** Large UTF-8 (int64 offsets): imported as {@link DataType#UTF8} with the offsets narrowed. */
    static final String LARGE_UTF8 = "U";

    private ArrowFormat() {
    }

    /** The format string of {@code f}'s type. */
    static String of(Field f) {
        return switch (f.type()) {
            case INT32 -> "i";
            case INT64 -> "l";
            case FLOAT64 -> "g";
            case BOOLEAN -> "b";
            case DATE32 -> "tdD";
            case UTF8 -> "u";
            case DECIMAL128 -> "d:" + f.decimal().precision() + "," + f.decimal().scale();
            case TIMESTAMP -> "tsu:" + (f.timeZone() == null ? "" : f.timeZone());
        };
    }

    /**
     * The field for a column of format {@code format}.
     *
     * @throws ArrowInterfaceException naming the column, the format and the supported ones when
     *                                 the type has no Spillway counterpart
     */
    static Field toField(String name, String format, boolean nullable) {
        if (format == null) {
            throw new ArrowInterfaceException("column '" + name + "' has a NULL format string");
        }
        DataType type = switch (format) {
            case "i" -> DataType.INT32;
            case "l" -> DataType.INT64;
            case "g" -> DataType.FLOAT64;
            case "b" -> DataType.BOOLEAN;
            case "tdD" -> DataType.DATE32;
            case "u", LARGE_UTF8 -> DataType.UTF8;
            default -> null;
        };
        if (type != null) {
            return new Field(name, type, nullable);
        }
        if (format.startsWith("tsu:")) {
            String zone = format.substring(4);
            try {
                return new Field(name, DataType.TIMESTAMP, nullable, null, zone.isEmpty() ? null : zone);
            } catch (RuntimeException e) {
                throw new ArrowInterfaceException("column '" + name + "' has format '" + format + "' with an unknown time zone: "
                        + e.getMessage(), e);
            }
        }
        if (format.startsWith("d:")) {
            String[] parts = format.substring(2).split(",", -1);
            if (parts.length == 2 || parts.length == 3 && parts[2].equals("128")) {
                try {
                    int precision = Integer.parseInt(parts[0]);
                    int scale = Integer.parseInt(parts[1]);
                    if (precision >= 1 && precision <= DecimalType.MAX_PRECISION && scale >= 0 && scale <= precision) {
                        return new Field(name, DataType.DECIMAL128, nullable, DecimalType.of(precision, scale));
                    }
                } catch (NumberFormatException e) {
                    // falls through to the error below
                }
            }
            throw new ArrowInterfaceException("column '" + name + "' has format '" + format + "': only 128-bit decimals with"
                    + " precision 1 to " + DecimalType.MAX_PRECISION + " and scale 0 to the precision are supported");
        }
        throw new ArrowInterfaceException("column '" + name + "' has format '" + format + "', which Spillway cannot read;"
                + " supported: " + SUPPORTED);
    }
}
