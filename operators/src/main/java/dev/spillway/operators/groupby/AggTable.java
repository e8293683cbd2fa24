package dev.spillway.operators.groupby;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An open-addressing hash table of groups with their aggregate states, used three ways: as a
 * worker's small fixed-size pre-aggregation table (input rows in, partial rows out), as a
 * partition's merge table (partial rows in, results or partial rows out), and — when
 * {@code n_unique} extends the key — as the table that folds a partition's (keys, value) groups
 * back to the group keys.
 *
 * <p>Keys and states sit column-wise in primitive arrays indexed by group (int32, int64, date32
 * and booleans as longs, float64 as doubles, strings as an offset and length into a native
 * {@link ByteLog}); the arrays' size is reserved from the budget before they are allocated, so
 * the table counts against the memory cap like native memory. Key equality is the join's:
 * {@code -0.0} equals {@code 0.0}, NaN equals NaN, null equals null (nulls form their own group).
 * Not thread-safe.
 */
final class AggTable implements AutoCloseable {
    private static final long EMPTY_KEY_HASH = 0x5DEECE66DL;

    /** One column of per-group values. */
    static final class Slot {
        final DataType type;
        final boolean alwaysSet;
        long[] v;
        double[] d;
        int[] len;
        boolean[] set;

        Slot(DataType type, boolean alwaysSet) {
            this.type = type;
            this.alwaysSet = alwaysSet;
        }

        void resize(int capacity) {
            set = set == null ? new boolean[capacity] : Arrays.copyOf(set, capacity);
            if (type == DataType.FLOAT64) {
                d = d == null ? new double[capacity] : Arrays.copyOf(d, capacity);
            } else {
                v = v == null ? new long[capacity] : Arrays.copyOf(v, capacity);
            }
            if (type == DataType.UTF8) {
                len = len == null ? new int[capacity] : Arrays.copyOf(len, capacity);
            }
        }

        static long bytesPerGroup(DataType type) {
            return 9 + (type == DataType.UTF8 ? 4 : 0);
        }
    }

    private final AggLayout layout;
    private final AggSpec[] aggs;
    private final int groupKeys;
    private final boolean fine;
    private final int maxGroups;
    private final MemoryBudget budget;
    private final Slot[] keys;
    private final Slot[] states;
    private final ByteLog strings;
    private long[] hashes;
    private long[] partitionHashes;
    private int[] table;
    private int mask;
    private int capacity;
    private int groups;
    private long reserved;
    private long[] scratchHash = new long[0];
    private long[] scratchPartition = new long[0];
    private int[] scratchGroup = new int[0];
    /** The partition hashes of the scratch rows: {@link #scratchPartition}, or {@link #scratchHash} when they are the same. */
    private long[] rowPartitionHash = scratchPartition;
    private boolean closed;

    /**
     * A table.
     *
     * @param fine      whether the key is the extended key (group keys plus n_unique inputs) or
     *                  the group keys only
     * @param maxGroups the most groups (a pre-aggregation table is full then), or
     *                  {@link Integer#MAX_VALUE} for a table that grows
     */
    AggTable(AggLayout layout, boolean fine, int maxGroups, BlockPool pool, MemoryBudget budget) {
        this.layout = layout;
        this.aggs = layout.aggs;
        this.groupKeys = layout.keyCount();
        this.fine = fine;
        this.maxGroups = maxGroups;
        this.budget = budget;
        DataType[] kt = fine ? layout.fineKeyTypes : layout.keyTypes;
        this.keys = new Slot[kt.length];
        for (int k = 0; k < kt.length; k++) {
            keys[k] = new Slot(kt[k], false);
        }
        this.states = new Slot[layout.stateTypes.length];
        for (int a = 0; a < aggs.length; a++) {
            AggKind kind = aggs[a].kind();
            int s = layout.stateStart[a];
            boolean counter = kind == AggKind.COUNT || kind == AggKind.LEN || kind == AggKind.N_UNIQUE;
            states[s] = new Slot(layout.stateTypes[s], counter);
            if (kind == AggKind.MEAN) {
                states[s + 1] = new Slot(DataType.INT64, true);
            } else if (kind == AggKind.FIRST || kind == AggKind.LAST) {
                states[s + 1] = new Slot(DataType.INT64, false);
            }
        }
        this.strings = new ByteLog(pool, budget);
        resize(maxGroups == Integer.MAX_VALUE ? 1024 : maxGroups);
    }

