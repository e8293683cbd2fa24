package dev.spillway.operators.join;

import dev.spillway.event.EventSink;
import dev.spillway.event.JoinBuildComplete;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.PartitionedStore;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The build phase of a hash join: build rows go into a {@link PartitionedStore} of 256
 * partitions on the top 8 hash bits of their keys; under memory pressure the store evicts its
 * largest partitions. {@link #finish} ends it:
 * <ol>
 * <li>the store seals its chunks and evicts the forced-spill share of partitions;</li>
 * <li>the largest partitions are evicted until the rest, with their hash tables, takes at most
 * half of the memory the join could hold now (the other half is for the probe: result morsels,
 * probe rows of spilled partitions, spill read-back);</li>
 * <li>each partition still in memory is {@link PartitionedStore#take taken} out of the store (so
 * the store never evicts it) and indexed into a {@link BuildTable}.</li>
 * </ol>
 * The spilled partitions stay in the store for the spilled-pair join.
 */
final class JoinBuild implements AutoCloseable {
    /** In-memory build sides up to this size (tables and rows) are probed in row order: they stay in cache. */
    static final long CACHE_RESIDENT_BYTES = 2L << 20;

    /** States of the build. */
    enum State {
        /** Taking build morsels; the memory manager may evict partitions. */
        BUILDING,
        /** {@link #finish} ran: in-memory partitions are tables, the store holds the spilled ones. */
        BUILT
    }

    private final JoinSpec spec;
    private final OperatorContext ctx;
    private final PartitionedStore store;
    private final LongAdder rows = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private volatile State state = State.BUILDING;

    JoinBuild(JoinSpec spec, OperatorContext ctx) {
        this.spec = spec;
        this.ctx = ctx;
        JoinKeys keys = spec.keys();
        this.store = ctx.store(HashJoin.COMPONENT, spec.buildSchema()).partitioned(Hashing.PARTITION_BITS, 0,
                (m, out) -> keys.hash(m, keys.buildKeys(), out));
    }

    State state() {
        return state;
    }

    /** The build rows by partition; after {@link #finish}, only spilled partitions hold rows. */
    PartitionedStore store() {
        return store;
    }

    /** Adds a build morsel (taking ownership). Thread-safe. */
    void add(Morsel m) {
        if (state != State.BUILDING) {
            m.close();
            throw new IllegalStateException("the join's build input was finished");
        }
        rows.add(m.rowCount());
        bytes.add(m.byteSize());
        try (m; NativeBuffer hb = ctx.pool().allocate(ctx.budget(), Math.max(8, 8L * m.rowCount()))) {
            spec.keys().hash(m, spec.keys().buildKeys(), hb.segment());
            store.append(m, hb.segment());
        }
    }

    /**
     * Ends the build (BUILDING -> BUILT) and reports it.
     *
     * @return the tables of the partitions kept in memory; the caller owns them
     */
    JoinTables finish(EventSink events) {
        if (state != State.BUILDING) {
            throw new IllegalStateException("the join's build input was already finished");
        }
        store.finishInput();
        MemoryBudget budget = ctx.budget();
        long bytesInMemory = store.bytesInMemory();
        // Keep at most half of what the join could hold now in memory; the other half is for the
        // tables' neighbours during the probe: output morsels, probe chunks, spill read-back.
        long limit = budget.effectiveCap() == MemoryBudget.UNLIMITED ? Long.MAX_VALUE / 4
                : Math.max(256L << 10, (budget.available() + bytesInMemory) / 2);
        while (bytesInMemory + JoinHashTable.estimate(rowsInMemory()) > limit && store.evictLargest() > 0) {
            bytesInMemory = store.bytesInMemory();
        }
        BuildTable[] tables = new BuildTable[JoinTables.PARTITIONS];
        boolean[] spilled = new boolean[JoinTables.PARTITIONS];
        long tableBytes = 0;
        try {
            for (int p = 0; p < JoinTables.PARTITIONS; p++) {
                if (store.spilled(p) || store.rows(p) == 0) {
                    continue;
                }
                List<Morsel> taken = store.take(p);
                // The memory manager may have evicted it since: then it is read back like any spilled partition.
                if (store.spilled(p)) {
                    taken.forEach(Morsel::close);
                    continue;
                }
                tables[p] = new BuildTable(spec, taken, ctx.pool(), budget);
                tableBytes += tables[p].byteSize();
            }
        } catch (RuntimeException | Error e) {
            for (BuildTable t : tables) {
                if (t != null) {
                    t.close();
                }
            }
            throw e;
        }
        long onDisk = 0;
        for (int p = 0; p < JoinTables.PARTITIONS; p++) {
            spilled[p] = store.spilled(p);
            onDisk += store.diskBytes(p);
        }
        state = State.BUILT;
        JoinTables result = new JoinTables(tables, spilled, tableBytes > CACHE_RESIDENT_BYTES);
        events.accept(new JoinBuildComplete(HashJoin.COMPONENT, rows.sum(), bytes.sum(), result.spilledCount(),
                JoinTables.PARTITIONS, onDisk, bytesInMemory));
        return result;
    }

    private long rowsInMemory() {
        long n = 0;
        for (int p = 0; p < JoinTables.PARTITIONS; p++) {
            n += store.spilled(p) ? 0 : store.rows(p);
        }
        return n;
    }

    /** Bytes the memory manager may take by evicting build partitions (none once built). */
    long spillableBytes() {
        return state == State.BUILDING ? store.spillableBytes() : 0;
    }

    /** Evicts the largest build partitions while building. */
    long spill(long bytesWanted) {
        return state == State.BUILDING ? store.spill(bytesWanted) : 0;
    }

    /** Frees the store (every build row still in it) and deletes its files. Idempotent. */
    @Override
    public void close() {
        store.close();
    }
}
