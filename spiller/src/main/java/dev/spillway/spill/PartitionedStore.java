package dev.spillway.spill;

import dev.spillway.memory.ChunkBuilder;
import dev.spillway.types.DataType;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RowStore} of 2<sup>bits</sup> hash partitions: the build side of a join, the partial
 * rows of a group-by, the probe rows of spilled join partitions.
 *
 * <p>{@link #append(Morsel, MemorySegment)} scatters a morsel's rows by a counting sort on
 * {@code bits} hash bits after the top {@code shift} ({@link #partitionOf}; shift 0 and 8 bits
 * is {@code Hashing.partition}) into each partition's open {@link ChunkBuilder}, sealed once it
 * holds about {@link RowStore#sealBytes(long)} bytes of rows ({@link #chunkRows}). {@link #finishInput} seals the open chunks and evicts
 * the forced share of partitions; from then on a partition is wholly in memory or wholly on disk
 * (write-through). {@link #repartition} splits one partition on the next hash bits into a child
 * store. Evicting a partition emits a {@code PartitionEvicted} event.
 */
public final class PartitionedStore extends RowStore {

    private final int bits;
    private final int shift;
    private final RowHasher hasher;
    private final StoreUnit[] partitions;
    private final List<StoreUnit> units;
    /** Rows at which a chunk is sealed. */
    private final int chunkRows;
    private volatile boolean inputFinished;

    PartitionedStore(StoreBuilder b, int bits, int shift, RowHasher hasher, StoreStats stats, boolean startSpilled) {
        super(b, stats, "partitions");
        this.bits = bits;
        this.shift = shift;
        this.hasher = hasher;
        this.partitions = new StoreUnit[1 << bits];
        for (int p = 0; p < partitions.length; p++) {
            partitions[p] = new StoreUnit(p);
            partitions[p].spilled = startSpilled;
        }
        this.units = List.of(partitions);
        this.chunkRows = chunkRows(schema, sealBytes);
    }

    /**
     * Rows per sealed chunk: about {@code sealBytes} of fixed-width values (strings counted as
     * their offset and 16 bytes of data; a chunk whose strings are longer is sealed when it
     * reaches twice that size).
     */
    static int chunkRows(Schema schema, long sealBytes) {
        long width = 0;
        for (int c = 0; c < schema.size(); c++) {
            DataType t = schema.field(c).type();
            width += t.isFixedWidth() ? t.byteWidth() : t == DataType.UTF8 ? 4 + 16 : 1;
        }
        return (int) Math.max(64, Math.min(1 << 20, sealBytes / Math.max(1, width)));
    }

    /** The partition of a row whose hash is {@code hash}: {@code bits} bits after the top {@code shift}. */
    public int partitionOf(long hash) {
        return (int) ((hash << shift) >>> (64 - bits));
    }

    /**
     * Scatters the rows of {@code m} into the partitions by {@code hashes} (one native long per
     * row). The caller keeps ownership of {@code m}. Thread-safe.
     *
     * @throws IllegalStateException after {@link #finishInput}, or when a target partition was
     *                               taken or released
     */
    public void append(Morsel m, MemorySegment hashes) {
        ensureWritable();
        int n = m.rowCount();
        if (hashes.byteSize() < 8L * n) {
            throw new IllegalArgumentException("hashes hold " + hashes.byteSize() / 8 + " longs, the morsel has " + n + " rows");
        }
        if (n == 0) {
            return;
        }
        int fanout = partitions.length;
        try (NativeBuffer pb = pool.allocate(budget, 4L * n)) {
            MemorySegment perm = pb.segment();
            int[] bounds = Hashing.groupByPartition(hashes, n, shift, bits, null, perm);
            for (int p = 0; p < fanout; p++) {
                if (bounds[p + 1] > bounds[p]) {
                    appendRows(partitions[p], m, perm, bounds[p], bounds[p + 1]);
                }
            }
        }
    }

    /**
     * Hashes {@code m} with the store's {@link RowHasher} and scatters it as
     * {@link #append(Morsel, MemorySegment)} does.
     *
     * @throws IllegalStateException when the store was built without a hasher
     */
    public void append(Morsel m) {
        requireHasher();
        try (NativeBuffer hb = pool.allocate(budget, Math.max(8, 8L * m.rowCount()))) {
            hasher.hash(m, hb.segment());
            append(m, hb.segment());
        }
    }

    /**
     * Appends the rows {@code rows[from .. to)} (native int32 row numbers) of {@code m} to
     * partition {@code partition}, for callers that grouped rows themselves. The caller keeps
     * ownership of {@code m}. Thread-safe.
     */
    public void append(int partition, Morsel m, MemorySegment rows, int from, int to) {
        ensureWritable();
        if (from < 0 || to < from || rows.byteSize() < 4L * to) {
            throw new IllegalArgumentException("row range [" + from + ", " + to + ") outside the " + rows.byteSize() / 4
                    + " row numbers given");
        }
        if (to > from) {
            appendRows(partitions[partition], m, rows, from, to);
        }
    }

    private void appendRows(StoreUnit u, Morsel m, MemorySegment rows, int from, int to) {
        u.lock.lock();
        try {
            checkAppendable(u);
            while (from < to) {
                if (u.open == null) {
                    // A partition's first chunk starts small (most partitions of a small input
                    // stay small); once it has sealed one, its chunks are made at full size, so
                    // they never grow by copying.
                    u.open = new ChunkBuilder(schema, pool, budget, u.rows >= chunkRows ? chunkRows : Math.min(1024, to - from));
                }
                int take = Math.min(to - from, chunkRows - u.open.rows());
                // A reservation here may evict this very partition on this thread: its sealed list
                // is replaced then, so no reference to it is held across the append. A failed one
                // leaves the open chunk as it was.
                u.open.appendRows(m, rows, from, from + take);
                u.rows += take;
                from += take;
                if (u.open.rows() >= chunkRows || u.open.byteSize() >= 2 * sealBytes) {
                    Morsel sealed = u.open.seal();
                    u.open = null;
                    keepOrWrite(u, sealed);
                }
            }
            u.updateBytes();
        } finally {
            u.lock.unlock();
        }
    }

    /**
     * Ends the input: seals the open chunks (writing those of spilled partitions) and evicts
     * partitions {@code 0 .. round(f * N) - 1} for the forced-spill fraction f (pinned ones
     * excepted). Idempotent.
     */
    public void finishInput() {
        ensureOpen();
        if (inputFinished) {
            return;
        }
        for (StoreUnit u : partitions) {
            u.lock.lock();
            try {
                if (u.open != null) {
                    ChunkBuilder open = u.open;
                    u.open = null;
                    if (open.rows() > 0) {
                        keepOrWrite(u, open.seal());
                    } else {
                        open.close();
                    }
                }
                u.updateBytes();
            } finally {
                u.lock.unlock();
            }
        }
        inputFinished = true;
        int forced = (int) Math.round(forceSpill * partitions.length);
        List<Eviction> report = new ArrayList<>();
        for (int p = 0; p < forced; p++) {
            StoreUnit u = partitions[p];
            evict(u, true, report);
            u.lock.lock();
            try {
                u.spilled |= u.evictable();
            } finally {
                u.lock.unlock();
            }
        }
        reported(report);
    }

    /**
     * Re-partitions partition {@code partition} — its in-memory rows and its spilled blocks — on
     * the next {@code extraBits} hash bits into a new child store (same component, events and
     * stats; its partitions start spilled when this one was, so rows read from disk go back to
     * disk as they are scattered), then releases the partition. The caller closes the child.
     *
     * @return the child and its rows per sub-partition, for skew detection
     */
    public Repartition repartition(int partition, int extraBits) {
        requireHasher();
        ensureReadable();
        if (!inputFinished) {
            throw new IllegalStateException(component + ": finish the input before re-partitioning");
        }
        if (extraBits < 1 || extraBits > 16 || shift + bits + extraBits > 64) {
            throw new IllegalArgumentException("cannot re-partition on " + extraBits + " more bits after " + (shift + bits));
        }
        StoreUnit u = partitions[partition];
        List<Morsel> memory;
        List<StoreUnit.BlockRef> blocks;
        boolean wasSpilled;
        u.lock.lock();
        try {
            checkLive(u);
            memory = takeLocked(u);
            blocks = List.copyOf(u.blocks);
            wasSpilled = u.spilled;
        } finally {
            u.lock.unlock();
        }
        StoreBuilder cb = new StoreBuilder(component, schema, pool, budget, dir).events(events).sealBytes(sealBytes)
                .rollBytes(rollBytes);
        PartitionedStore child = new PartitionedStore(cb, extraBits, shift + bits, hasher, stats, wasSpilled);
        try {
            for (Morsel m : memory) {
                try (m) {
                    child.append(m);
                }
            }
            for (StoreUnit.BlockRef ref : blocks) {
                try (Morsel m = readBlock(ref, budget)) {
                    child.append(m);
                }
            }
            child.finishInput();
        } catch (RuntimeException | Error e) {
            memory.forEach(Morsel::close);
            child.close();
            throw e;
        }
        release(partition);
        long[] rows = new long[1 << extraBits];
        for (int s = 0; s < rows.length; s++) {
            rows[s] = child.rows(s);
        }
        return new Repartition(child, rows);
    }

    @Override
    public int unitCount() {
        return partitions.length;
    }

    @Override
    List<StoreUnit> units() {
        return units;
    }

    @Override
    StoreUnit unit(int unit) {
        return partitions[unit];
    }

    @Override
    void checkTakeable(int unit) {
        if (!inputFinished) {
            throw new IllegalStateException(component + ": finish the input before taking partition " + unit);
        }
    }

    /** Whether the store was built with a {@link RowHasher} (so it can {@link #repartition}). */
    public boolean hasHasher() {
        return hasher != null;
    }

    private void requireHasher() {
        if (hasher == null) {
            throw new IllegalStateException(component + ": the store was built without a row hasher");
        }
    }

    private void ensureWritable() {
        ensureOpen();
        if (inputFinished) {
            throw new IllegalStateException(component + ": the input was finished");
        }
    }
}