    private long bytesFor(int cap) {
        long perGroup = 16;
        for (Slot s : keys) {
            perGroup += Slot.bytesPerGroup(s.type);
        }
        for (Slot s : states) {
            perGroup += Slot.bytesPerGroup(s.type);
        }
        return perGroup * cap + 4L * tableSize(cap);
    }

    private static int tableSize(int cap) {
        return Integer.highestOneBit(Math.max(2, cap) * 2 - 1) * 2;
    }

    private void resize(int newCapacity) {
        long bytes = bytesFor(newCapacity);
        budget.reserve(bytes);
        long old = reserved;
        reserved = bytes;
        try {
            hashes = hashes == null ? new long[newCapacity] : Arrays.copyOf(hashes, newCapacity);
            partitionHashes = partitionHashes == null ? new long[newCapacity] : Arrays.copyOf(partitionHashes, newCapacity);
            for (Slot s : keys) {
                s.resize(newCapacity);
            }
            for (Slot s : states) {
                s.resize(newCapacity);
            }
            table = new int[tableSize(newCapacity)];
            mask = table.length - 1;
            for (int g = 0; g < groups; g++) {
                int i = (int) hashes[g] & mask;
                while (table[i] != 0) {
                    i = (i + 1) & mask;
                }
                table[i] = g + 1;
            }
            capacity = newCapacity;
        } finally {
            budget.release(old);
        }
    }

    /** Number of groups. */
    int groups() {
        return groups;
    }

    /** Native and reserved heap bytes this table holds. */
    long byteSize() {
        return reserved + strings.byteSize();
    }

    /** The hash of group {@code g}'s whole key. */
    long hash(int g) {
        return hashes[g];
    }

    /** Native and reserved heap bytes per group of a table of {@code layout}'s extended key. */
    static long bytesPerGroup(AggLayout layout) {
        long perGroup = 16 + 8;
        for (DataType t : layout.fineKeyTypes) {
            perGroup += Slot.bytesPerGroup(t);
        }
        for (DataType t : layout.stateTypes) {
            perGroup += Slot.bytesPerGroup(t);
        }
        return perGroup;
    }

    /** The hash of group {@code g}'s group keys (its partition). */
    long partitionHash(int g) {
        return partitionHashes[g];
    }

    // ------------------------------------------------------------------ hashing

    /**
     * Hashes {@code cols} of every row of {@code m} into the scratch arrays: the hash of the first
     * {@code groupCols} columns into {@link #rowPartitionHash}, of all of them into
     * {@link #scratchHash}.
     */
    private void hashRows(Morsel m, int[] cols, int groupCols) {
        int n = m.rowCount();
        if (scratchHash.length < n) {
            scratchHash = new long[n];
            scratchPartition = new long[n];
        }
        if (groupCols == 0) {
            Arrays.fill(scratchHash, 0, n, EMPTY_KEY_HASH);
        }
        for (int k = 0; k < cols.length; k++) {
            if (k == groupCols) {
                System.arraycopy(scratchHash, 0, scratchPartition, 0, n);
            }
            Hashing.hashColumn(m.column(cols[k]), scratchHash, k > 0 || groupCols == 0);
        }
        // When both hashes cover the same columns they are one array: no copy per morsel.
        rowPartitionHash = groupCols == cols.length ? scratchHash : scratchPartition;
    }

    // ------------------------------------------------------------------ adding rows

    /** Pass over partial rows: every key column is real. */
    static final int REAL = -2;
    /** Pass over input rows that updates the states; the n_unique key columns read as null. */
    static final int MAIN = -1;

