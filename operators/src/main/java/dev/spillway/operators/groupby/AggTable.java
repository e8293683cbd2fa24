package dev.spillway.operators.groupby;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.groupby.function.AggregateFunction;
import dev.spillway.operators.groupby.function.ByteLog;
import dev.spillway.operators.groupby.function.DistinctFunction;
import dev.spillway.operators.groupby.function.GroupColumn;

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
 * <p>The table maps rows to group ids (key hashing, equality, insertion, growth) and stores keys
 * and aggregate states column-wise as {@link GroupColumn}s (primitive arrays indexed by group,
 * strings in a native {@link ByteLog}); the arrays' size is reserved from the budget before they
 * are allocated, so the table counts against the memory cap like native memory. What a state
 * means is the {@link AggregateFunction}'s business: the table hands each function its state
 * columns with a batch of rows and their group ids. Key equality is the join's: {@code -0.0}
 * equals {@code 0.0}, NaN equals NaN, null equals null (nulls form their own group).
 * Not thread-safe.
 */
final class AggTable implements AutoCloseable {
    private static final long EMPTY_KEY_HASH = 0x5DEECE66DL;

    private final AggLayout layout;
    private final AggregateFunction[] functions;
    /** The state columns of each aggregate, in its state order. */
    private final GroupColumn[][] aggStates;
    private final int groupKeys;
    private final boolean fine;
    private final int maxGroups;
    private final MemoryBudget budget;
    private final GroupColumn[] keys;
    private final GroupColumn[] states;
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
        this.groupKeys = layout.keyCount();
        this.fine = fine;
        this.maxGroups = maxGroups;
        this.budget = budget;
        this.strings = new ByteLog(pool, budget);
        DataType[] kt = fine ? layout.fineKeyTypes : layout.keyTypes;
        this.keys = new GroupColumn[kt.length];
        for (int k = 0; k < kt.length; k++) {
            keys[k] = new GroupColumn(kt[k], true, strings);
        }
        this.states = new GroupColumn[layout.stateTypes.length];
        for (int s = 0; s < states.length; s++) {
            states[s] = new GroupColumn(layout.stateTypes[s], layout.stateStartsNull[s], strings);
        }
        int n = layout.aggs.length;
        this.functions = new AggregateFunction[n];
        this.aggStates = new GroupColumn[n][];
        for (int a = 0; a < n; a++) {
            functions[a] = layout.aggs[a].function();
            int end = a + 1 < n ? layout.stateStart[a + 1] : states.length;
            aggStates[a] = Arrays.copyOfRange(states, layout.stateStart[a], end);
        }
        resize(maxGroups == Integer.MAX_VALUE ? 1024 : maxGroups);
    }

    private long bytesFor(int cap) {
        long perGroup = 16;
        for (GroupColumn s : keys) {
            perGroup += GroupColumn.bytesPerGroup(s.type());
        }
        for (GroupColumn s : states) {
            perGroup += GroupColumn.bytesPerGroup(s.type());
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
            for (GroupColumn s : keys) {
                s.resize(newCapacity);
            }
            for (GroupColumn s : states) {
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
            perGroup += GroupColumn.bytesPerGroup(t);
        }
        for (DataType t : layout.stateTypes) {
            perGroup += GroupColumn.bytesPerGroup(t);
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
        hashRows(m, Arrays.copyOf(cols, groupKeys), groupKeys);
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
     * distinct aggregate folds its extended-key column (each non-null (keys, value) pair is one
     * row of the merged partition, see {@link #addInput} and {@link DistinctFunction#fold}).
     */
    void addFolded(Morsel m) {
        int[] cols = new int[groupKeys];
        for (int k = 0; k < groupKeys; k++) {
            cols[k] = k;
        }
        hashRows(m, cols, groupKeys);
        int n = m.rowCount();
        int[] gid = groupScratch(n);
        for (int r = 0; r < n; r++) {
            gid[r] = findOrInsert(m, cols, r, scratchHash[r], rowPartitionHash[r]);
        }
        merge(m, layout.fineKeyCount(), gid, 0, n);
        for (int a = 0; a < functions.length; a++) {
            int u = layout.distinctIndex[a];
            if (u >= 0) {
                ((DistinctFunction) functions[a]).fold(aggStates[a], m.column(groupKeys + u), gid, 0, n);
            }
        }
    }

    private int[] groupScratch(int n) {
        if (scratchGroup.length < n) {
            scratchGroup = new int[n];
        }
        return scratchGroup;
    }

    /** Merges the state columns of partial rows {@code [from, to)} (starting at column {@code stateBase}) into groups {@code gid}. */
    private void merge(Morsel m, int stateBase, int[] gid, int from, int to) {
        for (int a = 0; a < functions.length; a++) {
            functions[a].merge(aggStates[a], m, stateBase + layout.stateStart[a], gid, from, to);
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
        int[] gid = groupScratch(n);
        int end = cols.length == 1 && groupKeys >= 1 && m.column(cols[0]) instanceof Int64Vector k && !k.hasNulls()
                ? assignInt64Groups(k, m, cols, from, n, pass, gid)
                : assignGroups(m, cols, from, n, pass, gid);
        if (!input) {
            merge(m, stateBase, gid, from, end);
            return end;
        }
        for (int a = 0; a < functions.length; a++) {
            int c = layout.inputColumn[a];
            functions[a].update(aggStates[a], c < 0 ? null : m.column(c), gid, from, end, ordinalBase);
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
        GroupColumn ks = keys[0];
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
                if (hashes[g] == h && ks.longs()[g] == v && ks.notNull()[g]) {
                    break;
                }
                i = (i + 1) & mask;
            }
            gid[r] = g;
        }
        return n;
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
                keys[k].setNull(g);
            } else {
                keys[k].store(g, m.column(cols[k]), r);
            }
        }
        for (GroupColumn s : states) {
            s.start(g);
        }
        table[slot] = g + 1;
        return g;
    }

    private boolean keysEqual(int g, Morsel m, int[] cols, int r, int pass) {
        for (int k = 0; k < cols.length; k++) {
            GroupColumn ks = keys[k];
            ColumnVector c = m.column(cols[k]);
            boolean isNull = virtualNull(k, pass) || c.isNull(r);
            boolean present = ks.notNull()[g];
            if (isNull || !present) {
                if (isNull == present) {
                    return false;
                }
                continue;
            }
            if (!ks.sameKey(g, c, r)) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ output

    /** Appends group {@code g} as a partial row to {@code out} (builders of the partial schema). */
    void appendPartial(int g, List<ColumnBuilder> out) {
        for (int k = 0; k < keys.length; k++) {
            keys[k].appendTo(out.get(k), g);
        }
        for (int s = 0; s < states.length; s++) {
            states[s].appendTo(out.get(keys.length + s), g);
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
            if (partial) {
                for (int g = from; g < to; g++) {
                    appendPartial(g, cols);
                }
            } else {
                appendResults(from, to, cols);
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

    /** Appends groups {@code [from, to)} as result rows, column by column: each function finishes its own column. */
    private void appendResults(int from, int to, List<ColumnBuilder> out) {
        if (fine && layout.hasDistinct()) {
            throw new IllegalStateException("results come from the folded table when n_unique extends the key");
        }
        for (int k = 0; k < groupKeys; k++) {
            GroupColumn key = keys[k];
            ColumnBuilder b = out.get(k);
            for (int g = from; g < to; g++) {
                key.appendTo(b, g);
            }
        }
        for (int a = 0; a < functions.length; a++) {
            functions[a].finish(aggStates[a], from, to, out.get(groupKeys + a));
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
