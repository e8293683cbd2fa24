package dev.spillway.operators.join;

import dev.spillway.memory.Hashing;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.PartitionedStore;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The probe phase of a hash join: each probe morsel's rows of in-memory partitions are probed
 * through a {@link ProbeCursor}; its rows of spilled partitions are appended to a probe-side
 * {@link PartitionedStore} (same 256 partitions), whose chunks the memory manager may evict like
 * any store's, to be joined with their build side after the probe input ends.
 *
 * <p>States: PROBING ({@link #start} may be called from any thread) -> FINISHED ({@link #finish},
 * once no cursor exists: the probe store's chunks are sealed and its forced-spill share evicted).
 */
final class JoinProbe implements AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final int PARTITIONS = JoinTables.PARTITIONS;

    /** States of the probe. */
    enum State {
        /** Probing morsels; probe rows of spilled partitions collect in the probe store. */
        PROBING,
        /** The probe input ended; the probe store holds every probe row of the spilled partitions. */
        FINISHED
    }

    private final JoinSpec spec;
    private final OperatorContext ctx;
    private final JoinTables tables;
    private final ProbeScratch.FreeList scratches;
    private final PartitionedStore store;
    private final boolean anySpilled;
    private volatile State state = State.PROBING;

    JoinProbe(JoinSpec spec, OperatorContext ctx, JoinTables tables, ProbeScratch.FreeList scratches) {
        this.spec = spec;
        this.ctx = ctx;
        this.tables = tables;
        this.scratches = scratches;
        JoinKeys keys = spec.keys();
        this.store = ctx.store(HashJoin.COMPONENT, spec.probeSchema()).partitioned(Hashing.PARTITION_BITS, 0,
                (m, out) -> keys.hash(m, keys.probeKeys(), out));
        this.anySpilled = tables.spilledCount() > 0;
    }

    State state() {
        return state;
    }

    /** The probe rows of spilled partitions, by partition. */
    PartitionedStore store() {
        return store;
    }

    /**
     * Starts probing a morsel (taking ownership): rows of spilled partitions go to the probe store
     * at once; the returned cursor produces the result rows of the others. Thread-safe.
     */
    ProbeCursor start(Morsel m) {
        int n = m.rowCount();
        NativeBuffer hb = null;
        NativeBuffer order = null;
        try {
            hb = ctx.pool().allocate(ctx.budget(), Math.max(8, 8L * n));
            MemorySegment hashes = hb.segment();
            spec.keys().hash(m, spec.keys().probeKeys(), hashes);
            if (anySpilled) {
                keepSpilledRows(m, hashes);
            }
            // Probing in partition order keeps one partition's table and rows in cache at a time
            // instead of jumping across every partition's memory row after row; when every
            // table fits in cache anyway, row order (sequential reads of the probe morsel) is cheaper.
            if (tables.partitionOrderedProbe()) {
                order = ctx.pool().allocate(ctx.budget(), Math.max(4, 4L * n));
                Hashing.groupByPartition(hashes, n, 0, Hashing.PARTITION_BITS, null, order.segment());
            }
            return new ProbeCursor(spec, scratches, m, hb, tables, null, true, null, 0, order);
        } catch (RuntimeException | Error e) {
            if (hb != null) {
                hb.close();
            }
            if (order != null) {
                order.close();
            }
            m.close();
            throw e;
        }
    }

    /** Appends the rows of spilled partitions to the probe store. */
    private void keepSpilledRows(Morsel m, MemorySegment hashes) {
        int n = m.rowCount();
        boolean any = false;
        for (int r = 0; r < n && !any; r++) {
            any = tables.spilled(Hashing.partition(hashes.getAtIndex(LONG, r)));
        }
        if (!any) {
            return;
        }
        try (NativeBuffer pb = ctx.pool().allocate(ctx.budget(), Math.max(4, 4L * n))) {
            MemorySegment perm = pb.segment();
            int[] bounds = Hashing.groupByPartition(hashes, n, 0, Hashing.PARTITION_BITS, tables.spilledFlags(), perm);
            for (int p = 0; p < PARTITIONS; p++) {
                if (bounds[p + 1] > bounds[p]) {
                    store.append(p, m, perm, bounds[p], bounds[p + 1]);
                }
            }
        }
    }

    /** Ends the probe (PROBING -> FINISHED); call once no cursor exists. Idempotent. */
    void finish() {
        if (state == State.PROBING) {
            store.finishInput();
            state = State.FINISHED;
        }
    }

    /** Bytes of probe rows the memory manager may evict. */
    long spillableBytes() {
        return store.spillableBytes();
    }

    /** Evicts the largest probe partitions. */
    long spill(long bytesWanted) {
        return store.spill(bytesWanted);
    }

    /** Frees every probe row still held and deletes the files. Idempotent. */
    @Override
    public void close() {
        store.close();
    }
}