    /**
     * Aggregates input rows {@code from ..} of {@code m} (laid out as {@link AggLayout#inputSchema()})
     * until the table is full. With n_unique aggregates each input row is seen in several passes:
     * the {@link #MAIN} pass updates the states under the group keys (n_unique key columns null);
     * pass {@code j} adds the row's non-null input of the {@code j}-th n_unique aggregate as its
     * own key (the other n_unique key columns null), updating no state. Every extended key thus
     * has at most one non-null n_unique column, and each (keys, j, value) appears once.
     *
     * @param ordinalBase the input position of row 0 (for first/last)
     * @param pass        {@link #MAIN} or the index of an n_unique aggregate
     * @return the first row not consumed ({@code m.rowCount()} when all were)
     */
    int addInput(Morsel m, int from, long ordinalBase, int pass) {
        int[] cols = layout.inputFineKeyColumns();
        if (from == 0 || scratchHash.length < m.rowCount()) {
            hashInput(m, cols, pass);
        }
        return add(m, cols, from, true, 0, ordinalBase, pass);
    }

    private void hashInput(Morsel m, int[] cols, int pass) {
        int n = m.rowCount();
        hashRows(m, java.util.Arrays.copyOf(cols, groupKeys), groupKeys);
        int u = cols.length - groupKeys;
        if (u == 0) {
            return;
        }
        long[] values = null;
        if (pass >= 0) {
            values = new long[n];
            Hashing.hashColumn(m.column(cols[groupKeys + pass]), values, false);
        }
        System.arraycopy(scratchHash, 0, scratchPartition, 0, n);
        rowPartitionHash = scratchPartition;
        for (int r = 0; r < n; r++) {
            long h = scratchPartition[r];
            for (int i = 0; i < u; i++) {
                h = Hashing.combine(h, i == pass ? values[r] : Hashing.NULL_HASH);
            }
            scratchHash[r] = h;
        }
    }

    /** Merges every partial row of {@code m} (laid out as {@link AggLayout#partialSchema()}). */
    void addPartials(Morsel m) {
        if (addPartials(m, 0) != m.rowCount()) {
            throw new IllegalStateException("a merge table cannot be full");
        }
    }

    /**
     * Merges partial rows {@code from ..} of {@code m} until the table is full.
     *
     * @return the first row not consumed ({@code m.rowCount()} when all were)
     */
    int addPartials(Morsel m, int from) {
        int[] cols = new int[keys.length];
        for (int k = 0; k < cols.length; k++) {
            cols[k] = k;
        }
        if (from == 0 || scratchHash.length < m.rowCount()) {
            hashRows(m, cols, groupKeys);
        }
        return add(m, cols, from, false, layout.fineKeyCount(), 0, REAL);
    }

    /**
     * Folds partial rows of the extended key into this table of group keys: states merge; each
     * n_unique count grows by one per row whose value for it is not null (each such (keys, value)
     * pair is one row of the merged partition, see {@link #addInput}).
     */
    void addFolded(Morsel m) {
        int[] cols = new int[groupKeys];
        for (int k = 0; k < groupKeys; k++) {
            cols[k] = k;
        }
        hashRows(m, cols, groupKeys);
        for (int r = 0; r < m.rowCount(); r++) {
            int g = findOrInsert(m, cols, r, scratchHash[r], rowPartitionHash[r]);
            update(g, m, r, false, layout.fineKeyCount(), 0);
            for (int a = 0; a < aggs.length; a++) {
                int u = layout.distinctIndex[a];
                if (u >= 0 && !m.column(groupKeys + u).isNull(r)) {
                    states[layout.stateStart[a]].v[g]++;
                }
            }
        }
    }

    /** Adds the one group of a key-less aggregation over no rows (its states empty). */
    void addEmptyGroup() {
        if (keys.length != 0 || groups != 0) {
            throw new IllegalStateException("only a key-less table without groups takes the empty group");
        }
        insert(null, new int[0], 0, EMPTY_KEY_HASH, EMPTY_KEY_HASH, (int) EMPTY_KEY_HASH & mask, REAL);
    }

