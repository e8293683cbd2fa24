package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Appends values into Arrow-layout buffers that grow inside a {@link MemoryBudget}.
 *
 * <p>Growing allocates a buffer twice as large from the {@link BlockPool}, copies and frees the
 * old one, so a builder never holds more than about twice its data. The validity bitmap is only
 * allocated at the first null. {@link #build()} hands the buffers to a vector (the builder is then
 * spent); {@link #close()} frees them if the builder was never built. Not thread-safe.
 */
public abstract sealed class ColumnBuilder implements AutoCloseable
        permits Int32Builder, Int64Builder, Float64Builder, BooleanBuilder, Utf8Builder, Decimal128Builder {
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    final BlockPool pool;
    final MemoryBudget budget;
    final DataType type;
    int length;
    int nullCount;
    int capacity;
    NativeBuffer validity;
    MemorySegment validitySeg;
    NativeBuffer values;
    MemorySegment valuesSeg;
    private boolean done;

    ColumnBuilder(DataType type, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("initial capacity must be >= 0, got " + initialCapacity);
        }
        this.type = type;
        this.pool = Objects.requireNonNull(pool, "pool");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.values = pool.allocate(budget, Math.max(1, valuesBytes(Math.max(1, initialCapacity))));
        this.valuesSeg = values.segment();
        this.capacity = rowsFitting(values.capacity());
    }

    /**
     * A builder for {@code type}.
     *
     * @throws IllegalArgumentException for {@link DataType#DECIMAL128}, which needs a precision and
     *         scale ({@link #create(Field, BlockPool, MemoryBudget, int)})
     */
    public static ColumnBuilder create(DataType type, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        return create(type, null, null, pool, budget, initialCapacity);
    }

    /** A builder for the type of {@code field}, decimals included. */
    public static ColumnBuilder create(Field field, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        return create(field.type(), field.decimal(), field.timeZone(), pool, budget, initialCapacity);
    }

    /** A builder for the type of {@code like} (its decimal precision and scale included). */
    public static ColumnBuilder create(ColumnVector like, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        return create(like.type(), like.decimalType(), like.timeZone(), pool, budget, initialCapacity);
    }

    /** A builder for {@code decimal}. */
    public static Decimal128Builder create(DecimalType decimal, BlockPool pool, MemoryBudget budget, int initialCapacity) {
        return new Decimal128Builder(decimal, pool, budget, initialCapacity);
    }

    /**
     * A builder for {@code type}, with {@code decimal} for DECIMAL128 (ignored otherwise).
     *
     * @throws IllegalArgumentException for DECIMAL128 without {@code decimal}
     */
    public static ColumnBuilder create(DataType type, DecimalType decimal, BlockPool pool, MemoryBudget budget,
            int initialCapacity) {
        return create(type, decimal, null, pool, budget, initialCapacity);
    }

    /**
     * A builder for {@code type}, with {@code decimal} for DECIMAL128 and {@code timeZone} (null for
     * naive values) for TIMESTAMP; both are ignored for other types.
     *
     * @throws IllegalArgumentException for DECIMAL128 without {@code decimal}, or an unknown zone
     */
    public static ColumnBuilder create(DataType type, DecimalType decimal, String timeZone, BlockPool pool,
            MemoryBudget budget, int initialCapacity) {
        if (type == DataType.DECIMAL128 && decimal == null) {
            throw new IllegalArgumentException("a decimal128 builder needs its precision and scale: create it from a "
                    + "Field, a vector or a DecimalType");
        }
        return switch (type) {
            case INT32, DATE32 -> new Int32Builder(type, pool, budget, initialCapacity);
            case INT64, TIMESTAMP -> new Int64Builder(type, timeZone, pool, budget, initialCapacity);
            case FLOAT64 -> new Float64Builder(pool, budget, initialCapacity);
            case BOOLEAN -> new BooleanBuilder(pool, budget, initialCapacity);
            case UTF8 -> new Utf8Builder(pool, budget, initialCapacity);
            case DECIMAL128 -> new Decimal128Builder(decimal, pool, budget, initialCapacity);
        };
    }

    /** Bytes of the values buffer needed for {@code rows} rows (fixed-width types; others override). */
    long valuesBytes(int rows) {
        return (long) type.byteWidth() * rows;
    }

    /** Rows whose values fit in {@code bytes} (fixed-width types; others override). */
    int rowsFitting(long bytes) {
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes / type.byteWidth());
    }

    /** Writes the placeholder value of a null row: zeros (fixed-width types; others override). */
    void writeNullValue(int row) {
        int w = type.byteWidth();
        valuesSeg.asSlice((long) row * w, w).fill((byte) 0);
    }

    /** The type being built. */
    public DataType type() {
        return type;
    }

    /** Rows appended so far. */
    public int length() {
        return length;
    }

    /** Native bytes this builder holds (buffer capacities). */
    public long byteSize() {
        return values.capacity() + (validity == null ? 0 : validity.capacity());
    }

    /** Appends a null. */
    public void appendNull() {
        ensureOpen();
        reserveRow();
        if (validity == null) {
            allocateValidity();
        }
        Bitmaps.set(validitySeg, length, false);
        writeNullValue(length);
        nullCount++;
        length++;
    }

    /**
     * Appends a Java value: Integer (int32), Long, Double, Boolean, String, LocalDate or Integer
     * days (date32), BigDecimal, Long or Integer (decimal, rescaled exactly), Long microseconds,
     * LocalDateTime or (with a time zone) Instant (timestamp), or null.
     *
     * @throws IllegalArgumentException for a value of another Java type than this builder's
     */
    public void appendObject(Object value) {
        if (value == null) {
            appendNull();
            return;
        }
        try {
            switch (this) {
                case Int32Builder x -> x.append(value instanceof java.time.LocalDate d ? (int) d.toEpochDay() : (Integer) value);
                case Int64Builder x -> x.append(type == DataType.TIMESTAMP ? timestampOf(value, x.timeZone()) : (Long) value);
                case Float64Builder x -> x.append((Double) value);
                case BooleanBuilder x -> x.append((Boolean) value);
                case Utf8Builder x -> x.append((String) value);
                case Decimal128Builder x -> x.append(toBigDecimal(value));
            }
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("cannot append " + value.getClass().getSimpleName() + " " + value + " to a "
                    + type.displayName() + " column", e);
        }
    }

    /**
     * A timestamp value: microseconds as a Long; a LocalDateTime in a naive column, or in a zoned
     * column as wall-clock time there; an Instant, OffsetDateTime or ZonedDateTime in a zoned column.
     */
    private static long timestampOf(Object value, String timeZone) {
        java.time.ZoneId zone = Timestamps.zoneOrNull(timeZone);
        return switch (value) {
            case Long l -> l;
            case java.time.LocalDateTime t -> Timestamps.fromLocal(Timestamps.ofLocal(t), zone);
            case java.time.Instant t when zone != null -> Timestamps.ofInstant(t);
            case java.time.OffsetDateTime t when zone != null -> Timestamps.ofInstant(t.toInstant());
            case java.time.ZonedDateTime t when zone != null -> Timestamps.ofInstant(t.toInstant());
            case java.time.Instant t -> throw new IllegalArgumentException("cannot append the instant " + t
                    + " to a timestamp column without a time zone: append a LocalDateTime");
            default -> throw new ClassCastException(value.getClass().getName());
        };
    }

    private static java.math.BigDecimal toBigDecimal(Object value) {
        return switch (value) {
            case java.math.BigDecimal d -> d;
            case Long l -> java.math.BigDecimal.valueOf(l);
            case Integer i -> java.math.BigDecimal.valueOf(i);
            default -> throw new ClassCastException(value.getClass().getName());
        };
    }

    /** The time zone of a timestamp builder that has one; null otherwise. */
    public String timeZone() {
        return null;
    }

    /** The precision and scale of a decimal builder; null for other types. */
    public DecimalType decimalType() {
        return null;
    }

    /** Appends row {@code row} of {@code src}, which must have this builder's type; nulls stay null. */
    public abstract void appendFrom(ColumnVector src, int row);

    /**
     * Appends {@code count} rows gathered from several vectors of this builder's type: row
     * {@code rows[k]} of {@code sources[which[k]]}, or a null where {@code which[k] < 0}; with
     * {@code which == null} every row comes from {@code sources[0]}. One capacity check and one
     * type dispatch for the whole batch instead of per row.
     */
    public final void appendGather(ColumnVector[] sources, int[] which, int[] rows, int count) {
        ensureOpen();
        boolean nullable = false;
        for (ColumnVector v : sources) {
            if (v != null) {
                checkSource(v);
                nullable |= v.validitySeg != null;
            }
        }
        for (int k = 0; which != null && k < count && !nullable; k++) {
            nullable = which[k] < 0;
        }
        ensureCapacity(length + count);
        gatherValues(sources, which, rows, count);
        if (nullable && validity == null) {
            allocateValidity();
        }
        if (validitySeg != null) {
            int nulls = 0;
            for (int k = 0; k < count; k++) {
                int w = which == null ? 0 : which[k];
                boolean valid = w >= 0 && !sources[w].isNull(rows[k]);
                Bitmaps.set(validitySeg, (long) length + k, valid);
                nulls += valid ? 0 : 1;
            }
            nullCount += nulls;
        }
        length += count;
    }

    /**
     * Writes the values of a gather at rows {@code length .. length + count) (capacity ensured;
     * the validity bits and the length are the caller's); a null entry writes zeros. This copies
     * fixed-width values of 4 or 8 bytes as raw words; booleans and strings override it.
     */
    void gatherValues(ColumnVector[] sources, int[] which, int[] rows, int count) {
        boolean wide = type.byteWidth() == 8;
        if (!wide && type.byteWidth() != 4) {
            throw new IllegalStateException(type.displayName() + " builders must override gatherValues");
        }
        for (int k = 0; k < count; k++) {
            int w = which == null ? 0 : which[k];
            long at = (long) length + k;
            ColumnVector v = w < 0 ? null : sources[w];
            if (wide) {
                valuesSeg.setAtIndex(LONG, at, v == null ? 0 : v.valuesSeg.getAtIndex(LONG, (long) v.offset + rows[k]));
            } else {
                valuesSeg.setAtIndex(INT, at, v == null ? 0 : v.valuesSeg.getAtIndex(INT, (long) v.offset + rows[k]));
            }
        }
    }

    final void checkSource(ColumnVector src) {
        if (src.type() != type || !java.util.Objects.equals(src.decimalType(), decimalType())) {
            throw new IllegalArgumentException("cannot append a " + typeName(src.type(), src.decimalType()) + " value to a "
                    + typeName(type, decimalType()) + " builder");
        }
    }

    private static String typeName(DataType t, DecimalType d) {
        return d != null ? d.displayName() : t.displayName();
    }

    /**
     * Turns row {@code row}, already appended, into a null: for bulk appends of values whose
     * nulls are known separately (e.g. {@link Int64Builder#appendAll}).
     */
    public final void setNull(int row) {
        ensureOpen();
        if (row < 0 || row >= length) {
            throw new IndexOutOfBoundsException("row " + row + " not appended yet (length " + length + ")");
        }
        if (validity == null) {
            allocateValidity();
        }
        if (Bitmaps.get(validitySeg, row)) {
            Bitmaps.set(validitySeg, row, false);
            writeNullValue(row);
            nullCount++;
        }
    }

    /**
     * Makes room for {@code n} more rows appended in one go and marks them valid; returns the
     * first of them. The caller writes their values and then adds {@code n} to the length
     * ({@link #endBulk}).
     */
    final int beginBulk(int n) {
        ensureCapacity(length + n);
        if (validitySeg != null) {
            Bitmaps.setRange(validitySeg, length, n);
        }
        return length;
    }

    final void endBulk(int n) {
        length += n;
    }

    /** Makes room for one more row; marks it valid if a bitmap exists. */
    final void reserveRow() {
        if (length == capacity) {
            grow(length + 1);
        }
        if (validitySeg != null) {
            Bitmaps.set(validitySeg, length, true);
        }
    }

    /**
     * Cuts this builder back to its first {@code rows} rows (at most its length), for undoing
     * part of a multi-column append that failed.
     */
    void truncate(int rows) {
        ensureOpen();
        if (rows < 0 || rows > length) {
            throw new IndexOutOfBoundsException("cannot cut a builder of " + length + " rows back to " + rows);
        }
        if (rows == length) {
            return;
        }
        nullCount = validitySeg == null ? 0 : rows - Bitmaps.countSet(validitySeg, 0, rows);
        length = rows;
        truncateExtra();
    }

    /** Drops whatever a subclass keeps beyond {@link #length} rows (string data). */
    void truncateExtra() {
    }

    /** Ensures capacity for {@code rows} rows in total. */
    public final void ensureCapacity(int rows) {
        ensureOpen();
        if (rows > capacity) {
            grow(rows);
        }
    }

    private void grow(int minRows) {
        long wanted = Math.max((long) minRows, 2L * capacity);
        int newCapacity = (int) Math.min(Integer.MAX_VALUE - 8, wanted);
        if (newCapacity < minRows) {
            throw new IllegalStateException("a column cannot hold more than " + (Integer.MAX_VALUE - 8) + " rows");
        }
        NativeBuffer bigger = pool.allocate(budget, valuesBytes(newCapacity));
        MemorySegment.copy(valuesSeg, 0, bigger.segment(), 0, valuesBytes(length));
        values.close();
        values = bigger;
        valuesSeg = bigger.segment();
        int fitting = rowsFitting(bigger.capacity());
        if (validity != null) {
            NativeBuffer v = pool.allocateZeroed(budget, Bitmaps.bytesFor(fitting));
            MemorySegment.copy(validitySeg, 0, v.segment(), 0, Bitmaps.bytesFor(length));
            validity.close();
            validity = v;
            validitySeg = v.segment();
        }
        capacity = fitting;
    }

    private void allocateValidity() {
        validity = pool.allocate(budget, Bitmaps.bytesFor(capacity));
        validitySeg = validity.segment();
        validitySeg.fill((byte) 0);
        // Every row so far was valid.
        long fullBytes = length >>> 3;
        validitySeg.asSlice(0, fullBytes).fill((byte) 0xFF);
        for (long i = fullBytes << 3; i < length; i++) {
            Bitmaps.set(validitySeg, i, true);
        }
    }

    /**
     * Hands the buffers to a new vector; the builder is spent afterwards.
     *
     * @return a vector of {@link #length()} rows, owned by the caller
     */
    public ColumnVector build() {
        ensureOpen();
        done = true;
        NativeBuffer v = nullCount == 0 ? null : validity;
        if (nullCount == 0 && validity != null) {
            validity.close();
        }
        return buildVector(v);
    }

    abstract ColumnVector buildVector(NativeBuffer validityOrNull);

    final void ensureOpen() {
        if (done) {
            throw new IllegalStateException(type.displayName() + " builder was already built or closed");
        }
    }

    /** Frees the buffers unless {@link #build()} took them. Idempotent. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        if (validity != null) {
            validity.close();
        }
        values.close();
        closeExtra();
    }

    void closeExtra() {
    }
}
