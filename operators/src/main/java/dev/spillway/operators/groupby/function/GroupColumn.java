package dev.spillway.operators.groupby.function;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int128;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One column of per-group values of a group-by table (a key column or a state column), indexed by
 * group id, in native buffers from the table's {@link BlockPool} charged to its budget:
 * <ul>
 *   <li>{@link #values()}: eight bytes per group — int32, int64, date32 and booleans as longs
 *       ({@link #LONG}), float64 as doubles ({@link #DOUBLE}), strings as the offset of their bytes
 *       in the table's {@link ByteLog};</li>
 *   <li>{@link #lengths()}: the byte length of each string group (int32s, {@link #INT}); empty for
 *       the other types;</li>
 *   <li>{@link #highs()}: for decimal128 columns the high eight bytes of each group's 128-bit
 *       unscaled value, whose low eight bytes are in {@link #values()}; empty for the other
 *       types;</li>
 *   <li>{@link #notNull()}: one byte per group, 1 when the group holds a value and 0 when it is
 *       null (a byte rather than a bit, so the scattered writes of a batch loop need no
 *       read-modify-write).</li>
 * </ul>
 * Group {@code g}'s entries are at index {@code g} ({@code getAtIndex}). The table grows its
 * columns together, all new buffers first ({@link #grow}) and then, once every column has its own,
 * {@link #install}; aggregate functions read and write the segments directly in their batch loops.
 * The segments are replaced when the table grows, so a function fetches them into locals at the
 * start of each call, never across calls. The table closes its columns. Not thread-safe.
 */
public final class GroupColumn implements AutoCloseable {
    /** The layout of int-like values and string offsets in {@link #values()}. */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    /** The layout of float64 values in {@link #values()}. */
    public static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    /** The layout of string lengths in {@link #lengths()} (and of group ids in a batch). */
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    /** The layout of {@link #notNull()}: 1 holds a value, 0 is null. */
    public static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private static final long VALUE_BYTES = 8;
    private static final long LENGTH_BYTES = 4;

    private final DataType type;
    private final DecimalType decimal;
    private final boolean startsNull;
    private final ByteLog strings;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private Buffers buffers;
    private MemorySegment values = MemorySegment.NULL;
    private MemorySegment lengths = MemorySegment.NULL;
    private MemorySegment highs = MemorySegment.NULL;
    private MemorySegment notNull = MemorySegment.NULL;

    /**
     * An empty column without buffers.
     *
     * @param startsNull whether a new group starts null, or at zero (see {@link StateType})
     * @param strings    the table's log for string values
     * @param pool       where the buffers come from, charged to {@code budget}
     */
    public GroupColumn(DataType type, boolean startsNull, ByteLog strings, BlockPool pool, MemoryBudget budget) {
        this(type, null, startsNull, strings, pool, budget);
    }

    /**
     * An empty state column of {@code state}'s type, precision and scale included, without buffers.
     *
     * @param strings the table's log for string values
     * @param pool    where the buffers come from, charged to {@code budget}
     */
    public GroupColumn(StateType state, ByteLog strings, BlockPool pool, MemoryBudget budget) {
        this(state.type(), state.decimal(), state.startsNull(), strings, pool, budget);
    }

    private GroupColumn(DataType type, DecimalType decimal, boolean startsNull, ByteLog strings, BlockPool pool,
            MemoryBudget budget) {
        this.type = type;
        this.decimal = decimal;
        this.startsNull = startsNull;
        this.strings = strings;
        this.pool = pool;
        this.budget = budget;
    }

    /** The value type. */
    public DataType type() {
        return type;
    }

    /**
     * The precision and scale of a decimal state column (made from a {@link StateType}); null for
     * key columns and the other types.
     */
    public DecimalType decimal() {
        return decimal;
    }

    /** Eight bytes per group: the values ({@link #LONG} or, for float64, {@link #DOUBLE}), or the strings' offsets into the log. */
    public MemorySegment values() {
        return values;
    }

    /** The byte length of each string group ({@link #INT}); empty for the other types. */
    public MemorySegment lengths() {
        return lengths;
    }

    /** The high words of decimal128 groups ({@link #LONG}); empty for the other types. */
    public MemorySegment highs() {
        return highs;
    }

    /** One byte per group: 1 when it holds a value, 0 when it is null. */
    public MemorySegment notNull() {
        return notNull;
    }

    /** Whether group {@code g} holds a value. */
    public boolean hasValue(int g) {
        return notNull.get(BYTE, g) != 0;
    }

    /** Groups the buffers hold (0 before the first {@link #install}). */
    public int capacity() {
        return buffers == null ? 0 : buffers.capacity;
    }

    /** Native bytes held (the buffers' capacities, as charged to the budget). */
    public long byteSize() {
        return buffers == null ? 0 : buffers.byteSize();
    }

    /** Bytes one group takes in a column of {@code type}. */
    public static long bytesPerGroup(DataType type) {
        return VALUE_BYTES + 1 + (type == DataType.UTF8 ? LENGTH_BYTES : 0) + (type == DataType.DECIMAL128 ? VALUE_BYTES : 0);
    }

    // ------------------------------------------------------------------ growth

    /**
     * New buffers for {@code capacity} groups holding copies of groups {@code [0, groups)}, for
     * {@link #install}: the column itself is unchanged, so a table whose growth fails part-way
     * closes the buffers its other columns got and stays as it was.
     *
     * @throws dev.spillway.errors.MemoryLimitExceededException when the budget cannot be met (what
     *                                                          this call took is released)
     * @throws IllegalArgumentException when {@code groups} exceeds the column's capacity or
     *                                  {@code capacity}
     */
    public Buffers grow(int capacity, int groups) {
        if (capacity < 1 || groups < 0 || groups > capacity || groups > capacity()) {
            throw new IllegalArgumentException("cannot grow a column of " + capacity() + " groups to " + capacity
                    + " keeping " + groups);
        }
        Buffers next = new Buffers(capacity);
        try {
            next.values = pool.allocate(budget, VALUE_BYTES * capacity);
            next.notNull = pool.allocate(budget, capacity);
            if (type == DataType.UTF8) {
                next.lengths = pool.allocate(budget, LENGTH_BYTES * capacity);
            }
            if (type == DataType.DECIMAL128) {
                next.highs = pool.allocate(budget, VALUE_BYTES * capacity);
            }
        } catch (RuntimeException | Error e) {
            next.close();
            throw e;
        }
        MemorySegment.copy(values, 0, next.values.segment(), 0, VALUE_BYTES * groups);
        MemorySegment.copy(notNull, 0, next.notNull.segment(), 0, groups);
        if (next.lengths != null) {
            MemorySegment.copy(lengths, 0, next.lengths.segment(), 0, LENGTH_BYTES * groups);
        }
        if (next.highs != null) {
            MemorySegment.copy(highs, 0, next.highs.segment(), 0, VALUE_BYTES * groups);
        }
        return next;
    }

    /** Replaces the buffers by {@code next} (from {@link #grow} on this column), taking it over and freeing the old ones. */
    public void install(Buffers next) {
        if (next.values == null) {
            throw new IllegalStateException("the buffers were closed");
        }
        Buffers old = buffers;
        buffers = next;
        values = next.values.segment();
        notNull = next.notNull.segment();
        lengths = next.lengths == null ? MemorySegment.NULL : next.lengths.segment();
        highs = next.highs == null ? MemorySegment.NULL : next.highs.segment();
        if (old != null) {
            old.close();
        }
    }

    /** Frees the buffers; idempotent. */
    @Override
    public void close() {
        values = MemorySegment.NULL;
        notNull = MemorySegment.NULL;
        lengths = MemorySegment.NULL;
        highs = MemorySegment.NULL;
        if (buffers != null) {
            Buffers b = buffers;
            buffers = null;
            b.close();
        }
    }

    /**
     * The buffers of a column for a given number of groups, from {@link #grow}: owned by the caller
     * until {@link #install installed}, then by the column.
     */
    public static final class Buffers implements AutoCloseable {
        private final int capacity;
        private NativeBuffer values;
        private NativeBuffer notNull;
        private NativeBuffer lengths;
        private NativeBuffer highs;

        private Buffers(int capacity) {
            this.capacity = capacity;
        }

        /** Native bytes held (as charged to the budget). */
        public long byteSize() {
            long n = 0;
            for (NativeBuffer b : new NativeBuffer[] {values, notNull, lengths, highs}) {
                n += b == null ? 0 : b.capacity();
            }
            return n;
        }

        /** Frees the buffers (of buffers never installed); idempotent. */
        @Override
        public void close() {
            NativeBuffer v = values;
            NativeBuffer n = notNull;
            NativeBuffer l = lengths;
            NativeBuffer h = highs;
            values = null;
            notNull = null;
            lengths = null;
            highs = null;
            if (h != null) {
                h.close();
            }
            try {
                if (v != null) {
                    v.close();
                }
            } finally {
                try {
                    if (n != null) {
                        n.close();
                    }
                } finally {
                    if (l != null) {
                        l.close();
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ single groups

    /** Puts new group {@code g} in its starting state: null, or zero. */
    public void start(int g) {
        notNull.set(BYTE, g, startsNull ? (byte) 0 : (byte) 1);
        values.setAtIndex(LONG, g, 0L);
        if (type == DataType.DECIMAL128) {
            highs.setAtIndex(LONG, g, 0L);
        }
    }

    /** Makes group {@code g} null. */
    public void setNull(int g) {
        notNull.set(BYTE, g, (byte) 0);
    }

    /** Copies row {@code r} of {@code c} (a column of this type, strings into the log) as group {@code g}'s value, null included. */
    public void store(int g, ColumnVector c, int r) {
        if (c.isNull(r)) {
            notNull.set(BYTE, g, (byte) 0);
            return;
        }
        switch (c) {
            case Float64Vector f -> values.setAtIndex(DOUBLE, g, f.get(r));
            case Decimal128Vector d -> {
                values.setAtIndex(LONG, g, d.low(r));
                highs.setAtIndex(LONG, g, d.high(r));
            }
            case Utf8Vector u -> {
                int len = u.byteLength(r);
                values.setAtIndex(LONG, g, strings.append(u.dataSegment(), u.dataOffset(r), len));
                lengths.setAtIndex(INT, g, len);
            }
            default -> values.setAtIndex(LONG, g, asLong(c, r));
        }
        notNull.set(BYTE, g, (byte) 1);
    }

    /**
     * Sets string group {@code g} to {@code len} bytes of {@code src} at {@code off}, appended to
     * the log: how a function with a variable-size state writes an entry it built itself.
     */
    public void storeBytes(int g, MemorySegment src, long off, int len) {
        values.setAtIndex(LONG, g, strings.append(src, off, len));
        lengths.setAtIndex(INT, g, len);
        notNull.set(BYTE, g, (byte) 1);
    }

    /**
     * The bytes of the string groups: group {@code g}'s entry is at offset {@code values()} of
     * {@code g}, {@code lengths()} of {@code g} bytes long. Valid until the next store into any
     * column of the table.
     */
    public MemorySegment bytes() {
        return strings.segment();
    }

    /**
     * Orders non-null row {@code r} of {@code c} against group {@code g}'s non-null value: float64
     * by {@link Double#compare}, strings by unsigned UTF-8 bytes, decimals as 128-bit integers
     * (one scale), the others as longs.
     */
    public int compare(ColumnVector c, int r, int g) {
        return switch (c) {
            case Float64Vector f -> Double.compare(f.get(r), values.getAtIndex(DOUBLE, g));
            case Decimal128Vector d -> Int128.compare(d.high(r), d.low(r), highs.getAtIndex(LONG, g), values.getAtIndex(LONG, g));
            case Utf8Vector u -> {
                MemorySegment log = strings.segment();
                long a = u.dataOffset(r);
                int alen = u.byteLength(r);
                long b = values.getAtIndex(LONG, g);
                int blen = lengths.getAtIndex(INT, g);
                long at = MemorySegment.mismatch(u.dataSegment(), a, a + alen, log, b, b + blen);
                if (at < 0) {
                    yield 0;
                }
                if (at == alen || at == blen) {
                    yield Integer.compare(alen, blen);
                }
                yield Integer.compare(Byte.toUnsignedInt(u.dataSegment().get(BYTE, a + at)),
                        Byte.toUnsignedInt(log.get(BYTE, b + at)));
            }
            default -> Long.compare(asLong(c, r), values.getAtIndex(LONG, g));
        };
    }

    /**
     * Whether non-null row {@code r} of {@code c} equals group {@code g}'s non-null value as a
     * group key: {@code -0.0} equals {@code 0.0}, NaN equals NaN.
     */
    public boolean sameKey(int g, ColumnVector c, int r) {
        return switch (c) {
            case Float64Vector f -> {
                double x = f.get(r);
                double y = values.getAtIndex(DOUBLE, g);
                yield x == y || (x != x && y != y);
            }
            case Decimal128Vector d -> d.low(r) == values.getAtIndex(LONG, g) && d.high(r) == highs.getAtIndex(LONG, g);
            case Utf8Vector u -> {
                int len = lengths.getAtIndex(INT, g);
                yield u.byteLength(r) == len && u.equalsBytes(r, strings.segment(), values.getAtIndex(LONG, g), len);
            }
            default -> asLong(c, r) == values.getAtIndex(LONG, g);
        };
    }

    // ------------------------------------------------------------------ output

    /** Appends group {@code g}'s value (or null) to {@code b}, a builder of this column's type. */
    public void appendTo(ColumnBuilder b, int g) {
        appendTo(b, g, g + 1);
    }

    /** Appends the values (or nulls) of groups {@code [from, to)}, in order, to {@code b}, a builder of this column's type. */
    public void appendTo(ColumnBuilder b, int from, int to) {
        MemorySegment v = values;
        MemorySegment set = notNull;
        switch (b) {
            case Int64Builder x -> {
                for (int g = from; g < to; g++) {
                    if (set.get(BYTE, g) == 0) {
                        x.appendNull();
                    } else {
                        x.append(v.getAtIndex(LONG, g));
                    }
                }
            }
            case Float64Builder x -> {
                for (int g = from; g < to; g++) {
                    if (set.get(BYTE, g) == 0) {
                        x.appendNull();
                    } else {
                        x.append(v.getAtIndex(DOUBLE, g));
                    }
                }
            }
            case Int32Builder x -> {
                for (int g = from; g < to; g++) {
                    if (set.get(BYTE, g) == 0) {
                        x.appendNull();
                    } else {
                        x.append((int) v.getAtIndex(LONG, g));
                    }
                }
            }
            case BooleanBuilder x -> {
                for (int g = from; g < to; g++) {
                    if (set.get(BYTE, g) == 0) {
                        x.appendNull();
                    } else {
                        x.append(v.getAtIndex(LONG, g) != 0);
                    }
                }
            }
            case Decimal128Builder x -> {
                MemorySegment hi = highs;
                for (int g = from; g < to; g++) {
                    if (set.get(BYTE, g) == 0) {
                        x.appendNull();
                    } else {
                        x.append128(hi.getAtIndex(LONG, g), v.getAtIndex(LONG, g));
                    }
                }
            }
            case Utf8Builder x -> {
                MemorySegment log = strings.segment();
                MemorySegment len = lengths;
                for (int g = from; g < to; g++) {
                    if (set.get(BYTE, g) == 0) {
                        x.appendNull();
                    } else {
                        x.append(log, v.getAtIndex(LONG, g), len.getAtIndex(INT, g));
                    }
                }
            }
        }
    }

    /** The value of row {@code r} of an int32, int64, date32 or boolean column as a long. */
    public static long asLong(ColumnVector c, int r) {
        return switch (c) {
            case Int64Vector x -> x.get(r);
            case Int32Vector x -> x.get(r);
            case BooleanVector x -> x.get(r) ? 1 : 0;
            default -> throw new IllegalStateException("not an integer column: " + c.type().displayName());
        };
    }
}