    private int add(Morsel m, int[] cols, int from, boolean input, int stateBase, long ordinalBase, int pass) {
        int n = m.rowCount();
        if (pass >= 0) {
            // An n_unique pass only inserts its (keys, value) pairs; no state changes.
            ColumnVector passValues = m.column(cols[groupKeys + pass]);
            for (int r = from; r < n; r++) {
                if (passValues.isNull(r)) {
                    continue;
                }
                long h = scratchHash[r];
                int g = find(m, cols, r, h, pass);
                if (g < 0) {
                    if (groups == maxGroups) {
                        return r;
                    }
                    insertAt(m, cols, r, h, rowPartitionHash[r], -g - 1, pass);
                }
            }
            return n;
        }
        // Vectorised: the group of every row first, then each aggregate over the whole batch.
        if (scratchGroup.length < n) {
            scratchGroup = new int[n];
        }
        int[] gid = scratchGroup;
        int end = cols.length == 1 && groupKeys >= 1 && m.column(cols[0]) instanceof Int64Vector k && !k.hasNulls()
                ? assignInt64Groups(k, m, cols, from, n, pass, gid)
                : assignGroups(m, cols, from, n, pass, gid);
        for (int a = 0; a < aggs.length; a++) {
            updateBatch(a, gid, m, from, end, input, stateBase, ordinalBase);
        }
        return end;
    }

    /** Finds or inserts the group of rows {@code from ..}; returns the first row that found the table full. */
    private int assignGroups(Morsel m, int[] cols, int from, int n, int pass, int[] gid) {
        if (cols.length == 0 && from < n) {
            // No key columns (a global aggregate): every row belongs to the one group.
            int g = find(m, cols, from, scratchHash[from], pass);
            if (g < 0) {
                if (groups == maxGroups) {
                    return from;
                }
                g = insertAt(m, cols, from, scratchHash[from], rowPartitionHash[from], -g - 1, pass);
            }
            Arrays.fill(gid, from, n, g);
            return n;
        }
        for (int r = from; r < n; r++) {
            long h = scratchHash[r];
            int g = find(m, cols, r, h, pass);
            if (g < 0) {
                if (groups == maxGroups) {
                    return r;
                }
                g = insertAt(m, cols, r, h, rowPartitionHash[r], -g - 1, pass);
            }
            gid[r] = g;
        }
        return n;
    }

    /** {@link #assignGroups} for the common single int64 key without nulls: no per-row dispatch. */
    private int assignInt64Groups(Int64Vector key, Morsel m, int[] cols, int from, int n, int pass, int[] gid) {
        Slot ks = keys[0];
        for (int r = from; r < n; r++) {
            long h = scratchHash[r];
            long v = key.get(r);
            int i = (int) h & mask;
            int g;
            while (true) {
                int e = table[i];
                if (e == 0) {
                    if (groups == maxGroups) {
                        return r;
                    }
                    g = insertAt(m, cols, r, h, rowPartitionHash[r], i, pass);
                    break;
                }
                g = e - 1;
                if (hashes[g] == h && ks.v[g] == v && ks.set[g]) {
                    break;
                }
                i = (i + 1) & mask;
            }
            gid[r] = g;
        }
        return n;
    }

