package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.types.DataType;

import java.time.ZoneId;

/**
 * A column of int64 values; also the storage of {@link DataType#TIMESTAMP} (microseconds since the
 * epoch, with the column's time zone or none).
 */
public final class Int64Vector extends ColumnVector {
    private final String timeZone;
    private final ZoneId zone;

    Int64Vector(DataType type, String timeZone, int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer values) {
        super(type, length, offset, nullCount, validity, values, null);
        this.timeZone = timeZone;
        this.zone = Timestamps.zoneOrNull(timeZone);
    }

    /** The value of {@code row} (unspecified for null rows). */
    public long get(int row) {
        return valuesSeg.getAtIndex(LONG, (long) offset + row);
    }

    @Override
    public String timeZone() {
        return timeZone;
    }

    @Override
    ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity) {
        return new Int64Vector(type, timeZone, newLength, newOffset, newNullCount, retainedValidity, values);
    }

    @Override
    public String format(int row) {
        if (isNull(row)) {
            return "null";
        }
        return type == DataType.TIMESTAMP ? Timestamps.format(get(row), zone) : Long.toString(get(row));
    }

    /** A Long; for a timestamp a LocalDateTime (no time zone) or an Instant (with one). */
    @Override
    public Object getObject(int row) {
        if (isNull(row)) {
            return null;
        }
        if (type == DataType.TIMESTAMP) {
            return zone == null ? Timestamps.toLocal(get(row)) : Timestamps.toInstant(get(row));
        }
        return get(row);
    }

    @Override
    public String toString() {
        return Field.typeName(type, null, timeZone) + super.toString().substring(type.displayName().length());
    }
}
