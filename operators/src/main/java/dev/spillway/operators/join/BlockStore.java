package dev.spillway.operators.join;

import dev.spillway.event.BlocksEvicted;
import dev.spillway.event.EventSink;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillReader;
import dev.spillway.spill.SpillWriter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The materialized side of a nested-loop join: an append-only list of row blocks, each either
 * resident (a morsel charged to this store's budget) or evicted to a spill file. Registered with
 * the query's memory manager: under pressure the unpinned resident blocks are written, as LZ4
 * blocks, to a new spill file and freed. Readers {@link #acquire} a block by position: a resident
 * block is pinned (it cannot be evicted while read) and shared zero-copy; an evicted block is read
 * back from its memory-mapped file into a private copy charged to this store's budget, which the
 * caller frees when it releases the block. How many evicted blocks are read back at once is
 * bounded by the caller (each probe cursor of {@link NestedLoopJoin} holds at most one block).
 *
 * <p>Thread-safety: every method may be called from any thread. The block list and pin counts are
 * guarded by one re-entrant lock; {@link #spill} only try-locks it (see {@link Spillable}), and a
 * thread that holds the lock (e.g. appending) may spill re-entrantly.
 */
public final class BlockStore implements Spillable, AutoCloseable {
    /** The component name in its events (and in those of the nested-loop join that owns it). */
    static final String COMPONENT = "nested-loop-join";
    private final Schema schema;
    private final MemoryBudget budget;
    private final SpillDirectory spills;
    private final EventSink events;
    private final String label;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Block> blocks = new ArrayList<>();
    private final Map<SpillFile, SpillReader> readers = new HashMap<>();
    private final List<SpillFile> files = new ArrayList<>();
    private final AtomicLong readBackBlocks = new AtomicLong();
    private final AtomicLong readBackBytes = new AtomicLong();
    private long residentBytes;
    private long rows;
    private long spilledBytes;
    private int spilledBlocks;
    private boolean closed;

    /** One block: resident ({@code data != null}) or in {@code file} at block {@code fileBlock}. */
    private static final class Block {
        final int rows;
        final long bytes;
        Morsel data;
        int pins;
        SpillFile file;
        int fileBlock;

        Block(Morsel data) {
            this.data = data;
            this.rows = data.rowCount();
            this.bytes = data.byteSize();
        }
    }

    /** A block in use: release it (once) when done; the morsel is valid until then. */
    public final class Handle implements AutoCloseable {
        private final Block block;
        private final Morsel readBack;
        private boolean released;

        private Handle(Block block, Morsel readBack) {
            this.block = block;
            this.readBack = readBack;
        }

        /** The block's rows (do not close: {@link #close()} does). */
        public Morsel morsel() {
            return readBack != null ? readBack : block.data;
        }

        /** Whether this block was read back from a spill file. */
        public boolean readBack() {
            return readBack != null;
        }

        /** Unpins the resident block, or frees the read-back copy. Idempotent. */
        @Override
        public void close() {
            if (released) {
                return;
            }
            released = true;
            if (readBack != null) {
                readBack.close();
                return;
            }
            lock.lock();
            try {
                block.pins--;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * An empty store.
     *
     * @param schema the blocks' schema
     * @param budget charged with resident blocks and read-back copies (the caller's blocks must be
     *               allocated from it)
     * @param spills where evicted blocks go
     * @param events receives its {@code nested-loop-join} events
     * @param label  names the store in events and spill files
     */
    public BlockStore(Schema schema, MemoryBudget budget, SpillDirectory spills, EventSink events, String label) {
        this.schema = schema;
        this.budget = budget;
        this.spills = spills;
        this.events = events;
        this.label = label;
    }

    /** The blocks' schema. */
    public Schema schema() {
        return schema;
    }

    /** Appends a block, taking ownership of it (empty morsels are closed and dropped). */
    public void add(Morsel block) {
        if (block.rowCount() == 0) {
            block.close();
            return;
        }
        lock.lock();
        try {
            if (closed) {
                block.close();
                throw new IllegalStateException("block store " + label + " is closed");
            }
            Block b = new Block(block);
            blocks.add(b);
            residentBytes += b.bytes;
            rows += b.rows;
        } finally {
            lock.unlock();
        }
    }

    /** Number of blocks. */
    public int blockCount() {
        lock.lock();
        try {
            return blocks.size();
        } finally {
            lock.unlock();
        }
    }

    /** Rows in all blocks. */
    public long rowCount() {
        lock.lock();
        try {
            return rows;
        } finally {
            lock.unlock();
        }
    }

    /** Raw bytes of all blocks, resident or not. */
    public long byteSize() {
        lock.lock();
        try {
            return residentBytes + spilledBytes;
        } finally {
            lock.unlock();
        }
    }

    /** Blocks evicted to disk so far. */
    public int spilledBlocks() {
        lock.lock();
        try {
            return spilledBlocks;
        } finally {
            lock.unlock();
        }
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
        SpillReader reader;
        Block block;
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("block store " + label + " is closed");
            }
            block = blocks.get(b);
            if (block.data != null) {
                block.pins++;
                return new Handle(block, null);
            }
            reader = readers.get(block.file);
            if (reader == null) {
                reader = spills.open(block.file, budget);
                readers.put(block.file, reader);
            }
        } finally {
            lock.unlock();
        }
        // Outside the lock: decompressing takes a while and may need memory, i.e. may spill.
        Morsel m = reader.read(block.fileBlock, schema);
        readBackBlocks.incrementAndGet();
        readBackBytes.addAndGet(m.byteSize());
        return new Handle(block, m);
    }

    @Override
    public String name() {
        return label;
    }

    @Override
    public long spillableBytes() {
        if (!lock.tryLock()) {
            return 0;
        }
        try {
            long n = 0;
            for (Block b : blocks) {
                n += b.data != null && b.pins == 0 ? b.bytes : 0;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Evicts unpinned resident blocks, the most recently added first, until {@code bytesWanted}
     * are freed or none is left; they go to one new spill file.
     */
    @Override
    public long spill(long bytesWanted) {
        if (!lock.tryLock()) {
            return 0;
        }
        try {
            if (closed) {
                return 0;
            }
            List<Block> victims = new ArrayList<>();
            long freed = 0;
            for (int i = blocks.size() - 1; i >= 0 && freed < bytesWanted; i--) {
                Block b = blocks.get(i);
                if (b.data != null && b.pins == 0) {
                    victims.add(b);
                    freed += b.bytes;
                }
            }
            if (victims.isEmpty()) {
                return 0;
            }
            SpillFile file;
            try (SpillWriter w = spills.newWriter(label)) {
                for (Block b : victims) {
                    w.append(b.data, 0);
                }
                file = w.finish();
            }
            files.add(file);
            for (int k = 0; k < victims.size(); k++) {
                Block b = victims.get(k);
                b.data.close();
                b.data = null;
                b.file = file;
                b.fileBlock = k;
            }
            residentBytes -= freed;
            spilledBytes += freed;
            spilledBlocks += victims.size();
            events.accept(new BlocksEvicted(COMPONENT, victims.size(), freed, spilledBlocks, blocks.size(), file.path()));
            return freed;
        } finally {
            lock.unlock();
        }
    }

    /** Frees resident blocks, unmaps and deletes the spill files. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            RuntimeException first = null;
            for (Block b : blocks) {
                if (b.data != null) {
                    b.data.close();
                    b.data = null;
                }
            }
            for (SpillReader r : readers.values()) {
                try {
                    r.close();
                } catch (RuntimeException e) {
                    first = first == null ? e : first;
                }
            }
            for (SpillFile f : files) {
                try {
                    spills.delete(f);
                } catch (RuntimeException e) {
                    first = first == null ? e : first;
                }
            }
            readers.clear();
            files.clear();
            residentBytes = 0;
            if (first != null) {
                throw first;
            }
        } finally {
            lock.unlock();
        }
    }
}