    /**
     * Updates aggregate {@code a} for rows {@code from .. to} of their groups {@code gid}: tight
     * loops for counts and sums, {@link #updateOne} for the other kinds.
     */
    private void updateBatch(int a, int[] gid, Morsel m, int from, int to, boolean input, int stateBase, long ordinalBase) {
        AggKind kind = aggs[a].kind();
        int s = layout.stateStart[a];
        Slot st = states[s];
        if (kind == AggKind.LEN && input) {
            long[] v = st.v;
            for (int r = from; r < to; r++) {
                v[gid[r]]++;
            }
            return;
        }
        ColumnVector c = m.column(input ? layout.inputColumn[a] : stateBase + s);
        boolean nulls = c.hasNulls();
        if (kind == AggKind.COUNT && input) {
            long[] v = st.v;
            for (int r = from; r < to; r++) {
                v[gid[r]] += nulls && c.isNull(r) ? 0 : 1;
            }
            return;
        }
        boolean counter = kind == AggKind.COUNT || kind == AggKind.LEN || kind == AggKind.N_UNIQUE;
        if ((kind == AggKind.SUM || counter && !input && !nulls) && c instanceof Int64Vector x) {
            long[] v = st.v;
            boolean[] set = st.set;
            for (int r = from; r < to; r++) {
                if (!(nulls && x.isNull(r))) {
                    int g = gid[r];
                    v[g] += x.get(r);
                    set[g] = true;
                }
            }
            return;
        }
        if (kind == AggKind.SUM && c instanceof Float64Vector x) {
            double[] d = st.d;
            boolean[] set = st.set;
            for (int r = from; r < to; r++) {
                if (!(nulls && x.isNull(r))) {
                    int g = gid[r];
                    d[g] += x.get(r);
                    set[g] = true;
                }
            }
            return;
        }
        for (int r = from; r < to; r++) {
            updateOne(a, gid[r], m, r, input, stateBase, ordinalBase);
        }
    }

    private int findOrInsert(Morsel m, int[] cols, int r, long h, long ph) {
        int g = find(m, cols, r, h, REAL);
        return g >= 0 ? g : insertAt(m, cols, r, h, ph, -g - 1, REAL);
    }

    /** The group of row {@code r}, or {@code -(slot + 1)} for the empty slot where it would go. */
    private int find(Morsel m, int[] cols, int r, long h, int pass) {
        int i = (int) h & mask;
        while (true) {
            int e = table[i];
            if (e == 0) {
                return -(i + 1);
            }
            int g = e - 1;
            if (hashes[g] == h && keysEqual(g, m, cols, r, pass)) {
                return g;
            }
            i = (i + 1) & mask;
        }
    }

    private int insertAt(Morsel m, int[] cols, int r, long h, long ph, int slot, int pass) {
        if (groups == capacity) {
            resize(capacity * 2);
            slot = -find(m, cols, r, h, pass) - 1;
        }
        return insert(m, cols, r, h, ph, slot, pass);
    }

    /** Whether key column {@code k} reads as null in {@code pass} (an n_unique column of another pass). */
    private boolean virtualNull(int k, int pass) {
        return pass != REAL && k >= groupKeys && k - groupKeys != pass;
    }

    private int insert(Morsel m, int[] cols, int r, long h, long ph, int slot, int pass) {
        int g = groups++;
        hashes[g] = h;
        partitionHashes[g] = ph;
        for (int k = 0; k < cols.length; k++) {
            if (virtualNull(k, pass)) {
                keys[k].set[g] = false;
            } else {
                store(keys[k], g, m.column(cols[k]), r);
            }
        }
        for (Slot s : states) {
            s.set[g] = s.alwaysSet;
            if (s.d != null) {
                s.d[g] = 0;
            } else {
                s.v[g] = 0;
            }
        }
        table[slot] = g + 1;
        return g;
    }

