package dev.spillway.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.Closeables;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.memory.Utf8Vector;
import dev.spillway.operators.sort.ScratchBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A native open-addressing table from a key of any number of columns to a dense id
 * {@code 0 .. size()-1}, numbered in order of first insertion, with a fixed number of int64
 * <em>words</em> per id that the owner reads and writes (a latest row, the head of a list).
 *
 * <p><b>Equality.</b> Two keys are equal when each column is equal as the boxed values would be
 * by {@link Object#equals}, with {@code -0.0} folded onto {@code 0.0}: integers, dates and timestamps (microseconds) by
 * value, doubles by their bits after folding ({@code 0.0} and {@code -0.0} equal, every NaN equal),
 * strings by their UTF-8 bytes, decimals by unscaled value <em>and</em> scale (a
 * {@code BigDecimal} of another scale differs). Rows with a null key column have no key: the
 * owner checks {@link Rows#hasNull} and never looks them up.
 *
 * <p><b>Memory.</b> Everything that grows with the ids is native memory from the owner's
 * {@link BlockPool}, charged to its budget: the slots (int32: 0 empty, else id + 1, at most half
 * full), per id the key hash, the offset of its encoded key and its words (int64s), and the
 * encoded keys themselves (fixed-width values, a length before each string's bytes, the scale
 * before each decimal), appended to one byte buffer. Growth allocates every new buffer before it
 * changes anything, so a growth the budget refuses leaves the table as it was and throws the
 * budget's {@link dev.spillway.errors.MemoryLimitExceededException}. Nothing is allocated before
 * the first insert.
 *
 * <p><b>Hashing.</b> The rows of a morsel are hashed once, column at a time ({@link Hashing}), by a
 * {@link Rows} (one per input, since two inputs' morsels interleave); look-ups then read the
 * hashes from its native scratch. The heap holds a fixed number of objects per table.
 *
 * <p>Not thread-safe: one owner.
 */
public final class KeyTable implements AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** The hash of the empty key (a key of no columns). */
    private static final long EMPTY_KEY_HASH = 0x5DEECE66DL;
    private static final long CANONICAL_NAN = Double.doubleToLongBits(Double.NaN);
    /** Ids of the first allocation. */
    static final int FIRST_CAPACITY = 256;
    /** Smallest buffer of encoded keys. */
    private static final long FIRST_KEY_BYTES = 4096;

    private final DataType[] types;
    private final int words;
    private final long initialWord;
    private final int fixedKeyBytes;
    private final boolean hasStrings;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final List<Rows> rowsMade = new ArrayList<>(2);

    private NativeBuffer slotBuffer;
    private NativeBuffer hashBuffer;
    private NativeBuffer keyAtBuffer;
    private NativeBuffer wordBuffer;
    private NativeBuffer keyBuffer;
    /** The slots: 0 empty, else id + 1. */
    private MemorySegment slots = MemorySegment.NULL;
    /** Per id: its key hash. */
    private MemorySegment hashes = MemorySegment.NULL;
    /** Per id: the offset of its encoded key in {@link #keys}. */
    private MemorySegment keyAt = MemorySegment.NULL;
    /** Per id: its {@link #words} words. */
    private MemorySegment wordSegment = MemorySegment.NULL;
    /** The encoded keys, {@link #keyBytesUsed} bytes of them. */
    private MemorySegment keys = MemorySegment.NULL;
    private long keyBytesUsed;
    private int mask;
    private int capacity;
    private int size;
    private boolean closed;

    /**
     * An empty table; it allocates nothing before its first insert.
     *
     * @param types       the key columns' types, in key order
     * @param words       int64 words per id
     * @param initialWord the value of every word of a new id
     * @param pool        where the memory comes from
     * @param budget      what it is charged to
     */
    public KeyTable(DataType[] types, int words, long initialWord, BlockPool pool, MemoryBudget budget) {
        if (words < 0) {
            throw new IllegalArgumentException("words must not be negative: " + words);
        }
        this.types = types.clone();
        this.words = words;
        this.initialWord = initialWord;
        this.pool = pool;
        this.budget = budget;
        int fixed = 0;
        boolean strings = false;
        for (DataType t : this.types) {
            fixed += switch (t) {
                case INT32, DATE32 -> Integer.BYTES;
                case INT64, TIMESTAMP, FLOAT64 -> Long.BYTES;
                case BOOLEAN -> 1;
                case DECIMAL128 -> Integer.BYTES + 2 * Long.BYTES;
                case UTF8 -> Integer.BYTES;
            };
            strings |= t == DataType.UTF8;
        }
        this.fixedKeyBytes = fixed;
        this.hasStrings = strings;
    }

    /**
     * The hashed rows of one input, keyed on its columns {@code columns} (of this table's types, in
     * key order). The table owns and closes them.
     */
    public Rows rows(int[] columns) {
        if (columns.length != types.length) {
            throw new IllegalArgumentException("a key of " + types.length + " columns, got " + columns.length);
        }
        Rows r = new Rows(columns, pool, budget);
        rowsMade.add(r);
        return r;
    }

    /** Ids in the table. */
    public int size() {
        return size;
    }

    /** Native bytes held (slots, per-id arrays, encoded keys and the rows' hash scratch). */
    public long byteSize() {
        long n = slots.byteSize() + hashes.byteSize() + keyAt.byteSize() + wordSegment.byteSize() + keys.byteSize();
        for (Rows r : rowsMade) {
            n += r.scratch.capacity();
        }
        return n;
    }

    /** Word {@code w} of id {@code id}. */
    public long word(int id, int w) {
        return wordSegment.getAtIndex(LONG, (long) id * words + w);
    }

    /** Sets word {@code w} of id {@code id}. */
    public void setWord(int id, int w, long value) {
        wordSegment.setAtIndex(LONG, (long) id * words + w, value);
    }

    // ------------------------------------------------------------------ look-up

    /**
     * The id of row {@code r} of the morsel {@code rows} hashed last, or -1 when the key is not in
     * the table. The row must have no null key column.
     */
    public int find(Rows rows, int r) {
        if (size == 0) {
            return -1;
        }
        int s = probe(rows, r, rows.hashes.getAtIndex(LONG, r));
        return s >= 0 ? s : -1;
    }

    /**
     * The id of row {@code r} of the morsel {@code rows} hashed last, inserted (its words set to
     * the initial value) when the key is new. The row must have no null key column.
     *
     * @throws dev.spillway.errors.MemoryLimitExceededException when the table must grow and the
     *         budget refuses (the table is then as it was)
     */
    public int findOrInsert(Rows rows, int r) {
        long h = rows.hashes.getAtIndex(LONG, r);
        int s = size == 0 ? -1 : probe(rows, r, h);
        if (s >= 0) {
            return s;
        }
        long length = keyLength(rows, r);
        if (keyBytesUsed + length > keys.byteSize()) {
            growKeys(keyBytesUsed + length);
        }
        if (size == capacity) {
            grow(capacity == 0 ? FIRST_CAPACITY : 2 * capacity);
        }
        return insert(rows, r, h, length);
    }

    /** The id of the row, or {@code -(slot + 1)} of the empty slot where it would go. */
    private int probe(Rows rows, int r, long h) {
        MemorySegment slots = this.slots;
        MemorySegment hashes = this.hashes;
        int mask = this.mask;
        int i = (int) h & mask;
        while (true) {
            int e = slots.getAtIndex(INT, i);
            if (e == 0) {
                return -(i + 1);
            }
            int id = e - 1;
            if (hashes.getAtIndex(LONG, id) == h && keyEquals(id, rows, r)) {
                return id;
            }
            i = (i + 1) & mask;
        }
    }

    private int insert(Rows rows, int r, long h, long length) {
        int slot = -probe(rows, r, h) - 1;
        int id = size;
        long at = keyBytesUsed;
        writeKey(rows, r, at);
        keyBytesUsed = at + length;
        keyAt.setAtIndex(LONG, id, at);
        hashes.setAtIndex(LONG, id, h);
        for (int w = 0; w < words; w++) {
            wordSegment.setAtIndex(LONG, (long) id * words + w, initialWord);
        }
        slots.setAtIndex(INT, slot, id + 1);
        size = id + 1;
        return id;
    }

    // ------------------------------------------------------------------ encoded keys

    private static long canonicalBits(double v) {
        return v == 0.0 ? 0L : Double.isNaN(v) ? CANONICAL_NAN : Double.doubleToRawLongBits(v);
    }

    private long keyLength(Rows rows, int r) {
        if (!hasStrings) {
            return fixedKeyBytes;
        }
        long n = fixedKeyBytes;
        for (int k = 0; k < types.length; k++) {
            if (types[k] == DataType.UTF8) {
                n += ((Utf8Vector) rows.vectors[k]).byteLength(r);
            }
        }
        return n;
    }

    private boolean keyEquals(int id, Rows rows, int r) {
        MemorySegment keys = this.keys;
        long at = keyAt.getAtIndex(LONG, id);
        ColumnVector[] vectors = rows.vectors;
        for (int k = 0; k < types.length; k++) {
            ColumnVector v = vectors[k];
            switch (types[k]) {
                case INT32, DATE32 -> {
                    if (keys.get(INT, at) != ((Int32Vector) v).get(r)) {
                        return false;
                    }
                    at += Integer.BYTES;
                }
                case INT64, TIMESTAMP -> {
                    if (keys.get(LONG, at) != ((Int64Vector) v).get(r)) {
                        return false;
                    }
                    at += Long.BYTES;
                }
                case FLOAT64 -> {
                    if (keys.get(LONG, at) != canonicalBits(((Float64Vector) v).get(r))) {
                        return false;
                    }
                    at += Long.BYTES;
                }
                case BOOLEAN -> {
                    if ((keys.get(BYTE, at) != 0) != ((BooleanVector) v).get(r)) {
                        return false;
                    }
                    at += 1;
                }
                case DECIMAL128 -> {
                    Decimal128Vector d = (Decimal128Vector) v;
                    if (keys.get(INT, at) != d.decimalType().scale() || keys.get(LONG, at + 4) != d.low(r)
                            || keys.get(LONG, at + 12) != d.high(r)) {
                        return false;
                    }
                    at += Integer.BYTES + 2 * Long.BYTES;
                }
                case UTF8 -> {
                    int length = keys.get(INT, at);
                    if (!((Utf8Vector) v).equalsBytes(r, keys, at + Integer.BYTES, length)) {
                        return false;
                    }
                    at += Integer.BYTES + length;
                }
            }
        }
        return true;
    }

    private void writeKey(Rows rows, int r, long at) {
        MemorySegment keys = this.keys;
        ColumnVector[] vectors = rows.vectors;
        for (int k = 0; k < types.length; k++) {
            ColumnVector v = vectors[k];
            switch (types[k]) {
                case INT32, DATE32 -> {
                    keys.set(INT, at, ((Int32Vector) v).get(r));
                    at += Integer.BYTES;
                }
                case INT64, TIMESTAMP -> {
                    keys.set(LONG, at, ((Int64Vector) v).get(r));
                    at += Long.BYTES;
                }
                case FLOAT64 -> {
                    keys.set(LONG, at, canonicalBits(((Float64Vector) v).get(r)));
                    at += Long.BYTES;
                }
                case BOOLEAN -> {
                    keys.set(BYTE, at, ((BooleanVector) v).get(r) ? (byte) 1 : (byte) 0);
                    at += 1;
                }
                case DECIMAL128 -> {
                    Decimal128Vector d = (Decimal128Vector) v;
                    keys.set(INT, at, d.decimalType().scale());
                    keys.set(LONG, at + 4, d.low(r));
                    keys.set(LONG, at + 12, d.high(r));
                    at += Integer.BYTES + 2 * Long.BYTES;
                }
                case UTF8 -> {
                    Utf8Vector u = (Utf8Vector) v;
                    int length = u.byteLength(r);
                    keys.set(INT, at, length);
                    MemorySegment.copy(u.dataSegment(), u.dataOffset(r), keys, at + Integer.BYTES, length);
                    at += Integer.BYTES + length;
                }
            }
        }
    }

    // ------------------------------------------------------------------ growth

    /** Slots for {@code cap} ids: a power of two at least twice as many. */
    private static int slotsFor(int cap) {
        return Integer.highestOneBit(cap * 2 - 1) * 2;
    }

    /**
     * Grows the per-id arrays and the slots to {@code newCapacity} ids: every new buffer is
     * allocated first, so a refused allocation frees what this growth took and changes nothing.
     */
    private void grow(int newCapacity) {
        if (newCapacity > (1 << 29)) {
            throw new IllegalStateException("a key table holds at most " + (1 << 29) + " keys");
        }
        int slotCount = slotsFor(newCapacity);
        NativeBuffer newSlots = null;
        NativeBuffer newHashes = null;
        NativeBuffer newKeyAt = null;
        NativeBuffer newWords = null;
        try {
            newSlots = pool.allocateZeroed(budget, 4L * slotCount);
            newHashes = pool.allocate(budget, 8L * newCapacity);
            newKeyAt = pool.allocate(budget, 8L * newCapacity);
            newWords = words == 0 ? null : pool.allocate(budget, 8L * words * newCapacity);
        } catch (RuntimeException | Error e) {
            closeQuietly(e, newSlots, newHashes, newKeyAt, newWords);
            throw e;
        }
        MemorySegment h = newHashes.segment();
        MemorySegment.copy(hashes, 0, h, 0, 8L * size);
        MemorySegment.copy(keyAt, 0, newKeyAt.segment(), 0, 8L * size);
        if (newWords != null) {
            MemorySegment.copy(wordSegment, 0, newWords.segment(), 0, 8L * words * size);
        }
        MemorySegment s = newSlots.segment();
        int newMask = slotCount - 1;
        for (int id = 0; id < size; id++) {
            int i = (int) h.getAtIndex(LONG, id) & newMask;
            while (s.getAtIndex(INT, i) != 0) {
                i = (i + 1) & newMask;
            }
            s.setAtIndex(INT, i, id + 1);
        }
        NativeBuffer[] old = {slotBuffer, hashBuffer, keyAtBuffer, wordBuffer};
        slotBuffer = newSlots;
        hashBuffer = newHashes;
        keyAtBuffer = newKeyAt;
        wordBuffer = newWords;
        slots = s;
        hashes = h;
        keyAt = newKeyAt.segment();
        wordSegment = newWords == null ? MemorySegment.NULL : newWords.segment();
        mask = newMask;
        capacity = newCapacity;
        closeAll(old);
    }

    /** Grows the encoded keys to hold at least {@code needed} bytes; a refused allocation changes nothing. */
    private void growKeys(long needed) {
        long cap = Math.max(FIRST_KEY_BYTES, Math.max(needed, 2 * keys.byteSize()));
        NativeBuffer next = pool.allocate(budget, cap);
        MemorySegment.copy(keys, 0, next.segment(), 0, keyBytesUsed);
        NativeBuffer old = keyBuffer;
        keyBuffer = next;
        keys = next.segment();
        closeAll(new NativeBuffer[] {old});
    }

    private static void closeQuietly(Throwable failure, NativeBuffer... buffers) {
        try {
            closeAll(buffers);
        } catch (RuntimeException closing) {
            failure.addSuppressed(closing);
        }
    }

    private static void closeAll(NativeBuffer[] buffers) {
        List<AutoCloseable> held = new ArrayList<>(buffers.length);
        for (NativeBuffer b : buffers) {
            if (b != null) {
                held.add(b);
            }
        }
        Closeables.closeAll(held);
    }

    /** Frees every buffer and the rows' scratch. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        NativeBuffer[] held = {slotBuffer, hashBuffer, keyAtBuffer, wordBuffer, keyBuffer};
        slotBuffer = hashBuffer = keyAtBuffer = wordBuffer = keyBuffer = null;
        slots = hashes = keyAt = wordSegment = keys = MemorySegment.NULL;
        size = 0;
        capacity = 0;
        List<AutoCloseable> all = new ArrayList<>(rowsMade);
        all.add(() -> closeAll(held));
        Closeables.closeAll(all);
    }

    // ------------------------------------------------------------------ hashed rows

    /**
     * The key hashes of the rows of one input's current morsel, computed once per morsel into a
     * native scratch (charged to the table's budget, sized by the largest morsel seen).
     */
    public static final class Rows implements AutoCloseable {
        private final int[] columns;
        private final ScratchBuffer scratch;
        private final ColumnVector[] vectors;
        private Morsel morsel;
        private MemorySegment hashes = MemorySegment.NULL;
        private boolean nulls;

        private Rows(int[] columns, BlockPool pool, MemoryBudget budget) {
            this.columns = columns.clone();
            this.scratch = new ScratchBuffer(pool, budget);
            this.vectors = new ColumnVector[columns.length];
        }

        /**
         * Makes {@code m} the current morsel, hashing its key columns unless it is the morsel
         * hashed last (the same object).
         *
         * @throws dev.spillway.errors.MemoryLimitExceededException when the scratch must grow and
         *         the budget refuses
         */
        public void hash(Morsel m) {
            if (m == morsel) {
                return;
            }
            morsel = null;
            int n = m.rowCount();
            MemorySegment out = scratch.ensure(Math.max(1, 8L * n));
            nulls = false;
            for (int k = 0; k < columns.length; k++) {
                ColumnVector v = m.column(columns[k]);
                vectors[k] = v;
                nulls |= v.hasNulls();
                Hashing.hashColumn(v, out, k > 0);
            }
            if (columns.length == 0) {
                for (int r = 0; r < n; r++) {
                    out.setAtIndex(LONG, r, EMPTY_KEY_HASH);
                }
            }
            hashes = out;
            morsel = m;
        }

        /** Whether row {@code r} of the current morsel has a null key column (then it has no key). */
        public boolean hasNull(int r) {
            if (!nulls) {
                return false;
            }
            for (ColumnVector v : vectors) {
                if (v.isNull(r)) {
                    return true;
                }
            }
            return false;
        }

        /** The key hash of row {@code r} of the current morsel. */
        public long hash(int r) {
            return hashes.getAtIndex(LONG, r);
        }

        /** Frees the scratch. Idempotent. */
        @Override
        public void close() {
            morsel = null;
            hashes = MemorySegment.NULL;
            java.util.Arrays.fill(vectors, null);
            scratch.close();
        }
    }
}
