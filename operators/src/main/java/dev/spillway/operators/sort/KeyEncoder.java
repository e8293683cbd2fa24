package dev.spillway.operators.sort;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Normalized, byte-comparable sort keys: each row's keys become {@link #width()} words (longs,
 * {@link #WORD}) that compare as unsigned integers, slot by slot, in the order the spec asks for.
 * The words live in a memory segment that the caller owns (native memory for rows that may
 * grow with the input); row {@code r}'s key starts at word {@code r * width()}.
 *
 * <p>Layout per key (a null flag is 0 or 1 so that nulls land first or last; descending inverts
 * the value bits, not the flag):
 * <ul>
 *   <li>int32, date32, boolean: one slot, {@code flag << 32 | (value ^ 0x8000_0000)};</li>
 *   <li>int64: a flag slot, then {@code value ^ Long.MIN_VALUE};</li>
 *   <li>float64: a flag slot, then the IEEE bits with the sign flipped (positive: sign bit set;
 *       negative: all bits inverted), NaNs first made canonical. This is the total order of
 *       {@link Double#compare}: {@code -inf < ... < -0.0 < 0.0 < ... < +inf < NaN};</li>
 *   <li>utf8: a flag slot, then the first 8 bytes big-endian, zero-padded; equal prefixes of two
 *       non-null strings are settled by comparing the full strings byte by byte (unsigned, which
 *       is code-point order for UTF-8), shorter first on a common prefix;</li>
 *   <li>decimal128: a flag slot, then the high word with the sign flipped, then the low word
 *       (a 128-bit two's-complement integer in unsigned order; one scale per column);</li>
 *   <li>with a stable spec, last, the position column's value.</li>
 * </ul>
 */
public final class KeyEncoder {
    /** Layout of a key word in a segment: packed plain data in native order. */
    public static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfLong BIG_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Rows encoded key by key before moving on: a tile of a few words per row stays in the L1/L2 cache. */
    private static final int TILE = 1024;

    private final SortSpec spec;
    private final int width;
    /** First slot of each key. */
    private final int[] slot;
    private final DataType[] types;
    private final int positionSlot;
    private final int positionColumn;
    private final boolean hasStrings;
    private final int conclusive;

    /** An encoder for {@code spec}; rows are read from morsels of {@link SortSpec#internalSchema()}. */
    public KeyEncoder(SortSpec spec) {
        this.spec = spec;
        int n = spec.keyCount();
        this.slot = new int[n];
        this.types = new DataType[n];
        int w = 0;
        boolean strings = false;
        for (int k = 0; k < n; k++) {
            slot[k] = w;
            types[k] = spec.inputSchema().field(spec.column(k)).type();
            w += slots(types[k]);
            strings |= types[k] == DataType.UTF8;
        }
        this.positionSlot = spec.stable() ? w : -1;
        this.positionColumn = spec.stable() ? spec.inputSchema().size() : -1;
        this.width = spec.stable() ? w + 1 : w;
        this.hasStrings = strings;
        int c = width;
        for (int k = n - 1; k >= 0; k--) {
            c = types[k] == DataType.UTF8 ? slot[k] + 2 : c;
        }
        this.conclusive = c;
    }

    /** Words a key of {@code type} takes (see the layout above). */
    public static int slots(DataType type) {
        return switch (type) {
            case INT32, DATE32, BOOLEAN -> 1;
            case INT64, TIMESTAMP, FLOAT64, UTF8 -> 2;
            case DECIMAL128 -> 3;
        };
    }

    /** The spec. */
    public SortSpec spec() {
        return spec;
    }

    /** Words per row. */
    public int width() {
        return width;
    }

    /** Whether some key is a string (comparisons may then need the full values). */
    public boolean hasStrings() {
        return hasStrings;
    }

    /**
     * How many leading words decide an order by themselves: all of them without string keys;
     * with strings, the words up to the first string's prefix (after two equal prefixes the full
     * strings decide, so later words say nothing).
     */
    public int conclusiveWidth() {
        return conclusive;
    }

    /**
     * Compares the {@link #conclusiveWidth() conclusive} words of two keys (at word {@code oa} of
     * {@code ka} and {@code ob} of {@code kb}): a nonzero result is the rows' order, as
     * {@link #compare} would find it, without their morsels; zero leaves it to {@link #compare}.
     */
    public int compareConclusive(MemorySegment ka, long oa, MemorySegment kb, long ob) {
        for (int i = 0; i < conclusive; i++) {
            long x = ka.getAtIndex(WORD, oa + i);
            long y = kb.getAtIndex(WORD, ob + i);
            if (x != y) {
                return Long.compareUnsigned(x, y);
            }
        }
        return 0;
    }

    /** Words of the first key. */
    public int firstKeyWidth() {
        return slots(types[0]);
    }

    /** Bytes of the keys of {@code rows} rows. */
    public long bytesFor(long rows) {
        return 8L * width * rows;
    }

    /** Encodes every row of {@code m} into {@code out}, row {@code r} at word {@code (base + r) * width()}. */
    public void encode(Morsel m, MemorySegment out, long base) {
        int rows = m.rowCount();
        // Tiles of TILE rows: each key's pass over a tile writes its slots of words that stay in
        // the cache for the next key's pass, so the morsel's words go to memory once.
        for (int from = 0; from < rows; from += TILE) {
            int count = Math.min(TILE, rows - from);
            encodeTile(m, from, count, out.asSlice(bytesFor(base + from), bytesFor(count)));
        }
    }

    /**
     * Screens the rows of {@code m} by their first key against a key {@code t} (encoded words, as
     * {@link #encode} writes them) without encoding the rows: writes to {@code out} (int32,
     * {@link SortKernel#INDEX}) each row whose first key orders before {@code t}'s as {@code r}
     * and each row whose first key equals it as {@code ~r} (the later keys decide those), in row
     * order; rows whose first key orders after {@code t}'s are left out. One read per row, so a
     * top-k's filter costs what a scan does when nearly every row fails its threshold.
     *
     * @return the number of entries written, or -1 when the first key's type is not screened
     *         (boolean, utf8, decimal): the caller then compares encoded keys
     */
    public int screenFirstKey(Morsel m, long[] t, MemorySegment out) {
        int rows = m.rowCount();
        ColumnVector v = m.column(spec.column(0));
        boolean desc = spec.descending(0);
        long nullFlag = spec.nullsFirst(0) ? 0 : 1;
        long validFlag = 1 - nullFlag;
        int s = slot[0];
        int n = 0;
        switch (types[0]) {
            case INT32, DATE32 -> {
                Int32Vector x = (Int32Vector) v;
                long valid = validFlag << 32;
                long nullWord = nullFlag << 32;
                long t0 = t[s];
                boolean nulls = x.hasNulls();
                for (int r = 0; r < rows; r++) {
                    long word = nulls && x.isNull(r) ? nullWord
                            : valid | dir((x.get(r) ^ 0x8000_0000) & 0xFFFF_FFFFL, desc, 0xFFFF_FFFFL);
                    int c = Long.compareUnsigned(word, t0);
                    if (c <= 0) {
                        out.setAtIndex(SortKernel.INDEX, n++, c < 0 ? r : ~r);
                    }
                }
            }
            case INT64, TIMESTAMP, FLOAT64 -> {
                boolean nulls = v.hasNulls();
                long t0 = t[s];
                long t1 = t[s + 1];
                int validVsT = Long.compare(validFlag, t0);
                if (!nulls && validVsT != 0) {
                    // Every row is non-null: the flag slot alone decides.
                    if (validVsT > 0) {
                        return 0;
                    }
                    for (int r = 0; r < rows; r++) {
                        out.setAtIndex(SortKernel.INDEX, r, r);
                    }
                    return rows;
                }
                boolean isDouble = types[0] == DataType.FLOAT64;
                Int64Vector longs = isDouble ? null : (Int64Vector) v;
                Float64Vector doubles = isDouble ? (Float64Vector) v : null;
                if (!nulls) {
                    // The common case: the value slot decides. In tiles, so that a deoptimisation
                    // (C2 speculates on loop predicates) sends at most one tile to the interpreter,
                    // and the tile method is compiled like any often-called method.
                    for (int from = 0; from < rows; from += TILE) {
                        int count = Math.min(TILE, rows - from);
                        n = isDouble ? screenDoubles(doubles, from, count, desc, t1, out, n)
                                : screenLongs(longs, from, count, desc, t1, out, n);
                    }
                    return n;
                }
                int nullVsT = Long.compare(nullFlag, t0);
                for (int r = 0; r < rows; r++) {
                    int c;
                    if (nulls && v.isNull(r)) {
                        // A null's value slot is 0.
                        c = nullVsT != 0 ? nullVsT : Long.compareUnsigned(0, t1);
                    } else if (validVsT != 0) {
                        c = validVsT;
                    } else {
                        long word = isDouble ? dir(encodeDouble(doubles.get(r)), desc, -1L)
                                : dir(longs.get(r) ^ Long.MIN_VALUE, desc, -1L);
                        c = Long.compareUnsigned(word, t1);
                    }
                    if (c <= 0) {
                        out.setAtIndex(SortKernel.INDEX, n++, c < 0 ? r : ~r);
                    }
                }
            }
            default -> {
                return -1;
            }
        }
        return n;
    }

    private static int screenDoubles(Float64Vector x, int from, int count, boolean desc, long t1, MemorySegment out, int n) {
        for (int i = 0; i < count; i++) {
            int c = Long.compareUnsigned(dir(encodeDouble(x.get(from + i)), desc, -1L), t1);
            if (c <= 0) {
                out.setAtIndex(SortKernel.INDEX, n++, c < 0 ? from + i : ~(from + i));
            }
        }
        return n;
    }

    private static int screenLongs(Int64Vector x, int from, int count, boolean desc, long t1, MemorySegment out, int n) {
        for (int i = 0; i < count; i++) {
            int c = Long.compareUnsigned(dir(x.get(from + i) ^ Long.MIN_VALUE, desc, -1L), t1);
            if (c <= 0) {
                out.setAtIndex(SortKernel.INDEX, n++, c < 0 ? from + i : ~(from + i));
            }
        }
        return n;
    }

    /**
     * Encodes rows {@code [from, from + count)} of {@code m} into {@code dst}, a slice of exactly
     * their words: the loops run from zero with an index linear in the counter, which C2
     * range-checks once per loop.
     */
    private void encodeTile(Morsel m, int from, int count, MemorySegment dst) {
        int rows = count;
        long w = width;
        for (int k = 0; k < types.length; k++) {
            ColumnVector v = m.column(spec.column(k));
            boolean desc = spec.descending(k);
            long nullFlag = spec.nullsFirst(k) ? 0 : 1;
            long validFlag = 1 - nullFlag;
            long s = slot[k];
            boolean nulls = v.hasNulls();
            switch (types[k]) {
                case INT32, DATE32 -> {
                    Int32Vector x = (Int32Vector) v;
                    long valid = validFlag << 32;
                    for (int r = 0; r < rows; r++) {
                        dst.setAtIndex(WORD, r * w + s, nulls && x.isNull(from + r) ? nullFlag << 32
                                : valid | dir((x.get(from + r) ^ 0x8000_0000) & 0xFFFF_FFFFL, desc, 0xFFFF_FFFFL));
                    }
                }
                case BOOLEAN -> {
                    BooleanVector x = (BooleanVector) v;
                    for (int r = 0; r < rows; r++) {
                        dst.setAtIndex(WORD, r * w + s, nulls && x.isNull(from + r) ? nullFlag << 32
                                : validFlag << 32 | dir(x.get(from + r) ? 1 : 0, desc, 1));
                    }
                }
                case INT64, TIMESTAMP -> {
                    Int64Vector x = (Int64Vector) v;
                    if (!nulls) {
                        for (int r = 0; r < rows; r++) {
                            long at = r * w + s;
                            dst.setAtIndex(WORD, at, validFlag);
                            dst.setAtIndex(WORD, at + 1, dir(x.get(from + r) ^ Long.MIN_VALUE, desc, -1L));
                        }
                    } else {
                        for (int r = 0; r < rows; r++) {
                            long at = r * w + s;
                            boolean isNull = x.isNull(from + r);
                            dst.setAtIndex(WORD, at, isNull ? nullFlag : validFlag);
                            dst.setAtIndex(WORD, at + 1, isNull ? 0 : dir(x.get(from + r) ^ Long.MIN_VALUE, desc, -1L));
                        }
                    }
                }
                case FLOAT64 -> {
                    Float64Vector x = (Float64Vector) v;
                    if (!nulls) {
                        for (int r = 0; r < rows; r++) {
                            long at = r * w + s;
                            dst.setAtIndex(WORD, at, validFlag);
                            dst.setAtIndex(WORD, at + 1, dir(encodeDouble(x.get(from + r)), desc, -1L));
                        }
                    } else {
                        for (int r = 0; r < rows; r++) {
                            long at = r * w + s;
                            boolean isNull = x.isNull(from + r);
                            dst.setAtIndex(WORD, at, isNull ? nullFlag : validFlag);
                            dst.setAtIndex(WORD, at + 1, isNull ? 0 : dir(encodeDouble(x.get(from + r)), desc, -1L));
                        }
                    }
                }
                case DECIMAL128 -> {
                    Decimal128Vector x = (Decimal128Vector) v;
                    for (int r = 0; r < rows; r++) {
                        long at = r * w + s;
                        boolean isNull = nulls && x.isNull(from + r);
                        dst.setAtIndex(WORD, at, isNull ? nullFlag : validFlag);
                        dst.setAtIndex(WORD, at + 1, isNull ? 0 : dir(x.high(from + r) ^ Long.MIN_VALUE, desc, -1L));
                        dst.setAtIndex(WORD, at + 2, isNull ? 0 : dir(x.low(from + r), desc, -1L));
                    }
                }
                case UTF8 -> {
                    Utf8Vector x = (Utf8Vector) v;
                    MemorySegment data = x.dataSegment();
                    for (int r = 0; r < rows; r++) {
                        long at = r * w + s;
                        boolean isNull = nulls && x.isNull(from + r);
                        dst.setAtIndex(WORD, at, isNull ? nullFlag : validFlag);
                        dst.setAtIndex(WORD, at + 1, isNull ? 0 : dir(prefix(data, x.dataOffset(from + r), x.byteLength(from + r)), desc, -1L));
                    }
                }
            }
        }
        if (positionSlot >= 0) {
            Int64Vector p = (Int64Vector) m.column(positionColumn);
            long s = positionSlot;
            for (int r = 0; r < rows; r++) {
                dst.setAtIndex(WORD, r * w + s, p.get(from + r));
            }
        }
    }

    private static long dir(long value, boolean desc, long mask) {
        return desc ? ~value & mask : value;
    }

    /** The sign-flip encoding of a double: unsigned order equals {@link Double#compare} order. */
    public static long encodeDouble(double d) {
        long bits = Double.doubleToLongBits(d); // canonical NaN
        return bits >= 0 ? bits ^ Long.MIN_VALUE : ~bits;
    }

    private static long prefix(MemorySegment data, long offset, int len) {
        if (len >= 8) {
            return data.get(BIG_LONG, offset);
        }
        long p = 0;
        for (int i = 0; i < 8; i++) {
            p = p << 8 | (i < len ? data.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF : 0);
        }
        return p;
    }

    /**
     * Compares row {@code ra} of {@code ma} (key at word {@code oa} of {@code ka}) with row
     * {@code rb} of {@code mb} (key at word {@code ob} of {@code kb}).
     */
    public int compare(MemorySegment ka, long oa, Morsel ma, int ra, MemorySegment kb, long ob, Morsel mb, int rb) {
        if (!hasStrings) {
            for (int i = 0; i < width; i++) {
                long x = ka.getAtIndex(WORD, oa + i);
                long y = kb.getAtIndex(WORD, ob + i);
                if (x != y) {
                    return Long.compareUnsigned(x, y);
                }
            }
            return 0;
        }
        int i = 0;
        for (int k = 0; k < types.length; k++) {
            int end = k + 1 < types.length ? slot[k + 1] : (positionSlot >= 0 ? positionSlot : width);
            for (; i < end; i++) {
                long x = ka.getAtIndex(WORD, oa + i);
                long y = kb.getAtIndex(WORD, ob + i);
                if (x != y) {
                    return Long.compareUnsigned(x, y);
                }
            }
            if (types[k] == DataType.UTF8) {
                long validFlag = spec.nullsFirst(k) ? 1 : 0;
                if (ka.getAtIndex(WORD, oa + slot[k]) == validFlag) {
                    int c = compareStrings((Utf8Vector) ma.column(spec.column(k)), ra, (Utf8Vector) mb.column(spec.column(k)), rb);
                    if (c != 0) {
                        return spec.descending(k) ? -c : c;
                    }
                }
            }
        }
        if (positionSlot >= 0) {
            return Long.compareUnsigned(ka.getAtIndex(WORD, oa + positionSlot), kb.getAtIndex(WORD, ob + positionSlot));
        }
        return 0;
    }

    /** Unsigned byte-wise comparison of two UTF-8 values; a proper prefix sorts first. */
    static int compareStrings(Utf8Vector a, int ra, Utf8Vector b, int rb) {
        long sa = a.dataOffset(ra);
        int la = a.byteLength(ra);
        long sb = b.dataOffset(rb);
        int lb = b.byteLength(rb);
        long at = MemorySegment.mismatch(a.dataSegment(), sa, sa + la, b.dataSegment(), sb, sb + lb);
        if (at < 0) {
            return 0;
        }
        if (at == la || at == lb) {
            return Integer.compare(la, lb);
        }
        return Integer.compare(a.dataSegment().get(ValueLayout.JAVA_BYTE, sa + at) & 0xFF,
                b.dataSegment().get(ValueLayout.JAVA_BYTE, sb + at) & 0xFF);
    }
}