    private boolean keysEqual(int g, Morsel m, int[] cols, int r, int pass) {
        for (int k = 0; k < cols.length; k++) {
            Slot ks = keys[k];
            ColumnVector c = m.column(cols[k]);
            boolean isNull = virtualNull(k, pass) || c.isNull(r);
            if (isNull || !ks.set[g]) {
                if (isNull == ks.set[g]) {
                    return false;
                }
                continue;
            }
            boolean same = switch (c) {
                case Float64Vector f -> {
                    double x = f.get(r);
                    double y = ks.d[g];
                    yield x == y || (x != x && y != y);
                }
                case Utf8Vector u -> u.byteLength(r) == ks.len[g] && u.equalsBytes(r, strings.segment(), ks.v[g], ks.len[g]);
                default -> asLong(c, r) == ks.v[g];
            };
            if (!same) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ states

    private void update(int g, Morsel m, int r, boolean input, int stateBase, long ordinalBase) {
        for (int a = 0; a < aggs.length; a++) {
            updateOne(a, g, m, r, input, stateBase, ordinalBase);
        }
    }

    /** Updates aggregate {@code a} of group {@code g} with row {@code r}. */
    private void updateOne(int a, int g, Morsel m, int r, boolean input, int stateBase, long ordinalBase) {
        AggKind kind = aggs[a].kind();
        int s = layout.stateStart[a];
        Slot st = states[s];
        ColumnVector c = input ? (kind == AggKind.LEN ? null : m.column(layout.inputColumn[a])) : m.column(stateBase + s);
        switch (kind) {
            case SUM -> {
                if (!c.isNull(r)) {
                    add(st, g, c, r);
                }
            }
            case COUNT -> st.v[g] += input ? (c.isNull(r) ? 0 : 1) : asLong(c, r);
            case LEN -> st.v[g] += input ? 1 : asLong(c, r);
            // Counted when the extended key is folded back (addFolded); counts of the second level add up.
            case N_UNIQUE -> st.v[g] += input ? 0 : asLong(c, r);
            case MIN -> {
                if (!c.isNull(r) && (!st.set[g] || compare(c, r, st, g) < 0)) {
                    store(st, g, c, r);
                }
            }
            case MAX -> {
                if (!c.isNull(r) && (!st.set[g] || compare(c, r, st, g) > 0)) {
                    store(st, g, c, r);
                }
            }
            case MEAN -> {
                if (!c.isNull(r)) {
                    add(st, g, c, r);
                    states[s + 1].v[g] += input ? 1 : asLong(m.column(stateBase + s + 1), r);
                }
            }
            case FIRST, LAST -> {
                Slot ord = states[s + 1];
                ColumnVector oc = input ? null : m.column(stateBase + s + 1);
                if (oc == null || !oc.isNull(r)) {
                    long o = oc == null ? ordinalBase + r : asLong(oc, r);
                    if (!ord.set[g] || (kind == AggKind.FIRST ? o < ord.v[g] : o > ord.v[g])) {
                        ord.set[g] = true;
                        ord.v[g] = o;
                        store(st, g, c, r);
                    }
                }
            }
        }
    }

    private static void add(Slot st, int g, ColumnVector c, int r) {
        st.set[g] = true;
        if (st.d != null) {
            st.d[g] += ((Float64Vector) c).get(r);
        } else {
            st.v[g] += asLong(c, r);
        }
    }

    private void store(Slot st, int g, ColumnVector c, int r) {
        if (c.isNull(r)) {
            st.set[g] = false;
            return;
        }
        st.set[g] = true;
        switch (c) {
            case Float64Vector f -> st.d[g] = f.get(r);
            case Utf8Vector u -> {
                int len = u.byteLength(r);
                st.v[g] = strings.append(u.dataSegment(), u.dataOffset(r), len);
                st.len[g] = len;
            }
            default -> st.v[g] = asLong(c, r);
        }
    }

    /** Orders a value against a state: float64 by {@link Double#compare}, strings by UTF-8 bytes. */
    private int compare(ColumnVector c, int r, Slot st, int g) {
        return switch (c) {
            case Float64Vector f -> Double.compare(f.get(r), st.d[g]);
            case Utf8Vector u -> {
                MemorySegment log = strings.segment();
                long a = u.dataOffset(r);
                int alen = u.byteLength(r);
                long b = st.v[g];
                int blen = st.len[g];
                long at = MemorySegment.mismatch(u.dataSegment(), a, a + alen, log, b, b + blen);
                if (at < 0) {
                    yield 0;
                }
                if (at == alen || at == blen) {
                    yield Integer.compare(alen, blen);
                }
                yield Integer.compare(Byte.toUnsignedInt(u.dataSegment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, a + at)),
                        Byte.toUnsignedInt(log.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b + at)));
            }
            default -> Long.compare(asLong(c, r), st.v[g]);
        };
    }

