package dev.spillway.spill;

import dev.spillway.event.EventSink;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ChunkBuilder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Spillable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The partitioned row store every spilling operator keeps its state in: rows of one schema in
 * units — 2<sup>bits</sup> hash partitions, or a growable set of ordered streams — each a list of
 * sealed column-wise morsels in memory plus blocks on disk.
 *
 * <p><b>Hash partitions</b> ({@link Builder#hashPartitions}): {@link #append(Morsel, MemorySegment)}
 * scatters a morsel's rows by a counting sort on {@code bits} hash bits starting at bit
 * {@code shift} (from the top; shift 0 and 8 bits is {@code Hashing.partition}) into each
 * partition's open {@link ChunkBuilder}, sealed at {@link #sealBytes(long)} bytes.
 * <b>Streams</b> ({@link Builder#streams}): {@link #add} appends whole sealed morsels in order
 * (sort runs, multiplexer backlogs); {@link #poll} returns them in the same order.
 *
 * <p><b>Spilling</b>: the store is the {@link Spillable} of its owner. {@link #spill} evicts the
 * largest evictable unit first until enough was freed; a unit that is {@link #pin pinned},
 * {@link #take taken} or released is not evictable. The memory manager's thread only try-locks
 * (it never waits for another thread); a unit whose lock the calling thread holds (it is
 * appending, and its own reservation asked for memory) loses its sealed chunks and keeps its open
 * one. Once evicted, a unit's later sealed chunks go straight to disk (write-through), so after
 * {@link #finishInput} a hash partition is either wholly in memory or wholly on disk.
 *
 * <p><b>Files</b>: all units write into one file at a time, blocks tagged with the unit number;
 * the store rolls to a new file past {@link Builder#rollBytes} and deletes a file (releasing its
 * disk reservation) once every unit with blocks in it was released, or at {@link #close}. A file
 * is readable while it grows (see {@link StoreFile}), so a stream can be read while others spill.
 *
 * <p><b>Locks</b>: a unit's lock, then the store's file lock, never the reverse. Sizes are
 * volatile fields written under the unit's lock and read without it. {@link #spill} returns 0
 * when the calling thread is itself writing to the file (a write that reserved memory).
 */
public final class PartitionedStore implements Spillable, AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    /** Default size past which the store starts a new spill file. */
    public static final long DEFAULT_ROLL_BYTES = 256L << 20;

    private final String component;
    private final Schema schema;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final SpillDirectory dir;
    private final EventSink events;
    private final RowHasher hasher;
    private final int bits;
    private final int shift;
    private final long sealBytes;
    private final double forceSpill;
    private final long rollBytes;
    private final StoreStats stats;
    private final StoreUnit[] partitions;
    private final List<StoreUnit> streams;
    private final ReentrantLock fileLock = new ReentrantLock();
    /** Files with blocks of a live unit, and the one being written; guarded by {@link #fileLock}. */
    private final List<StoreFile> files = new ArrayList<>();
    private StoreFile current;
    private volatile boolean inputFinished;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    private PartitionedStore(Builder b, StoreStats stats, boolean startSpilled) {
        this.component = b.component;
        this.schema = b.schema;
        this.pool = b.pool;
        this.budget = b.budget;
        this.dir = b.dir;
        this.events = b.events;
        this.hasher = b.hasher;
        this.bits = b.bits;
        this.shift = b.shift;
        this.sealBytes = b.sealBytes > 0 ? b.sealBytes : sealBytes(budget.effectiveCap());
        this.forceSpill = b.forceSpill;
        this.rollBytes = b.rollBytes;
        this.stats = stats;
        if (bits > 0) {
            partitions = new StoreUnit[1 << bits];
            for (int p = 0; p < partitions.length; p++) {
                partitions[p] = new StoreUnit(p);
                partitions[p].spilled = startSpilled;
            }
            streams = null;
        } else {
            partitions = null;
            streams = new CopyOnWriteArrayList<>();
        }
    }

    /** Starts a store of rows of {@code schema}; memory is charged to {@code budget}, spills go to {@code dir}. */
    public static Builder builder(String component, Schema schema, BlockPool pool, MemoryBudget budget, SpillDirectory dir) {
        return new Builder(component, schema, pool, budget, dir);
    }

    /**
     * The size at which a chunk is sealed, for a budget whose effective cap is {@code cap}:
     * {@code max(4 KiB, min(1 MiB, cap / 4096))}, so that 4096 chunks fit the cap (256 partitions
     * of 16 chunks) and small caps still spill in useful blocks.
     */
    public static long sealBytes(long cap) {
        return Math.max(4L << 10, Math.min(1L << 20, cap / 4096));
    }

    // ================================================================== input

    /** The partition of a row whose hash is {@code hash}: {@code bits} bits after the top {@code shift}. */
    public int partitionOf(long hash) {
        return (int) ((hash << shift) >>> (64 - bits));
    }

    /**
     * Scatters the rows of {@code m} into the hash partitions by {@code hashes} (one native long
     * per row). The caller keeps ownership of {@code m}. Thread-safe.
     *
     * @throws IllegalStateException in stream mode, after {@link #finishInput}, or when a target
     *                               partition was taken or released
     */
    public void append(Morsel m, MemorySegment hashes) {
        requireHashed();
        ensureWritable();
        int n = m.rowCount();
        if (hashes.byteSize() < 8L * n) {
            throw new IllegalArgumentException("hashes hold " + hashes.byteSize() / 8 + " longs, the morsel has " + n + " rows");
        }
        if (n == 0) {
            return;
        }
        int fanout = partitions.length;
        int[] bounds = new int[fanout + 1];
        try (NativeBuffer pb = pool.allocate(budget, 4L * n)) {
            MemorySegment perm = pb.segment();
            for (int r = 0; r < n; r++) {
                bounds[partitionOf(hashes.getAtIndex(LONG, r)) + 1]++;
            }
            for (int p = 0; p < fanout; p++) {
                bounds[p + 1] += bounds[p];
            }
            int[] fill = bounds.clone();
            for (int r = 0; r < n; r++) {
                perm.setAtIndex(INT, fill[partitionOf(hashes.getAtIndex(LONG, r))]++, r);
            }
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
     * Appends the rows {@code rows[from .. to)} (native int32 row numbers) of {@code m} to hash
     * partition {@code partition}, for callers that grouped rows themselves. The caller keeps
     * ownership of {@code m}. Thread-safe.
     */
    public void append(int partition, Morsel m, MemorySegment rows, int from, int to) {
        requireHashed();
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
            if (u.open == null) {
                u.open = new ChunkBuilder(schema, pool, budget, Math.min(1024, to - from));
            }
            for (int k = from; k < to; k++) {
                // A reservation here may evict this very unit on this thread: its sealed list is
                // replaced then, so it is not held across the loop.
                u.open.append(m, rows.getAtIndex(INT, k));
            }
            u.rows += to - from;
            if (u.open.byteSize() >= sealBytes) {
                Morsel sealed = u.open.seal();
                u.open = null;
                keepOrWrite(u, sealed);
            }
            u.updateBytes();
        } finally {
            u.lock.unlock();
        }
    }

    /** Keeps a sealed morsel in memory, or writes it through when the unit is spilled (unit lock held). */
    private void keepOrWrite(StoreUnit u, Morsel sealed) {
        if (!u.spilled) {
            u.sealed.add(sealed);
            u.sealedBytes += sealed.byteSize();
            return;
        }
        try (sealed) {
            fileLock.lock();
            try {
                writeBlocks(u, List.of(sealed));
            } finally {
                fileLock.unlock();
            }
        }
    }

    /**
     * A new stream, numbered from 0 in creation order. With a forced-spill fraction f, stream k
     * is spilled from the start when {@code floor((k+1)f) > floor(kf)}.
     */
    public int newStream() {
        requireStreams();
        ensureOpen();
        synchronized (streams) {
            int k = streams.size();
            StoreUnit u = new StoreUnit(k);
            u.spilled = forceSpill > 0 && Math.floor((k + 1) * forceSpill) > Math.floor(k * forceSpill);
            streams.add(u);
            return k;
        }
    }

    /**
     * Appends {@code sealed} to stream {@code stream}, taking ownership (closed at once when it
     * goes to disk, or when this throws). Thread-safe; one producer per stream keeps the order.
     */
    public void add(int stream, Morsel sealed) {
        StoreUnit u;
        try {
            requireStreams();
            ensureOpen();
            u = unit(stream);
        } catch (RuntimeException e) {
            sealed.close();
            throw e;
        }
        u.lock.lock();
        try {
            checkAppendable(u);
            u.rows += sealed.rowCount();
            keepOrWrite(u, sealed);
            u.updateBytes();
        } catch (RuntimeException | Error e) {
            sealed.close();
            throw e;
        } finally {
            u.lock.unlock();
        }
    }

    /**
     * Ends the input: seals the open chunks (writing those of spilled partitions) and evicts
     * hash partitions {@code 0 .. round(f * N) - 1} for a forced-spill fraction f. Idempotent.
     */
    public void finishInput() {
        ensureOpen();
        if (inputFinished) {
            return;
        }
        for (StoreUnit u : units()) {
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
        if (partitions != null) {
            int forced = (int) Math.round(forceSpill * partitions.length);
            for (int p = 0; p < forced; p++) {
                StoreUnit u = partitions[p];
                evict(u, true);
                u.lock.lock();
                try {
                    u.spilled |= u.evictable();
                } finally {
                    u.lock.unlock();
                }
            }
        }
    }

    // ================================================================== spilling

    @Override
    public String name() {
        return component;
    }

    @Override
    public long spillableBytes() {
        if (closed) {
            return 0;
        }
        long n = 0;
        for (StoreUnit u : units()) {
            n += u.evictable() ? u.bytes : 0;
        }
        return n;
    }

    /** Evicts the largest evictable units until {@code bytesWanted} were freed; never waits for a lock. */
    @Override
    public long spill(long bytesWanted) {
        if (closed || fileLock.isHeldByCurrentThread()) {
            return 0;
        }
        long freed = 0;
        Set<StoreUnit> busy = new HashSet<>();
        while (freed < bytesWanted) {
            StoreUnit best = largest(busy);
            if (best == null) {
                break;
            }
            long got = evict(best, false);
            if (got == 0) {
                busy.add(best);
            }
            freed += got;
        }
        return freed;
    }

    /**
     * Evicts the largest evictable unit, for the owner's own policies (waits for its lock; do not
     * call from inside a reservation).
     *
     * @return bytes freed, 0 when nothing is left to evict
     */
    public long evictLargest() {
        ensureOpen();
        Set<StoreUnit> done = new HashSet<>();
        StoreUnit best;
        while ((best = largest(done)) != null) {
            long got = evict(best, true);
            if (got > 0) {
                return got;
            }
            done.add(best);
        }
        return 0;
    }

    /** Evicts unit {@code unit} (waiting for its lock); returns bytes freed (0 when not evictable or empty). */
    public long evict(int unit) {
        ensureOpen();
        return evict(unit(unit), true);
    }

    private StoreUnit largest(Set<StoreUnit> exclude) {
        StoreUnit best = null;
        long bestBytes = 0;
        for (StoreUnit u : units()) {
            long b = u.bytes;
            if (b > bestBytes && u.evictable() && !exclude.contains(u)) {
                best = u;
                bestBytes = b;
            }
        }
        return best;
    }

    /**
     * Writes a unit's sealed chunks — and its open chunk unless the calling thread is the one
     * appending to it — to the current file and frees them. {@code wait}: the owner's call, which
     * may wait for locks; otherwise only try-locks.
     */
    private long evict(StoreUnit u, boolean wait) {
        if (fileLock.isHeldByCurrentThread()) {
            return 0;
        }
        boolean own = u.lock.isHeldByCurrentThread();
        if (!own) {
            if (wait) {
                u.lock.lock();
            } else if (!u.lock.tryLock()) {
                return 0;
            }
        }
        try {
            boolean takeOpen = !own && u.open != null;
            if (!u.evictable() || (u.sealed.isEmpty() && !takeOpen)) {
                return 0;
            }
            if (wait) {
                fileLock.lock();
            } else if (!fileLock.tryLock()) {
                return 0;
            }
            long freed = 0;
            StoreFile last;
            try {
                if (takeOpen) {
                    ChunkBuilder open = u.open;
                    u.open = null;
                    if (open.rows() > 0) {
                        Morsel s = open.seal();
                        u.sealed.add(s);
                        u.sealedBytes += s.byteSize();
                    } else {
                        open.close();
                    }
                }
                List<Morsel> out = u.sealed;
                u.sealed = new ArrayList<>();
                u.sealedBytes = 0;
                u.spilled = true;
                try {
                    for (Morsel m : out) {
                        freed += m.byteSize();
                    }
                    writeBlocks(u, out);
                } finally {
                    out.forEach(Morsel::close);
                    u.updateBytes();
                }
                last = current;
            } finally {
                fileLock.unlock();
            }
            stats.evicted(freed);
            if (partitions != null && freed > 0) {
                events.accept(new PartitionEvicted(component, u.id, freed, last == null ? null : last.path()));
            }
            return freed;
        } finally {
            if (!own) {
                u.lock.unlock();
            }
        }
    }

    /** Appends morsels as blocks of {@code u} (unit lock and file lock held). */
    private void writeBlocks(StoreUnit u, List<Morsel> out) {
        try {
            for (Morsel m : out) {
                StoreFile f = fileFor(u);
                int index = f.writer.blockCount();
                f.writer.append(m, u.id);
                u.blocks.add(new StoreUnit.BlockRef(f, index, m.rowCount()));
                u.spilledRows += m.rowCount();
                stats.blockWritten();
            }
        } catch (RuntimeException e) {
            // Rows of this unit are lost: every later read must fail rather than miss them.
            failure = e;
            throw e;
        }
    }

    /** The file to append to, rolled past the roll size; records that {@code u} has blocks in it (file lock held). */
    private StoreFile fileFor(StoreUnit u) {
        if (current != null && current.writer.bytesWritten() >= rollBytes) {
            current = null;
        }
        if (current == null) {
            current = new StoreFile(dir.newWriter(component + (partitions != null ? "-partitions" : "-streams")));
            files.add(current);
            stats.fileCreated();
        }
        if (!u.files.contains(current)) {
            u.files.add(current);
            current.refs++;
        }
        return current;
    }

    // ================================================================== reading back

    /** Marks unit {@code unit} not evictable until {@link #unpin}; pins nest. */
    public void pin(int unit) {
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            u.pins++;
        } finally {
            u.lock.unlock();
        }
    }

    /** Undoes one {@link #pin}. */
    public void unpin(int unit) {
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            if (u.pins == 0) {
                throw new IllegalStateException(component + ": unit " + unit + " is not pinned");
            }
            u.pins--;
        } finally {
            u.lock.unlock();
        }
    }

    /**
     * Takes the in-memory sealed morsels of unit {@code unit} (the caller owns them) and makes
     * the unit not evictable; no more rows may be appended to it. Its spilled blocks stay readable
     * through {@link #readSpilled}.
     *
     * @throws IllegalStateException for a hash partition before {@link #finishInput}
     */
    public List<Morsel> take(int unit) {
        ensureReadable();
        if (partitions != null && !inputFinished) {
            throw new IllegalStateException(component + ": finish the input before taking partition " + unit);
        }
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            checkLive(u);
            u.taken = true;
            List<Morsel> out = u.sealed;
            u.sealed = new ArrayList<>();
            u.sealedBytes = 0;
            u.updateBytes();
            return out;
        } finally {
            u.lock.unlock();
        }
    }

    /**
     * The spilled blocks of unit {@code unit}, in write order, each read when {@code next()} is
     * called into buffers charged to {@code readBudget} (the caller owns every morsel). Blocks
     * written while iterating are included. Several threads may read different units at once.
     */
    public Iterator<Morsel> readSpilled(int unit, MemoryBudget readBudget) {
        ensureReadable();
        StoreUnit u = unit(unit);
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return blockAt(u, next) != null;
            }

            @Override
            public Morsel next() {
                StoreUnit.BlockRef ref = blockAt(u, next);
                if (ref == null) {
                    throw new NoSuchElementException();
                }
                next++;
                return readBlock(ref, readBudget);
            }
        };
    }

    /**
     * The next morsel of stream {@code stream} in append order — its spilled blocks first, then
     * the morsels still in memory — or null when none is there now. The caller owns it. One
     * consumer per stream; other streams may be appended to and spill meanwhile.
     */
    public Morsel poll(int stream, MemoryBudget readBudget) {
        requireStreams();
        ensureReadable();
        StoreUnit u = unit(stream);
        StoreUnit.BlockRef ref = null;
        u.lock.lock();
        try {
            checkLive(u);
            if (u.polled < u.blocks.size()) {
                ref = u.blocks.get(u.polled++);
            } else if (!u.sealed.isEmpty()) {
                Morsel m = u.sealed.removeFirst();
                u.sealedBytes -= m.byteSize();
                u.updateBytes();
                return m;
            } else {
                return null;
            }
        } finally {
            u.lock.unlock();
        }
        return readBlock(ref, readBudget);
    }

    private StoreUnit.BlockRef blockAt(StoreUnit u, int i) {
        u.lock.lock();
        try {
            checkLive(u);
            return i < u.blocks.size() ? u.blocks.get(i) : null;
        } finally {
            u.lock.unlock();
        }
    }

    private Morsel readBlock(StoreUnit.BlockRef ref, MemoryBudget readBudget) {
        ensureReadable();
        Morsel m = ref.file().read(ref.index(), schema, readBudget);
        stats.blockRead();
        return m;
    }

    /**
     * Re-partitions unit {@code partition} — its in-memory rows and its spilled blocks — on the
     * next {@code extraBits} hash bits into a new child store (same component, events and stats;
     * its partitions start spilled when this one was, so the rows go back to disk as they are
     * scattered), then releases the partition. The caller closes the child.
     */
    public Repartition repartition(int partition, int extraBits) {
        requireHashed();
        requireHasher();
        ensureReadable();
        if (!inputFinished) {
            throw new IllegalStateException(component + ": finish the input before re-partitioning");
        }
        if (extraBits < 1 || extraBits > 16 || shift + bits + extraBits > 64) {
            throw new IllegalArgumentException("cannot re-partition on " + extraBits + " more bits after " + (shift + bits));
        }
        StoreUnit u = unit(partition);
        List<Morsel> memory;
        List<StoreUnit.BlockRef> blocks;
        boolean wasSpilled;
        u.lock.lock();
        try {
            checkLive(u);
            u.taken = true;
            memory = u.sealed;
            u.sealed = new ArrayList<>();
            u.sealedBytes = 0;
            u.updateBytes();
            blocks = List.copyOf(u.blocks);
            wasSpilled = u.spilled;
        } finally {
            u.lock.unlock();
        }
        Builder cb = new Builder(this).hashPartitions(extraBits, shift + bits, hasher);
        PartitionedStore child = new PartitionedStore(cb, stats, wasSpilled);
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

    /**
     * Frees what is left of unit {@code unit} in memory and drops its blocks; a file is deleted
     * once no live unit has blocks in it. Idempotent.
     */
    public void release(int unit) {
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            releaseLocked(u);
        } finally {
            u.lock.unlock();
        }
    }

    private void releaseLocked(StoreUnit u) {
        if (u.released) {
            return;
        }
        u.released = true;
        try {
            u.sealed.forEach(Morsel::close);
            if (u.open != null) {
                u.open.close();
            }
        } finally {
            u.sealed = new ArrayList<>();
            u.open = null;
            u.sealedBytes = 0;
            u.bytes = 0;
            u.blocks.clear();
            fileLock.lock();
            try {
                for (StoreFile f : u.files) {
                    if (--f.refs == 0) {
                        deleteFile(f);
                    }
                }
                u.files.clear();
            } finally {
                fileLock.unlock();
            }
        }
    }

    private void deleteFile(StoreFile f) {
        files.remove(f);
        if (f == current) {
            current = null;
        }
        f.delete();
        stats.fileDeleted();
    }

    // ================================================================== state

    /** Number of units: hash partitions, or streams created so far. */
    public int unitCount() {
        return partitions != null ? partitions.length : streams.size();
    }

    /** Bytes of unit {@code unit} in memory (sealed and open); read without locks. */
    public long bytes(int unit) {
        return unit(unit).bytes;
    }

    /** Rows appended to unit {@code unit}, in memory and on disk. */
    public long rows(int unit) {
        return unit(unit).rows;
    }

    /** Rows of unit {@code unit} on disk. */
    public long spilledRows(int unit) {
        return unit(unit).spilledRows;
    }

    /** Whether unit {@code unit} was evicted (its later chunks go to disk). */
    public boolean spilled(int unit) {
        return unit(unit).spilled;
    }

    /** Blocks of unit {@code unit} on disk. */
    public int blockCount(int unit) {
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            return u.blocks.size();
        } finally {
            u.lock.unlock();
        }
    }

    /** In-memory bytes over all units. */
    public long bytesInMemory() {
        long n = 0;
        for (StoreUnit u : units()) {
            n += u.bytes;
        }
        return n;
    }

    /** Spill files the store holds now. */
    public int fileCount() {
        fileLock.lock();
        try {
            return files.size();
        } finally {
            fileLock.unlock();
        }
    }

    /** The seal size of this store's chunks. */
    public long sealBytes() {
        return sealBytes;
    }

    /** Counters, shared with the children re-partitioned from this store. */
    public StoreStats stats() {
        return stats;
    }

    /** The rows' schema. */
    public Schema schema() {
        return schema;
    }

    /** Frees every unit and deletes every file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (StoreUnit u : units()) {
            u.lock.lock();
            try {
                releaseLocked(u);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            } finally {
                u.lock.unlock();
            }
        }
        fileLock.lock();
        try {
            for (StoreFile f : List.copyOf(files)) {
                deleteFile(f);
            }
        } catch (RuntimeException e) {
            first = first == null ? e : first;
        } finally {
            fileLock.unlock();
        }
        if (first != null) {
            throw first;
        }
    }

    private List<StoreUnit> units() {
        return partitions != null ? List.of(partitions) : streams;
    }

    private StoreUnit unit(int unit) {
        if (partitions != null) {
            return partitions[unit];
        }
        return streams.get(unit);
    }

    private void checkAppendable(StoreUnit u) {
        checkLive(u);
        if (u.taken) {
            throw new IllegalStateException(component + ": unit " + u.id + " was taken; no rows may be appended");
        }
    }

    private void checkLive(StoreUnit u) {
        if (u.released) {
            throw new IllegalStateException(component + ": unit " + u.id + " was released");
        }
    }

    private void requireHashed() {
        if (partitions == null) {
            throw new IllegalStateException(component + ": a store of streams has no hash partitions");
        }
    }

    private void requireStreams() {
        if (streams == null) {
            throw new IllegalStateException(component + ": a hash-partitioned store has no streams");
        }
    }

    private void requireHasher() {
        if (hasher == null) {
            throw new IllegalStateException(component + ": the store was built without a row hasher");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(component + ": the partitioned store is closed");
        }
    }

    private void ensureWritable() {
        ensureOpen();
        if (inputFinished) {
            throw new IllegalStateException(component + ": the input was finished");
        }
    }

    private void ensureReadable() {
        ensureOpen();
        RuntimeException f = failure;
        if (f != null) {
            throw new SpillException(component + ": a spill write failed earlier, rows were lost: " + f.getMessage(), f);
        }
    }

    /** Settings of a {@link PartitionedStore}. */
    public static final class Builder {
        private final String component;
        private final Schema schema;
        private final BlockPool pool;
        private final MemoryBudget budget;
        private final SpillDirectory dir;
        private EventSink events = EventSink.NONE;
        private RowHasher hasher;
        private int bits = -1;
        private int shift;
        private long sealBytes;
        private double forceSpill;
        private long rollBytes = DEFAULT_ROLL_BYTES;

        private Builder(String component, Schema schema, BlockPool pool, MemoryBudget budget, SpillDirectory dir) {
            this.component = component;
            this.schema = schema;
            this.pool = pool;
            this.budget = budget;
            this.dir = dir;
        }

        private Builder(PartitionedStore parent) {
            this(parent.component, parent.schema, parent.pool, parent.budget, parent.dir);
            this.events = parent.events;
            this.sealBytes = parent.sealBytes;
            this.rollBytes = parent.rollBytes;
        }

        /**
         * 2<sup>bits</sup> hash partitions on the {@code bits} hash bits after the top {@code shift}
         * (0 for level 0); {@code hasher} may be null when the caller always passes hashes (then
         * {@link #repartition} is unavailable).
         */
        public Builder hashPartitions(int partitionBits, int bitShift, RowHasher rowHasher) {
            if (partitionBits < 1 || partitionBits > 16 || bitShift < 0 || bitShift + partitionBits > 64) {
                throw new IllegalArgumentException("invalid partition bits: shift " + bitShift + ", bits " + partitionBits);
            }
            this.bits = partitionBits;
            this.shift = bitShift;
            this.hasher = rowHasher;
            return this;
        }

        /** A growable set of ordered streams instead of hash partitions. */
        public Builder streams() {
            this.bits = 0;
            this.hasher = null;
            return this;
        }

        /** Where {@link PartitionEvicted} events go (default: nowhere). */
        public Builder events(EventSink sink) {
            this.events = sink;
            return this;
        }

        /** The share f in [0, 1] of units spilled whatever the memory (see the class javadoc). */
        public Builder forceSpill(double fraction) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("forced spill fraction must be in [0, 1], got " + fraction);
            }
            this.forceSpill = fraction;
            return this;
        }

        /** Overrides the seal size (default {@link PartitionedStore#sealBytes(long)} of the budget's cap). */
        public Builder sealBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("seal size must be positive, got " + bytes);
            }
            this.sealBytes = bytes;
            return this;
        }

        /** The file size past which the store starts a new file (default {@link PartitionedStore#DEFAULT_ROLL_BYTES}). */
        public Builder rollBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("roll size must be positive, got " + bytes);
            }
            this.rollBytes = bytes;
            return this;
        }

        /** Creates the store. */
        public PartitionedStore build() {
            if (bits < 0) {
                throw new IllegalStateException("choose hashPartitions(...) or streams() for store '" + component + "'");
            }
            return new PartitionedStore(this, new StoreStats(), false);
        }
    }
}
