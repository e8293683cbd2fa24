package dev.spillway.operators.groupby.function;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One column of per-group values of a group-by table (a key column or a state column), indexed by
 * group id, in primitive arrays: int32, int64, date32 and booleans as longs ({@link #longs()}),
 * float64 as doubles ({@link #doubles()}), strings as an offset ({@link #longs()}) and a length
 * ({@link #lengths()}) into the table's {@link ByteLog}; {@link #notNull()} tells which groups hold
 * a value. The table sizes the arrays ({@link #resize}) and reserves their bytes from its budget
 * first; aggregate functions read and write them directly in their batch loops. The arrays are
 * replaced when the table grows, so a function fetches them at the start of each call, never
 * across calls. Not thread-safe.
 */
public final class GroupColumn {
    private final DataType type;
    private final boolean startsNull;
    private final ByteLog strings;
    private long[] longs;
    private double[] doubles;
    private int[] lengths;
    private boolean[] notNull;

    /**
     * An empty column.
     *
     * @param startsNull whether a new group starts null, or at zero (see {@link StateType})
     * @param strings    the table's log for string values
     */
    public GroupColumn(DataType type, boolean startsNull, ByteLog strings) {
        this.type = type;
        this.startsNull = startsNull;
        this.strings = strings;
    }

    /** The value type. */
    public DataType type() {
        return type;
    }

    /** Values of integer, boolean and date groups; offsets into the log of string groups. Null for float64. */
    public long[] longs() {
        return longs;
    }

    /** Values of float64 groups; null for the other types. */
    public double[] doubles() {
        return doubles;
    }

    /** Byte lengths of string groups; null for the other types. */
    public int[] lengths() {
        return lengths;
    }

    /** Whether each group holds a value (false: null). */
    public boolean[] notNull() {
        return notNull;
    }

    /** Grows (or first allocates) the arrays to {@code capacity} groups, keeping the values; called by the table. */
    public void resize(int capacity) {
        notNull = notNull == null ? new boolean[capacity] : Arrays.copyOf(notNull, capacity);
        if (type == DataType.FLOAT64) {
            doubles = doubles == null ? new double[capacity] : Arrays.copyOf(doubles, capacity);
        } else {
            longs = longs == null ? new long[capacity] : Arrays.copyOf(longs, capacity);
        }
        if (type == DataType.UTF8) {
            lengths = lengths == null ? new int[capacity] : Arrays.copyOf(lengths, capacity);
        }
    }

    /** Array bytes one group takes in a column of {@code type}. */
    public static long bytesPerGroup(DataType type) {
        return 9 + (type == DataType.UTF8 ? 4 : 0);
    }

    /** Puts new group {@code g} in its starting state: null, or zero. */
    public void start(int g) {
        notNull[g] = !startsNull;
        if (doubles != null) {
            doubles[g] = 0;
        } else {
            longs[g] = 0;
        }
    }

    /** Makes group {@code g} null. */
    public void setNull(int g) {
        notNull[g] = false;
    }

    /** Copies row {@code r} of {@code c} (a column of this type, strings into the log) as group {@code g}'s value, null included. */
    public void store(int g, ColumnVector c, int r) {
        if (c.isNull(r)) {
            notNull[g] = false;
            return;
        }
        notNull[g] = true;
        switch (c) {
            case Float64Vector f -> doubles[g] = f.get(r);
            case Utf8Vector u -> {
                int len = u.byteLength(r);
                longs[g] = strings.append(u.dataSegment(), u.dataOffset(r), len);
                lengths[g] = len;
            }
            default -> longs[g] = asLong(c, r);
        }
    }

    /**
     * Sets string group {@code g} to {@code len} bytes of {@code src} at {@code off}, appended to
     * the log: how a function with a variable-size state writes an entry it built itself.
     */
    public void storeBytes(int g, MemorySegment src, long off, int len) {
        longs[g] = strings.append(src, off, len);
        lengths[g] = len;
        notNull[g] = true;
    }

    /**
     * The bytes of the string groups: group {@code g}'s entry is at {@code longs()[g]}, of
     * {@code lengths()[g]} bytes. Valid until the next store into any column of the table.
     */
    public MemorySegment bytes() {
        return strings.segment();
    }

    /** Adds non-null row {@code r} of numeric {@code c} to group {@code g}'s sum (float64 into doubles, integers into longs). */
    public void add(int g, ColumnVector c, int r) {
        notNull[g] = true;
        if (doubles != null) {
            doubles[g] += ((Float64Vector) c).get(r);
        } else {
            longs[g] += asLong(c, r);
        }
    }

    /**
     * Orders non-null row {@code r} of {@code c} against group {@code g}'s non-null value: float64
     * by {@link Double#compare}, strings by unsigned UTF-8 bytes, the others as longs.
     */
    public int compare(ColumnVector c, int r, int g) {
        return switch (c) {
            case Float64Vector f -> Double.compare(f.get(r), doubles[g]);
            case Utf8Vector u -> {
                MemorySegment log = strings.segment();
                long a = u.dataOffset(r);
                int alen = u.byteLength(r);
                long b = longs[g];
                int blen = lengths[g];
                long at = MemorySegment.mismatch(u.dataSegment(), a, a + alen, log, b, b + blen);
                if (at < 0) {
                    yield 0;
                }
                if (at == alen || at == blen) {
                    yield Integer.compare(alen, blen);
                }
                yield Integer.compare(Byte.toUnsignedInt(u.dataSegment().get(ValueLayout.JAVA_BYTE, a + at)),
                        Byte.toUnsignedInt(log.get(ValueLayout.JAVA_BYTE, b + at)));
            }
            default -> Long.compare(asLong(c, r), longs[g]);
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
                double y = doubles[g];
                yield x == y || (x != x && y != y);
            }
            case Utf8Vector u -> u.byteLength(r) == lengths[g] && u.equalsBytes(r, strings.segment(), longs[g], lengths[g]);
            default -> asLong(c, r) == longs[g];
        };
    }

    /** Appends group {@code g}'s value (or null) to {@code b}, a builder of this column's type. */
    public void appendTo(ColumnBuilder b, int g) {
        if (!notNull[g]) {
            b.appendNull();
            return;
        }
        switch (b) {
            case Int32Builder x -> x.append((int) longs[g]);
            case Int64Builder x -> x.append(longs[g]);
            case Float64Builder x -> x.append(doubles[g]);
            case BooleanBuilder x -> x.append(longs[g] != 0);
            case Utf8Builder x -> x.append(strings.segment(), longs[g], lengths[g]);
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