    private static long asLong(ColumnVector c, int r) {
        return switch (c) {
            case Int64Vector x -> x.get(r);
            case Int32Vector x -> x.get(r);
            case BooleanVector x -> x.get(r) ? 1 : 0;
            default -> throw new IllegalStateException("not an integer column: " + c.type().displayName());
        };
    }

    // ------------------------------------------------------------------ output

    private void append(ColumnBuilder b, Slot s, int g) {
        if (!s.set[g]) {
            b.appendNull();
            return;
        }
        switch (b) {
            case Int32Builder x -> x.append((int) s.v[g]);
            case Int64Builder x -> x.append(s.v[g]);
            case Float64Builder x -> x.append(s.d[g]);
            case BooleanBuilder x -> x.append(s.v[g] != 0);
            case Utf8Builder x -> x.append(strings.segment(), s.v[g], s.len[g]);
        }
    }

    /** Appends group {@code g} as a partial row to {@code out} (builders of the partial schema). */
    void appendPartial(int g, List<ColumnBuilder> out) {
        for (int k = 0; k < keys.length; k++) {
            append(out.get(k), keys[k], g);
        }
        for (int s = 0; s < states.length; s++) {
            append(out.get(keys.length + s), states[s], g);
        }
    }

    /** Groups {@code [from, to)} as partial rows, charged to {@code to}'s budget. */
    Morsel partials(int from, int to, BlockPool pool, MemoryBudget into) {
        Schema schema = fine ? layout.partialSchema() : layout.merged().partialSchema();
        return build(schema, from, to, pool, into, 0, true);
    }

    /** Groups {@code [from, to)} as result rows (group keys, then one column per aggregate). */
    Morsel results(int from, int to, BlockPool pool, MemoryBudget into, long sequence) {
        return build(layout.outputSchema(), from, to, pool, into, sequence, false);
    }

    private Morsel build(Schema schema, int from, int to, BlockPool pool, MemoryBudget into, long sequence, boolean partial) {
        List<ColumnBuilder> cols = new ArrayList<>(schema.size());
        try {
            for (int c = 0; c < schema.size(); c++) {
                cols.add(ColumnBuilder.create(schema.field(c).type(), pool, into, Math.max(1, to - from)));
            }
            for (int g = from; g < to; g++) {
                if (partial) {
                    appendPartial(g, cols);
                } else {
                    appendResult(g, cols);
                }
            }
            List<ColumnVector> vectors = new ArrayList<>(cols.size());
            try {
                for (ColumnBuilder b : cols) {
                    vectors.add(b.build());
                }
            } catch (RuntimeException e) {
                vectors.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(schema, vectors, to - from, sequence);
        } finally {
            cols.forEach(ColumnBuilder::close);
        }
    }

    private void appendResult(int g, List<ColumnBuilder> out) {
        if (fine && layout.hasDistinct()) {
            throw new IllegalStateException("results come from the folded table when n_unique extends the key");
        }
        for (int k = 0; k < groupKeys; k++) {
            append(out.get(k), keys[k], g);
        }
        for (int a = 0; a < aggs.length; a++) {
            int s = layout.stateStart[a];
            Slot st = states[s];
            ColumnBuilder b = out.get(groupKeys + a);
            switch (aggs[a].kind()) {
                case SUM, MIN, MAX, FIRST, LAST -> append(b, st, g);
                case COUNT, LEN, N_UNIQUE -> ((Int64Builder) b).append(st.v[g]);
                case MEAN -> {
                    long n = states[s + 1].v[g];
                    if (n == 0 || !st.set[g]) {
                        b.appendNull();
                    } else {
                        ((Float64Builder) b).append((st.d != null ? st.d[g] : (double) st.v[g]) / n);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** Forgets every group, keeping the memory (a pre-aggregation table after a flush). */
    void clear() {
        groups = 0;
        Arrays.fill(table, 0);
        strings.reset();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        strings.close();
        budget.release(reserved);
        reserved = 0;
        hashes = null;
        partitionHashes = null;
        table = null;
    }
}
