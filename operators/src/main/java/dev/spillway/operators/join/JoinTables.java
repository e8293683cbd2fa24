package dev.spillway.operators.join;

import dev.spillway.memory.Hashing;

import java.lang.foreign.MemorySegment;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The result of the build phase: for each of the 256 partitions, its {@link BuildTable} when it
 * stayed in memory and has rows, or whether it was spilled. The probe phase reads the tables
 * without locks (they are published before the probe starts); the finalize units free them one
 * partition at a time.
 */
final class JoinTables implements AutoCloseable {
    static final int PARTITIONS = Hashing.PARTITIONS;

    private final BuildTable[] tables;
    private final boolean[] spilled;
    /** Each partition's hash table (null when spilled or empty), flat for the probe's inner loop. */
    private final JoinHashTable[] hashTables;
    /** Each partition's match flags (null when not kept), flat for the probe's inner loop. */
    private final MemorySegment[] matchFlags;
    private final AtomicReferenceArray<BuildTable> owned;
    private final boolean partitionOrderedProbe;

    /**
     * @param tables                each partition's table (taken over), null when spilled or empty
     * @param spilled               which partitions are on disk
     * @param partitionOrderedProbe whether probes should walk rows grouped by partition (the tables
     *                              do not fit in cache together)
     */
    JoinTables(BuildTable[] tables, boolean[] spilled, boolean partitionOrderedProbe) {
        this.tables = tables.clone();
        this.spilled = spilled.clone();
        this.hashTables = new JoinHashTable[PARTITIONS];
        this.matchFlags = new MemorySegment[PARTITIONS];
        for (int p = 0; p < PARTITIONS; p++) {
            BuildTable t = this.tables[p];
            hashTables[p] = t == null ? null : t.table();
            matchFlags[p] = t == null || t.matched() == null ? null : t.matched().segment();
        }
        this.owned = new AtomicReferenceArray<>(this.tables);
        this.partitionOrderedProbe = partitionOrderedProbe;
    }

    /** The table of partition {@code p}, or null when it is spilled or has no rows. */
    BuildTable table(int p) {
        return tables[p];
    }

    /** The partitions' hash tables as one array, read by the probe per row. Valid until the probe phase ends; not to be modified. */
    JoinHashTable[] hashTables() {
        return hashTables;
    }

    /** The partitions' match flags as one array (null entries where none are kept); see {@link #hashTables()}. */
    MemorySegment[] matchFlags() {
        return matchFlags;
    }

    /** Which partitions are spilled, as one array; see {@link #hashTables()}. Not to be modified. */
    boolean[] spilledFlags() {
        return spilled;
    }

    /** Whether partition {@code p} is on disk: its probe rows are kept for the spilled-pair join. */
    boolean spilled(int p) {
        return spilled[p];
    }

    int spilledCount() {
        int n = 0;
        for (boolean s : spilled) {
            n += s ? 1 : 0;
        }
        return n;
    }

    boolean partitionOrderedProbe() {
        return partitionOrderedProbe;
    }

    /** Frees partition {@code p}'s table once no probe can touch it any more. Idempotent, thread-safe. */
    void free(int p) {
        BuildTable t = owned.getAndSet(p, null);
        if (t != null) {
            t.close();
        }
    }

    /** Frees every table not freed yet. */
    @Override
    public void close() {
        for (int p = 0; p < PARTITIONS; p++) {
            free(p);
        }
    }
}
