package dev.spillway.operators.groupby;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.Closeables;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.operators.groupby.function.ByteLog;
import dev.spillway.operators.groupby.function.GroupColumn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The group-key half of an {@link AggTable}: maps rows to dense group ids {@code 0 .. groups()-1}
 * by open addressing on the key hash, and stores each group's key columns, key hash and
 * partition hash (the hash of the group keys only).
 *
 * <p>Everything that grows with the groups or the rows is native memory from the owner's
 * {@link BlockPool}, charged to its budget as it is allocated: the per-group hashes (int64s), the
 * slots of the open-addressing table (int32s: 0 empty, else group id + 1), the key columns and —
 * grown along with them — the owner's state columns (handed in at construction), and the per-row
 * scratch hashes. Growth allocates every new buffer before it changes anything, so a growth the
 * budget refuses frees what it took and leaves the groups as they were; inserting a group starts
 * its states. Row hashes are computed once per morsel into the scratch arrays that the probe loops
 * then read. Key equality is the join's: {@code -0.0} equals {@code 0.0}, NaN equals NaN, null
 * equals null (nulls form their own group).
 *
 * <p>A {@code pass} argument is {@link AggTable#REAL}, {@link AggTable#MAIN} or the index of an
 * n_unique aggregate (see {@link AggTable#addInput}); in the latter two the n_unique key columns
 * of the other passes read as null. The owner owns {@code strings} and the state columns; these
 * keys own the rest and {@link #close} frees it. Not thread-safe.
 */
final class GroupKeys implements AutoCloseable {
    private static final long EMPTY_KEY_HASH = 0x5DEECE66DL;
    private static final ValueLayout.OfLong LONG = GroupColumn.LONG;
    private static final ValueLayout.OfInt INT = GroupColumn.INT;
    private static final int FIRST_CAPACITY = 1024;

    private final int groupKeys;
    private final int maxGroups;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final GroupColumn[] keys;
    private final GroupColumn[] states;
    private NativeBuffer hashBuffer;
    private NativeBuffer partitionBuffer;
    private NativeBuffer tableBuffer;
    /** Per group: the hash of its whole key. */
    private MemorySegment hashes = MemorySegment.NULL;
    /** Per group: the hash of its group keys. */
    private MemorySegment partitionHashes = MemorySegment.NULL;
    /** The slots: 0 empty, else group id + 1. */
    private MemorySegment table = MemorySegment.NULL;
    private int mask;
    private int capacity;
    private int groups;
    private final RowScratch scratchHash;
    private final RowScratch scratchPartition;
    private final RowScratch scratchPass;
    /** The whole-key hashes of the hashed rows (in {@link #scratchHash}). */
    private MemorySegment rowHash = MemorySegment.NULL;
    /** The partition hashes of the hashed rows: in {@link #scratchPartition}, or {@link #rowHash} when they are the same. */
    private MemorySegment rowPartitionHash = MemorySegment.NULL;

    /**
     * Empty group keys, with room for a first batch of groups; releases what it took when that
     * room cannot be had.
     *
     * @param keyTypes  the key columns' types: the group keys, then any n_unique key columns
     * @param groupKeys how many of the key columns are group keys (they decide the partition hash)
     * @param maxGroups the most groups (the table is full then), or {@link Integer#MAX_VALUE} for
     *                  keys that grow
     * @param states    the owner's state columns, sized and started along with the groups
     * @param strings   the owner's log for string keys
     * @throws dev.spillway.errors.MemoryLimitExceededException when the budget cannot be met
     */
    GroupKeys(DataType[] keyTypes, int groupKeys, int maxGroups, GroupColumn[] states, ByteLog strings, BlockPool pool,
            MemoryBudget budget) {
        this.groupKeys = groupKeys;
        this.maxGroups = maxGroups;
        this.pool = pool;
        this.budget = budget;
        this.states = states;
        this.keys = new GroupColumn[keyTypes.length];
        for (int k = 0; k < keyTypes.length; k++) {
            keys[k] = new GroupColumn(keyTypes[k], true, strings, pool, budget);
        }
        this.scratchHash = new RowScratch(pool, budget, Long.BYTES);
        this.scratchPartition = new RowScratch(pool, budget, Long.BYTES);
        this.scratchPass = new RowScratch(pool, budget, Long.BYTES);
        // Nothing is held before the first growth, and a failed growth keeps nothing.
        resize(maxGroups == Integer.MAX_VALUE ? FIRST_CAPACITY : maxGroups);
    }

    private static int tableSize(int cap) {
        return Integer.highestOneBit(Math.max(2, cap) * 2 - 1) * 2;
    }

    private GroupColumn column(int c) {
        return c < keys.length ? keys[c] : states[c - keys.length];
    }

    /**
     * Grows every per-group buffer to {@code newCapacity} groups: all new buffers are allocated
     * first, then filled and swapped in, so a refused allocation frees what this growth took and
     * changes nothing.
     */
    private void resize(int newCapacity) {
        int slots = tableSize(newCapacity);
        NativeBuffer newHashes = null;
        NativeBuffer newPartitionHashes = null;
        NativeBuffer newTable = null;
        GroupColumn.Buffers[] columns = new GroupColumn.Buffers[keys.length + states.length];
        try {
            newHashes = pool.allocate(budget, 8L * newCapacity);
            newPartitionHashes = pool.allocate(budget, 8L * newCapacity);
            newTable = pool.allocateZeroed(budget, 4L * slots);
            for (int c = 0; c < columns.length; c++) {
                columns[c] = column(c).grow(newCapacity, groups);
            }
        } catch (RuntimeException | Error e) {
            List<AutoCloseable> taken = new ArrayList<>();
            for (AutoCloseable b : new AutoCloseable[] {newHashes, newPartitionHashes, newTable}) {
                if (b != null) {
                    taken.add(b);
                }
            }
            for (GroupColumn.Buffers b : columns) {
                if (b != null) {
                    taken.add(b);
                }
            }
            try {
                Closeables.closeAll(taken);
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        MemorySegment h = newHashes.segment();
        MemorySegment.copy(hashes, 0, h, 0, 8L * groups);
        MemorySegment.copy(partitionHashes, 0, newPartitionHashes.segment(), 0, 8L * groups);
        MemorySegment t = newTable.segment();
        int newMask = slots - 1;
        for (int g = 0; g < groups; g++) {
            int i = (int) h.getAtIndex(LONG, g) & newMask;
            while (t.getAtIndex(INT, i) != 0) {
                i = (i + 1) & newMask;
            }
            t.setAtIndex(INT, i, g + 1);
        }
        for (int c = 0; c < columns.length; c++) {
            column(c).install(columns[c]);
        }
        closeTable();
        hashBuffer = newHashes;
        partitionBuffer = newPartitionHashes;
        tableBuffer = newTable;
        hashes = h;
        partitionHashes = newPartitionHashes.segment();
        table = t;
        mask = newMask;
        capacity = newCapacity;
    }

    /** Number of groups. */
    int groups() {
        return groups;
    }

    /** The key columns (group keys, then n_unique keys), indexed by group; the array never changes. */
    GroupColumn[] columns() {
        return keys;
    }

    /** Native bytes held for the groups' hashes, slots and keys and the row scratch (not the owner's states). */
    long byteSize() {
        long n = hashes.byteSize() + partitionHashes.byteSize() + table.byteSize() + scratchHash.byteSize()
                + scratchPartition.byteSize() + scratchPass.byteSize();
        for (GroupColumn k : keys) {
            n += k.byteSize();
        }
        return n;
    }

    /** The hash of group {@code g}'s whole key. */
    long hash(int g) {
        return hashes.getAtIndex(LONG, g);
    }

    /** The hash of group {@code g}'s group keys (its partition). */
    long partitionHash(int g) {
        return partitionHashes.getAtIndex(LONG, g);
    }

    // ------------------------------------------------------------------ hashing

    /** Whether the scratch hashes have room for {@code rows} rows (else the morsel must be hashed). */
    boolean scratchHolds(int rows) {
        return scratchHash.holds(rows);
    }

    /**
     * Hashes {@code cols} of every row of {@code m} into the scratch arrays: the hash of the first
     * {@code groupCols} columns into {@link #rowPartitionHash}, of all of them into
     * {@link #rowHash}.
     */
    void hashRows(Morsel m, int[] cols, int groupCols) {
        int n = m.rowCount();
        MemorySegment hash = scratchHash.rows(n);
        MemorySegment partition = hash;
        if (groupCols == 0) {
            for (int r = 0; r < n; r++) {
                hash.setAtIndex(LONG, r, EMPTY_KEY_HASH);
            }
        }
        for (int k = 0; k < cols.length; k++) {
            if (k == groupCols) {
                partition = scratchPartition.rows(n);
                MemorySegment.copy(hash, 0, partition, 0, 8L * n);
            }
            Hashing.hashColumn(m.column(cols[k]), hash, k > 0 || groupCols == 0);
        }
        // When both hashes cover the same columns they are one array: no copy per morsel.
        rowHash = hash;
        rowPartitionHash = partition;
    }

    /**
     * Hashes input rows of {@code m} for {@code pass}: the group key columns {@code cols[0 ..
     * groupKeys)} give the partition hash; the n_unique columns after them join the whole key's
     * hash as null, except the pass's own column.
     */
    void hashInput(Morsel m, int[] cols, int pass) {
        int n = m.rowCount();
        hashRows(m, Arrays.copyOf(cols, groupKeys), groupKeys);
        int u = cols.length - groupKeys;
        if (u == 0) {
            return;
        }
        MemorySegment values = MemorySegment.NULL;
        if (pass >= 0) {
            values = scratchPass.rows(n);
            Hashing.hashColumn(m.column(cols[groupKeys + pass]), values, false);
        }
        MemorySegment hash = rowHash;
        MemorySegment partition = scratchPartition.rows(n);
        MemorySegment.copy(hash, 0, partition, 0, 8L * n);
        rowPartitionHash = partition;
        for (int r = 0; r < n; r++) {
            long h = partition.getAtIndex(LONG, r);
            for (int i = 0; i < u; i++) {
                h = Hashing.combine(h, i == pass ? values.getAtIndex(LONG, r) : Hashing.NULL_HASH);
            }
            hash.setAtIndex(LONG, r, h);
        }
    }

    // ------------------------------------------------------------------ finding and inserting groups

    /** Adds the one group of a key-less aggregation over no rows (its states started). */
    void addEmptyGroup() {
        if (keys.length != 0 || groups != 0) {
            throw new IllegalStateException("only a key-less table without groups takes the empty group");
        }
        insert(null, new int[0], 0, EMPTY_KEY_HASH, EMPTY_KEY_HASH, (int) EMPTY_KEY_HASH & mask, AggTable.REAL);
    }

    /**
     * Inserts the keys of n_unique pass {@code pass} of the hashed rows {@code from ..} whose pass
     * value is not null, until the table is full.
     *
     * @return the first row that found the table full, or {@code m.rowCount()}
     */
    int insertPass(Morsel m, int[] cols, int from, int pass) {
        int n = m.rowCount();
        ColumnVector passValues = m.column(cols[groupKeys + pass]);
        MemorySegment rowHash = this.rowHash;
        for (int r = from; r < n; r++) {
            if (passValues.isNull(r)) {
                continue;
            }
            long h = rowHash.getAtIndex(LONG, r);
            int g = find(m, cols, r, h, pass);
            if (g < 0) {
                if (groups == maxGroups) {
                    return r;
                }
                insertAt(m, cols, r, h, rowPartitionHash.getAtIndex(LONG, r), -g - 1, pass);
            }
        }
        return n;
    }

    /**
     * Finds or inserts the group of each hashed row {@code from .. n} into {@code gid} (int32s),
     * until the table is full.
     *
     * @return the first row that found the table full, or {@code n}
     */
    int assign(Morsel m, int[] cols, int from, int n, int pass, MemorySegment gid) {
        return cols.length == 1 && groupKeys >= 1 && m.column(cols[0]) instanceof Int64Vector k && !k.hasNulls()
                ? assignInt64Groups(k, m, cols, from, n, pass, gid)
                : assignGroups(m, cols, from, n, pass, gid);
    }

    /** Finds or inserts the group of rows {@code from ..}; returns the first row that found the table full. */
    private int assignGroups(Morsel m, int[] cols, int from, int n, int pass, MemorySegment gid) {
        MemorySegment rowHash = this.rowHash;
        if (cols.length == 0 && from < n) {
            // No key columns (a global aggregate): every row belongs to the one group.
            long h = rowHash.getAtIndex(LONG, from);
            int g = find(m, cols, from, h, pass);
            if (g < 0) {
                if (groups == maxGroups) {
                    return from;
                }
                g = insertAt(m, cols, from, h, rowPartitionHash.getAtIndex(LONG, from), -g - 1, pass);
            }
            for (int r = from; r < n; r++) {
                gid.setAtIndex(INT, r, g);
            }
            return n;
        }
        for (int r = from; r < n; r++) {
            long h = rowHash.getAtIndex(LONG, r);
            int g = find(m, cols, r, h, pass);
            if (g < 0) {
                if (groups == maxGroups) {
                    return r;
                }
                g = insertAt(m, cols, r, h, rowPartitionHash.getAtIndex(LONG, r), -g - 1, pass);
            }
            gid.setAtIndex(INT, r, g);
        }
        return n;
    }

    /**
     * {@link #assignGroups} for the common single int64 key without nulls: no per-row dispatch. The
     * segments live in locals, fetched again after an insert (which may grow them).
     */
    private int assignInt64Groups(Int64Vector key, Morsel m, int[] cols, int from, int n, int pass, MemorySegment gid) {
        GroupColumn ks = keys[0];
        MemorySegment rowHash = this.rowHash;
        MemorySegment table = this.table;
        MemorySegment hashes = this.hashes;
        MemorySegment keyValues = ks.values();
        MemorySegment keySet = ks.notNull();
        int mask = this.mask;
        for (int r = from; r < n; r++) {
            long h = rowHash.getAtIndex(LONG, r);
            long v = key.get(r);
            int i = (int) h & mask;
            int g;
            while (true) {
                int e = table.getAtIndex(INT, i);
                if (e == 0) {
                    if (groups == maxGroups) {
                        return r;
                    }
                    g = insertAt(m, cols, r, h, rowPartitionHash.getAtIndex(LONG, r), i, pass);
                    table = this.table;
                    hashes = this.hashes;
                    keyValues = ks.values();
                    keySet = ks.notNull();
                    mask = this.mask;
                    break;
                }
                g = e - 1;
                if (hashes.getAtIndex(LONG, g) == h && keyValues.getAtIndex(LONG, g) == v
                        && keySet.get(GroupColumn.BYTE, g) != 0) {
                    break;
                }
                i = (i + 1) & mask;
            }
            gid.setAtIndex(INT, r, g);
        }
        return n;
    }

    /**
     * Finds or inserts the group of every hashed row of {@code m} (all key columns real) into
     * {@code gid} (int32s), ignoring the group limit.
     */
    void findOrInsertAll(Morsel m, int[] cols, MemorySegment gid) {
        int n = m.rowCount();
        MemorySegment rowHash = this.rowHash;
        MemorySegment rowPartitionHash = this.rowPartitionHash;
        for (int r = 0; r < n; r++) {
            gid.setAtIndex(INT, r, findOrInsert(m, cols, r, rowHash.getAtIndex(LONG, r), rowPartitionHash.getAtIndex(LONG, r)));
        }
    }

    private int findOrInsert(Morsel m, int[] cols, int r, long h, long ph) {
        int g = find(m, cols, r, h, AggTable.REAL);
        return g >= 0 ? g : insertAt(m, cols, r, h, ph, -g - 1, AggTable.REAL);
    }

    /** The group of row {@code r}, or {@code -(slot + 1)} for the empty slot where it would go. */
    private int find(Morsel m, int[] cols, int r, long h, int pass) {
        MemorySegment table = this.table;
        MemorySegment hashes = this.hashes;
        int mask = this.mask;
        int i = (int) h & mask;
        while (true) {
            int e = table.getAtIndex(INT, i);
            if (e == 0) {
                return -(i + 1);
            }
            int g = e - 1;
            if (hashes.getAtIndex(LONG, g) == h && keysEqual(g, m, cols, r, pass)) {
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
        return pass != AggTable.REAL && k >= groupKeys && k - groupKeys != pass;
    }

    /**
     * Writes group {@code groups} and only then counts it and fills its slot: a string key the
     * log cannot take leaves the table as it was.
     */
    private int insert(Morsel m, int[] cols, int r, long h, long ph, int slot, int pass) {
        int g = groups;
        hashes.setAtIndex(LONG, g, h);
        partitionHashes.setAtIndex(LONG, g, ph);
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
        table.setAtIndex(INT, slot, g + 1);
        groups = g + 1;
        return g;
    }

    private boolean keysEqual(int g, Morsel m, int[] cols, int r, int pass) {
        for (int k = 0; k < cols.length; k++) {
            GroupColumn ks = keys[k];
            ColumnVector c = m.column(cols[k]);
            boolean isNull = virtualNull(k, pass) || c.isNull(r);
            boolean present = ks.hasValue(g);
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

    // ------------------------------------------------------------------ lifecycle

    /** Forgets every group, keeping the memory. */
    void clear() {
        groups = 0;
        table.fill((byte) 0);
    }

    private void closeTable() {
        NativeBuffer h = hashBuffer;
        NativeBuffer p = partitionBuffer;
        NativeBuffer t = tableBuffer;
        hashBuffer = null;
        partitionBuffer = null;
        tableBuffer = null;
        hashes = MemorySegment.NULL;
        partitionHashes = MemorySegment.NULL;
        table = MemorySegment.NULL;
        List<AutoCloseable> held = new ArrayList<>(3);
        for (NativeBuffer b : new NativeBuffer[] {h, p, t}) {
            if (b != null) {
                held.add(b);
            }
        }
        Closeables.closeAll(held);
    }

    /** Frees the hashes, the slots, the key columns and the scratch (not the owner's states); idempotent. */
    @Override
    public void close() {
        capacity = 0;
        groups = 0;
        List<AutoCloseable> owned = new ArrayList<>(List.<AutoCloseable>of(this::closeTable, scratchHash, scratchPartition, scratchPass));
        owned.addAll(Arrays.asList(keys));
        Closeables.closeAll(owned);
    }
}
