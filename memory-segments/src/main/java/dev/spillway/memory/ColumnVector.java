package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * An immutable column of values in the Apache Arrow layout, held in {@link NativeBuffer}s.
 *
 * <p>Buffers: an optional LSB-first validity bitmap (absent when there are no nulls), the values
 * (fixed-width slots, bit-packed booleans, or int32 offsets for UTF8) and, for UTF8, the data
 * bytes. A vector may be a zero-copy view that starts {@code offset} rows into its buffers; views
 * {@link NativeBuffer#retain() retain} the buffers, and each vector must be closed once.
 *
 * <p>Export ({@link #bufferView}, {@link #copyBuffer}) always presents Arrow's normalized form —
 * bit 0 and offset 0 belong to this vector's first row — so writers (spill files, Arrow IPC) need
 * not know about views. {@link #fromBuffers} is the reverse.
 *
 * <p>Reading is thread-safe; closing is not (the single owner closes).
 */
public abstract sealed class ColumnVector implements AutoCloseable
        permits Int32Vector, Int64Vector, Float64Vector, BooleanVector, Utf8Vector, Decimal128Vector {
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    final DataType type;
    final int length;
    final int offset;
    final int nullCount;
    final NativeBuffer validity;
    final NativeBuffer values;
    final NativeBuffer data;
    /** Cached {@code segment()} of the buffers (hot-path reads avoid a call chain). */
    final MemorySegment validitySeg;
    final MemorySegment valuesSeg;
    final MemorySegment dataSeg;
    private boolean closed;

    ColumnVector(DataType type, int length, int offset, int nullCount, NativeBuffer validity, NativeBuffer values,
            NativeBuffer data) {
        this.type = type;
        this.length = length;
        this.offset = offset;
        this.nullCount = nullCount;
        this.validity = nullCount == 0 ? null : validity;
        this.values = values;
        this.data = data;
        this.validitySeg = this.validity == null ? null : this.validity.segment();
        this.valuesSeg = values.segment();
        this.dataSeg = data == null ? null : data.segment();
    }

    /** The column's type. */
    public DataType type() {
        return type;
    }

    /** The precision and scale of a decimal column; null for other types. */
    public DecimalType decimalType() {
        return null;
    }

    /** The time zone of a timestamp column that has one; null for naive timestamps and other types. */
    public String timeZone() {
        return null;
    }

    /** A nullable field named {@code name} with this vector's type. */
    public Field field(String name) {
        return new Field(name, type(), true, decimalType(), timeZone());
    }

    /** Number of rows. */
    public int length() {
        return length;
    }

    /** Number of null rows. */
    public int nullCount() {
        return nullCount;
    }

    /** Whether any row is null. */
    public boolean hasNulls() {
        return nullCount != 0;
    }

    /** Whether {@code row} is null. */
    public boolean isNull(int row) {
        return validitySeg != null && !Bitmaps.get(validitySeg, (long) offset + Objects.checkIndex(row, length));
    }

    /** Whether {@code row} holds a value. */
    public boolean isValid(int row) {
        return !isNull(row);
    }

    /** Native bytes held by this vector's buffers (their capacities; shared buffers count fully). */
    public long byteSize() {
        return (validity == null ? 0 : validity.capacity()) + values.capacity() + (data == null ? 0 : data.capacity());
    }

    /**
     * A zero-copy view of rows {@code [from, from + count)}; it retains the buffers and must be
     * closed too.
     */
    public ColumnVector slice(int from, int count) {
        Objects.checkFromIndexSize(from, count, length);
        ensureOpen();
        int nulls = validitySeg == null ? 0 : count - Bitmaps.countSet(validitySeg, (long) offset + from, count);
        NativeBuffer v = nulls == 0 ? null : validity.retain();
        values.retain();
        if (data != null) {
            data.retain();
        }
        return view(offset + from, count, nulls, v);
    }

    abstract ColumnVector view(int newOffset, int newLength, int newNullCount, NativeBuffer retainedValidity);

    // ------------------------------------------------------------------ Arrow export

    /** Number of Arrow buffers: 3 for UTF8 (validity, offsets, data), else 2 (validity, values). */
    public int bufferCount() {
        return type == DataType.UTF8 ? 3 : 2;
    }

    /** Size in bytes of normalized buffer {@code i} (validity is 0 bytes without nulls). */
    public long bufferByteSize(int i) {
        return switch (Objects.checkIndex(i, bufferCount())) {
            case 0 -> nullCount == 0 ? 0 : Bitmaps.bytesFor(length);
            case 1 -> switch (type) {
                case BOOLEAN -> Bitmaps.bytesFor(length);
                case UTF8 -> 4L * (length + 1);
                default -> (long) length * type.byteWidth();
            };
            default -> dataEnd() - dataStart();
        };
    }

    /**
     * A zero-copy view of normalized buffer {@code i}, exactly {@link #bufferByteSize} bytes, or
     * null when this vector is a view whose buffer needs shifting or rebasing (use
     * {@link #copyBuffer}).
     */
    public MemorySegment bufferView(int i) {
        long size = bufferByteSize(i);
        switch (i) {
            case 0 -> {
                if (size == 0) {
                    return MemorySegment.NULL;
                }
                return normalizedBitmapView(validitySeg, size);
            }
            case 1 -> {
                return switch (type) {
                    case BOOLEAN -> normalizedBitmapView(valuesSeg, size);
                    case UTF8 -> valuesSeg.get(INT, 4L * offset) == 0 ? valuesSeg.asSlice(4L * offset, size) : null;
                    default -> valuesSeg.asSlice((long) offset * type.byteWidth(), size);
                };
            }
            default -> {
                return dataSeg.asSlice(dataStart(), size);
            }
        }
    }

    /**
     * A bitmap view is normalized only when it starts on a byte and the bits past the last row are
     * clear, so that the view and {@link #copyBuffer} produce identical bytes.
     */
    private MemorySegment normalizedBitmapView(MemorySegment bits, long size) {
        if ((offset & 7) != 0) {
            return null;
        }
        MemorySegment view = bits.asSlice(offset >>> 3, size);
        int tail = length & 7;
        if (tail != 0 && (view.get(ValueLayout.JAVA_BYTE, size - 1) & ~((1 << tail) - 1)) != 0) {
            return null;
        }
        return view;
    }

    /** Writes normalized buffer {@code i} into {@code dst[0, bufferByteSize(i))}. */
    public void copyBuffer(int i, MemorySegment dst) {
        long size = bufferByteSize(i);
        if (size == 0) {
            return;
        }
        if (dst.byteSize() < size) {
            throw new IllegalArgumentException("destination holds " + dst.byteSize() + " bytes, buffer " + i
                    + " needs " + size);
        }
        switch (i) {
            case 0 -> Bitmaps.copyNormalized(validitySeg, offset, length, dst);
            case 1 -> {
                switch (type) {
                    case BOOLEAN -> Bitmaps.copyNormalized(valuesSeg, offset, length, dst);
                    case UTF8 -> {
                        int base = valuesSeg.get(INT, 4L * offset);
                        for (long r = 0; r <= length; r++) {
                            dst.set(INT, 4 * r, valuesSeg.get(INT, 4L * (offset + r)) - base);
                        }
                    }
                    default -> MemorySegment.copy(valuesSeg, (long) offset * type.byteWidth(), dst, 0, size);
                }
            }
            default -> MemorySegment.copy(dataSeg, dataStart(), dst, 0, size);
        }
    }

    long dataStart() {
        return type == DataType.UTF8 ? valuesSeg.get(INT, 4L * offset) : 0;
    }

    long dataEnd() {
        return type == DataType.UTF8 ? valuesSeg.get(INT, 4L * (offset + length)) : 0;
    }

    // ------------------------------------------------------------------ Arrow import

    /**
     * Builds a vector over normalized Arrow buffers, taking ownership of them (they are closed
     * when the vector is closed, or at once if this method throws).
     *
     * @param validity the bitmap, or null when {@code nullCount == 0} (closed if given anyway)
     * @param values   values, or the int32 offsets for UTF8
     * @param data     UTF8 data bytes; null for other types
     * @throws IllegalArgumentException when a buffer is too small for {@code length} rows
     */
    public static ColumnVector fromBuffers(DataType type, int length, int nullCount, NativeBuffer validity,
            NativeBuffer values, NativeBuffer data) {
        return fromBuffers(type, null, null, length, nullCount, validity, values, data);
    }

    /**
     * Like {@link #fromBuffers(DataType, int, int, NativeBuffer, NativeBuffer, NativeBuffer)} for
     * the type of {@code field}, decimals and time zones included.
     */
    public static ColumnVector fromBuffers(Field field, int length, int nullCount, NativeBuffer validity,
            NativeBuffer values, NativeBuffer data) {
        return fromBuffers(field.type(), field.decimal(), field.timeZone(), length, nullCount, validity, values, data);
    }

    private static ColumnVector fromBuffers(DataType type, DecimalType decimal, String timeZone, int length, int nullCount,
            NativeBuffer validity, NativeBuffer values, NativeBuffer data) {
        try {
            if (type == DataType.DECIMAL128 && decimal == null) {
                throw new IllegalArgumentException("a decimal128 vector needs its precision and scale: use fromBuffers(Field, ...)");
            }
            if (length < 0 || nullCount < 0 || nullCount > length) {
                throw new IllegalArgumentException("invalid length " + length + " / null count " + nullCount);
            }
            Objects.requireNonNull(values, "values buffer");
            if (nullCount > 0) {
                Objects.requireNonNull(validity, "validity buffer (null count " + nullCount + ")");
                requireSize("validity", validity, Bitmaps.bytesFor(length));
            } else if (validity != null) {
                validity.close();
                validity = null;
            }
            switch (type) {
                case BOOLEAN -> requireSize("values", values, Bitmaps.bytesFor(length));
                case UTF8 -> {
                    requireSize("offsets", values, 4L * (length + 1));
                    Objects.requireNonNull(data, "utf8 data buffer");
                    long end = values.segment().get(INT, 4L * length);
                    if (values.segment().get(INT, 0) != 0 || end < 0) {
                        throw new IllegalArgumentException("utf8 offsets must start at 0 and be non-negative");
                    }
                    requireSize("data", data, end);
                }
                default -> requireSize("values", values, (long) length * type.byteWidth());
            }
            if (type != DataType.UTF8 && data != null) {
                throw new IllegalArgumentException("a data buffer is only valid for utf8, not " + type.displayName());
            }
        } catch (RuntimeException e) {
            closeQuietly(validity, e);
            closeQuietly(values, e);
            closeQuietly(data, e);
            throw e;
        }
        return switch (type) {
            case INT32, DATE32 -> new Int32Vector(type, length, 0, nullCount, validity, values);
            case INT64, TIMESTAMP -> new Int64Vector(type, timeZone, length, 0, nullCount, validity, values);
            case FLOAT64 -> new Float64Vector(length, 0, nullCount, validity, values);
            case BOOLEAN -> new BooleanVector(length, 0, nullCount, validity, values);
            case UTF8 -> new Utf8Vector(length, 0, nullCount, validity, values, data);
            case DECIMAL128 -> new Decimal128Vector(decimal, length, 0, nullCount, validity, values);
        };
    }

    private static void requireSize(String what, NativeBuffer b, long needed) {
        if (b.capacity() < needed) {
            throw new IllegalArgumentException(what + " buffer holds " + b.capacity() + " bytes, " + needed + " needed");
        }
    }

    private static void closeQuietly(NativeBuffer b, RuntimeException primary) {
        if (b == null) {
            return;
        }
        try {
            b.close();
        } catch (RuntimeException e) {
            primary.addSuppressed(e);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(type.displayName() + " vector is closed");
        }
    }

    /** Drops this vector's references to its buffers. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (validity != null) {
            validity.close();
        }
        values.close();
        if (data != null) {
            data.close();
        }
    }

    /** A readable rendering of row {@code row} ("null" for nulls). */
    public abstract String format(int row);

    /**
     * The value of {@code row} as a Java object (Integer, Long, Double, Boolean, LocalDate, String,
     * BigDecimal, LocalDateTime for naive timestamps, Instant for zoned ones) or null.
     */
    public abstract Object getObject(int row);

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type.displayName()).append('[');
        int shown = Math.min(length, 10);
        for (int i = 0; i < shown; i++) {
            sb.append(i == 0 ? "" : ", ").append(format(i));
        }
        if (shown < length) {
            sb.append(", ... (").append(length).append(" rows)");
        }
        return sb.append(']').toString();
    }
}
