package dev.spillway.operators.join;

import dev.spillway.event.BlocksEvicted;
import dev.spillway.event.EventSink;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.Eviction;
import dev.spillway.spill.StreamStore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The materialized side of a nested-loop join: an append-only list of row blocks kept in the
 * shared {@link StreamStore}, one stream per block, so the store's victim policy (largest first),
 * lock discipline, files and forced-spill rule decide what goes to disk. Readers {@link #acquire}
 * a block by position: a resident block is pinned (it cannot be evicted while read) and shared
 * zero-copy; an evicted block is read back into a private copy charged to this store's budget,
 * which the caller frees when it releases the block. How many evicted blocks are read back at
 * once is bounded by the caller (each probe cursor of {@link NestedLoopJoin} holds at most one).
 *
 * <p>The evictions of one request (a memory manager's {@link #spill}, the forced spill at
 * {@link #finishInput}) are reported as one {@code BlocksEvicted} event.
 *
 * <p>Thread-safety: every method may be called from any thread (the store's locks).
 */
public final class BlockStore implements Spillable, AutoCloseable {
    /** The component name in its events (and in those of the nested-loop join that owns it). */
    static final String COMPONENT = "nested-loop-join";
    private final StreamStore store;
    private final MemoryBudget budget;
    private final EventSink events;
    private final String label;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicInteger spilledBlocks = new AtomicInteger();
    private final AtomicLong readBackBlocks = new AtomicLong();
    private final AtomicLong readBackBytes = new AtomicLong();
    /** Rows of each block by position (blocks are added concurrently, so guarded by itself). */
    private final List<Integer> blockRows = new ArrayList<>();

    /** A block in use: release it (once) when done; the morsel is valid until then. */
    public final class Handle implements AutoCloseable {
        private final int block;
        private final Morsel morsel;
        private final boolean readBack;
        private boolean released;

        private Handle(int block, Morsel morsel, boolean readBack) {
            this.block = block;
            this.morsel = morsel;
            this.readBack = readBack;
        }

        /** The block's rows (do not close: {@link #close()} does). */
        public Morsel morsel() {
            return morsel;
        }

        /** Whether this block was read back from a spill file. */
        public boolean readBack() {
            return readBack;
        }

        /** Frees the view or the read-back copy and unpins a resident block. Idempotent. */
        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            try {
                morsel.close();
            } finally {
                if (!readBack) {
                    store.unpin(block);
                }
            }
        }
    }

    /**
     * An empty store.
     *
     * @param schema the blocks' schema
     * @param ctx    its budget is charged with resident blocks and read-back copies (the caller's
     *               blocks must be allocated from it); evicted blocks go to its spill directory;
     *               its events receive the {@code nested-loop-join} events; its forced-spill
     *               fraction selects blocks at {@link #finishInput}
     * @param label  names the store to the memory manager
     */
    public BlockStore(Schema schema, OperatorContext ctx, String label) {
        this.budget = ctx.budget();
        this.events = ctx.events();
        this.label = label;
        this.store = ctx.store(COMPONENT, schema).forceSpillAtEnd().onSpill(this::evicted).streams();
    }

    /** The blocks' schema. */
    public Schema schema() {
        return store.schema();
    }

    /** Appends a block, taking ownership of it (empty morsels are closed and dropped). */
    public void add(Morsel block) {
        if (block.rowCount() == 0) {
            block.close();
            return;
        }
        long n = block.rowCount();
        long size = block.byteSize();
        int stream;
        try {
            stream = store.newStream();
        } catch (IllegalStateException e) {
            block.close();
            throw new IllegalStateException("block store " + label + " is closed", e);
        }
        synchronized (blockRows) {
            while (blockRows.size() <= stream) {
                blockRows.add(0);
            }
            blockRows.set(stream, (int) n);
        }
        store.add(stream, block);
        rows.addAndGet(n);
        bytes.addAndGet(size);
    }

    /** Changes the share of blocks {@link #finishInput} evicts whatever the memory (the store's forced-spill rule). */
    public void forceSpill(double fraction) {
        store.forceSpill(fraction);
    }

    /** The build ended: evicts the blocks the forced-spill fraction selects. */
    public void finishInput() {
        store.finishInput();
    }

    /** Number of blocks. */
    public int blockCount() {
        return store.unitCount();
    }

    /**
     * The position of each block's first row in the concatenation of all blocks (block order),
     * plus the total as a last element: a stable numbering of the build rows, whatever is on disk.
     * Call once no block is added any more.
     */
    public long[] blockStarts() {
        synchronized (blockRows) {
            int blocks = blockCount();
            long[] starts = new long[blocks + 1];
            for (int b = 0; b < blocks; b++) {
                starts[b + 1] = starts[b] + (b < blockRows.size() ? blockRows.get(b) : 0);
            }
            return starts;
        }
    }

    /** Rows in all blocks. */
    public long rowCount() {
        return rows.get();
    }

    /** Raw bytes of all blocks, resident or not. */
    public long byteSize() {
        return bytes.get();
    }

    /** Blocks evicted to disk so far. */
    public int spilledBlocks() {
        return spilledBlocks.get();
    }

    /** Evicted blocks read back so far. */
    public long readBackBlocks() {
        return readBackBlocks.get();
    }

    /** Raw bytes of evicted blocks read back so far. */
    public long readBackBytes() {
        return readBackBytes.get();
    }

    /**
     * Block {@code b} for reading: pinned when resident, else read back from disk (checksums
     * verified) into memory charged to this store's budget — which may make other parties spill.
     */
    public Handle acquire(int b) {
        store.pin(b);
        boolean keepPin = false;
        try {
            // Pinned: the block cannot move to disk between the check and the read.
            boolean onDisk = store.spilled(b);
            Morsel m = store.read(b, 0, budget);
            if (onDisk) {
                readBackBlocks.incrementAndGet();
                readBackBytes.addAndGet(m.byteSize());
            }
            keepPin = !onDisk;
            return new Handle(b, m, onDisk);
        } finally {
            if (!keepPin) {
                store.unpin(b);
            }
        }
    }

    private void evicted(List<Eviction> report) {
        int blocks = 0;
        long freed = 0;
        for (Eviction e : report) {
            blocks += e.morsels();
            freed += e.bytes();
        }
        int spilled = spilledBlocks.addAndGet(blocks);
        events.accept(new BlocksEvicted(COMPONENT, blocks, freed, spilled, store.unitCount(), report.getLast().file()));
    }

    @Override
    public String name() {
        return label;
    }

    @Override
    public long spillableBytes() {
        return store.spillableBytes();
    }

    /** Evicts unpinned resident blocks, largest first, until {@code bytesWanted} are freed or none is left. */
    @Override
    public long spill(long bytesWanted) {
        return store.spill(bytesWanted);
    }

    /** Frees resident blocks and deletes the spill files. Idempotent. */
    @Override
    public void close() {
        store.close();
    }
}
