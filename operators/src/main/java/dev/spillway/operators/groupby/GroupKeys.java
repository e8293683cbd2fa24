package dev.spillway.operators.groupby;

import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.operators.groupby.function.ByteLog;
import dev.spillway.operators.groupby.function.GroupColumn;

import java.util.Arrays;

/**
 * The group-key half of an {@link AggTable}: maps rows to dense group ids {@code 0 .. groups()-1}
 * by open addressing on the key hash, and stores each group's key columns, key hash and
 * partition hash (the hash of the group keys only).
 *
 * <p>The per-group arrays grow together with the owner's state columns (handed in at
 * construction): growth resizes them and reserves the bytes of all of them from the budget before
 * allocating, and inserting a group starts its states. Row hashes are computed once per morsel
 * into scratch arrays that the probe loops then read. Key equality is the join's: {@code -0.0}
 * equals {@code 0.0}, NaN equals NaN, null equals null (nulls form their own group).
 *
 * <p>A {@code pass} argument is {@link AggTable#REAL}, {@link AggTable#MAIN} or the index of an
 * n_unique aggregate (see {@link AggTable#addInput}); in the latter two the n_unique key columns
 * of the other passes read as null. The owner owns {@code strings}. Not thread-safe.
 */
final class GroupKeys implements AutoCloseable {
    private static final long EMPTY_KEY_HASH = 0x5DEECE66DL;

    private final int groupKeys;
    private final int maxGroups;
    private final MemoryBudget budget;
    private final GroupColumn[] keys;
    private final GroupColumn[] states;
    private long[] hashes;
    private long[] partitionHashes;
    private int[] table;
    private int mask;
    private int capacity;
    private int groups;
    private long reserved;
    private long[] scratchHash = new long[0];
    private long[] scratchPartition = new long[0];
    /** The partition hashes of the scratch rows: {@link #scratchPartition}, or {@link #scratchHash} when they are the same. */
    private long[] rowPartitionHash = scratchPartition;

    /**
     * Empty group keys, with room for a first batch of groups reserved from {@code budget}.
     *
     * @param keyTypes  the key columns' types: the group keys, then any n_unique key columns
     * @param groupKeys how many of the key columns are group keys (they decide the partition hash)
     * @param maxGroups the most groups (the table is full then), or {@link Integer#MAX_VALUE} for
     *                  keys that grow
     * @param states    the owner's state columns, sized and started along with the groups
     * @param strings   the owner's log for string keys
     */
    GroupKeys(DataType[] keyTypes, int groupKeys, int maxGroups, GroupColumn[] states, ByteLog strings, MemoryBudget budget) {
        this.groupKeys = groupKeys;
        this.maxGroups = maxGroups;
        this.budget = budget;
        this.states = states;
        this.keys = new GroupColumn[keyTypes.length];
        for (int k = 0; k < keyTypes.length; k++) {
            keys[k] = new GroupColumn(keyTypes[k], true, strings);
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

    /** The key columns (group keys, then n_unique keys), indexed by group; the array never changes. */
    GroupColumn[] columns() {
        return keys;
    }

    /** Heap bytes reserved from the budget for the per-group arrays of keys and states. */
    long reserved() {
        return reserved;
    }

    /** The hash of group {@code g}'s whole key. */
    long hash(int g) {
        return hashes[g];
    }

    /** The hash of group {@code g}'s group keys (its partition). */
    long partitionHash(int g) {
        return partitionHashes[g];
    }

    // ------------------------------------------------------------------ hashing

    /** Whether the scratch hashes have room for {@code rows} rows (else the morsel must be hashed). */
    boolean scratchHolds(int rows) {
        return scratchHash.length >= rows;
    }

    /**
     * Hashes {@code cols} of every row of {@code m} into the scratch arrays: the hash of the first
     * {@code groupCols} columns into {@link #rowPartitionHash}, of all of them into
     * {@link #scratchHash}.
     */
    void hashRows(Morsel m, int[] cols, int groupCols) {
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

    /**
     * Finds or inserts the group of each hashed row {@code from .. n} into {@code gid}, until the
     * table is full.
     *
     * @return the first row that found the table full, or {@code n}
     */
    int assign(Morsel m, int[] cols, int from, int n, int pass, int[] gid) {
        return cols.length == 1 && groupKeys >= 1 && m.column(cols[0]) instanceof Int64Vector k && !k.hasNulls()
                ? assignInt64Groups(k, m, cols, from, n, pass, gid)
                : assignGroups(m, cols, from, n, pass, gid);
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

    /**
     * Finds or inserts the group of every hashed row of {@code m} (all key columns real) into
     * {@code gid}, ignoring the group limit.
     */
    void findOrInsertAll(Morsel m, int[] cols, int[] gid) {
        int n = m.rowCount();
        for (int r = 0; r < n; r++) {
            gid[r] = findOrInsert(m, cols, r, scratchHash[r], rowPartitionHash[r]);
        }
    }

    private int findOrInsert(Morsel m, int[] cols, int r, long h, long ph) {
        int g = find(m, cols, r, h, AggTable.REAL);
        return g >= 0 ? g : insertAt(m, cols, r, h, ph, -g - 1, AggTable.REAL);
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
        return pass != AggTable.REAL && k >= groupKeys && k - groupKeys != pass;
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

    // ------------------------------------------------------------------ lifecycle

    /** Forgets every group, keeping the arrays. */
    void clear() {
        groups = 0;
        Arrays.fill(table, 0);
    }

    /** Releases the reservation and drops the arrays; idempotent. */
    @Override
    public void close() {
        budget.release(reserved);
        reserved = 0;
        hashes = null;
        partitionHashes = null;
        table = null;
    }
}
