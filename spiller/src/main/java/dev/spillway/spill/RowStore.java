package dev.spillway.spill;

import dev.spillway.errors.SpillException;

import dev.spillway.event.EventSink;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ChunkBuilder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Spillable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The spillable row store every spilling operator keeps its state in: rows of one schema in
 * <i>units</i> — the hash partitions of a {@link PartitionedStore} or the ordered streams of a
 * {@link StreamStore} — each a list of sealed column-wise morsels in memory plus blocks on disk.
 *
 * <p><b>Spilling</b>: the store is its owner's {@link Spillable}. {@link #spill} evicts the
 * largest evictable unit first until enough was freed; a unit that is {@link #pin pinned},
 * {@link #take taken} or released is not evictable. The memory manager's thread only try-locks
 * (it never waits for another thread); a unit whose lock the calling thread holds (it is
 * appending, and its own reservation asked for memory) loses its sealed chunks and keeps its open
 * one. Once evicted, a unit's later sealed chunks go straight to disk (write-through).
 *
 * <p><b>Files</b>: every unit writes into one file at a time, blocks tagged with the unit number;
 * the store rolls to a new file past {@link StoreBuilder#rollBytes} and deletes a file (releasing
 * its disk reservation) once every unit with blocks in it was released, or at {@link #close}. A
 * file is readable while it grows ({@link StoreFile}), so a unit can be read while others spill.
 *
 * <p><b>Locks</b>: a unit's lock, then the file lock, never the reverse. Sizes are volatile
 * fields written under the unit's lock and read without it; an open chunk is never read without
 * its unit's lock (its owner may be sealing it). {@link #spill} returns 0 when the calling thread
 * is itself writing to the file (a write that reserved memory must not re-enter the writer).
 */
public abstract sealed class RowStore implements Spillable, AutoCloseable permits PartitionedStore, StreamStore {
    /** Default size past which the store starts a new spill file. */
    public static final long DEFAULT_ROLL_BYTES = 256L << 20;
    /** Longest wait of the memory manager's {@link #spill} for the file lock another thread writes under. */
    static final long FILE_LOCK_WAIT_NANOS = 20_000_000L;

    final String component;
    final Schema schema;
    final BlockPool pool;
    final MemoryBudget budget;
    final SpillDirectory dir;
    final EventSink events;
    final long sealBytes;
    volatile double forceSpill;
    final long rollBytes;
    final Consumer<Eviction> onEvict;
    /** Whether an eviction makes the unit write its later morsels through ({@link StoreBuilder#keepAddingInMemory}). */
    final boolean writeThrough;
    final Consumer<List<Eviction>> onSpill;
    final StoreStats stats;
    final StoreFiles files;
    /** Bytes of the shared morsels still counted, once each ({@link StreamStore#addShared}). */
    final AtomicLong sharedOnce = new AtomicLong();
    volatile boolean closed;
    private volatile RuntimeException failure;

    RowStore(StoreBuilder b, StoreStats stats, String fileLabel) {
        this.component = b.component;
        this.schema = b.schema;
        this.pool = b.pool;
        this.budget = b.budget;
        this.dir = b.dir;
        this.events = b.events;
        this.sealBytes = b.sealBytes > 0 ? b.sealBytes : sealBytes(b.budget.effectiveCap());
        this.forceSpill = b.forceSpill;
        this.rollBytes = b.rollBytes;
        this.onEvict = b.onEvict;
        this.writeThrough = b.writeThrough;
        this.onSpill = b.onSpill;
        this.stats = stats;
        this.files = new StoreFiles(b.dir, b.component + "-" + fileLabel, b.rollBytes, stats);
    }

    /**
     * Starts a store of rows of {@code schema} owned by {@code component} (the name in events,
     * e.g. {@code equi-join}); memory is charged to {@code budget}, spills go to {@code dir}.
     */
    public static StoreBuilder builder(String component, Schema schema, BlockPool pool, MemoryBudget budget,
            SpillDirectory dir) {
        return new StoreBuilder(component, schema, pool, budget, dir);
    }

    /**
     * The size at which a chunk is sealed, for a budget whose effective cap is {@code cap}:
     * {@code max(4 KiB, min(1 MiB, cap / 4096))}, so that 4096 chunks fit the cap (256 partitions
     * of 16 chunks) and small caps still spill in useful blocks.
     */
    public static long sealBytes(long cap) {
        return Math.max(4L << 10, Math.min(1L << 20, cap / 4096));
    }

    abstract List<StoreUnit> units();

    abstract StoreUnit unit(int unit);

    /** Number of units: hash partitions, or streams created so far. */
    public abstract int unitCount();

    /** Checks that the in-memory morsels of a unit may be taken now. */
    abstract void checkTakeable(int unit);

    // ================================================================== writing

    /** Keeps a sealed morsel in memory, or writes it through when the unit is spilled (unit lock held; takes ownership). */
    final void keepOrWrite(StoreUnit u, Morsel sealed) {
        if (!u.spilled) {
            u.sealed.add(sealed);
            u.sealedBytes += sealed.byteSize();
            return;
        }
        try (sealed) {
            files.lock.lock();
            try {
                write(u, List.of(sealed));
            } finally {
                files.lock.unlock();
            }
        }
    }

    /** Writes blocks of {@code u} (unit lock and file lock held); returns the last file written. */
    private StoreFile write(StoreUnit u, List<Morsel> out) {
        try {
            return files.write(u, out);
        } catch (RuntimeException e) {
            // Rows of this unit are lost: every later read must fail rather than miss them.
            failure = e;
            throw e;
        }
    }

    // ================================================================== spilling

    @Override
    public final String name() {
        return component;
    }

    @Override
    public final long spillableBytes() {
        if (closed) {
            return 0;
        }
        long n = sharedOnce.get();
        for (StoreUnit u : units()) {
            n += u.evictable() ? u.bytes - u.sharedBytes : 0;
        }
        return n;
    }

    /**
     * Unit {@code u} lets go of its sealed morsel {@code m} (unit lock held, before {@code m} is
     * closed): a reader {@code taken} it, or it was written or freed. Returns the bytes this frees
     * for sure: all of an unshared morsel, and of a shared one only the last hold of a morsel no
     * reader took (a reader that took a view may still be using the buffers).
     */
    final long leave(StoreUnit u, Morsel m, boolean taken) {
        StoreUnit.Share s = u.shares == null || u.shares.isEmpty() ? null : u.shares.remove(m);
        if (s == null) {
            return taken ? 0 : m.byteSize();
        }
        u.sharedBytes -= m.byteSize();
        return dropHolds(s, 1, taken);
    }

    /** Drops {@code n} holds of a share; see {@link #leave}. */
    final long dropHolds(StoreUnit.Share s, int n, boolean taken) {
        synchronized (s) {
            s.holds -= n;
            if (s.counted && (taken || s.holds == 0)) {
                s.counted = false;
                sharedOnce.addAndGet(-s.bytes);
                return taken ? 0 : s.bytes;
            }
            return 0;
        }
    }

    /** Evicts the largest evictable units until {@code bytesWanted} were freed; never waits for a lock. */
    @Override
    public final long spill(long bytesWanted) {
        if (closed || files.lock.isHeldByCurrentThread()) {
            return 0;
        }
        long freed = 0;
        Set<StoreUnit> busy = new HashSet<>();
        List<Eviction> report = new ArrayList<>();
        while (freed < bytesWanted) {
            StoreUnit best = largest(busy);
            if (best == null) {
                break;
            }
            long got = evict(best, false, report);
            if (got == 0) {
                busy.add(best);
            }
            freed += got;
        }
        reported(report);
        return freed;
    }

    /**
     * Evicts the largest evictable unit, for the owner's own policies (waits for its lock; do not
     * call from inside a reservation).
     *
     * @return bytes freed, 0 when nothing is left to evict
     */
    public final long evictLargest() {
        ensureOpen();
        Set<StoreUnit> done = new HashSet<>();
        List<Eviction> report = new ArrayList<>();
        StoreUnit best;
        while ((best = largest(done)) != null) {
            long got = evict(best, true, report);
            if (got > 0) {
                reported(report);
                return got;
            }
            done.add(best);
        }
        return 0;
    }

    /**
     * Evicts unit {@code unit} (waiting for its lock); returns bytes freed (0 when not evictable or
     * empty; of a shared morsel only a last hold, see {@link StreamStore#addShared}).
     */
    public final long evict(int unit) {
        ensureOpen();
        List<Eviction> report = new ArrayList<>();
        long freed = evict(unit(unit), true, report);
        reported(report);
        return freed;
    }

    /** Hands the evictions of one request to the {@link StoreBuilder#onSpill} listener (no unit lock held). */
    final void reported(List<Eviction> report) {
        if (!report.isEmpty()) {
            onSpill.accept(List.copyOf(report));
        }
    }

    /**
     * Try-locks the file lock, waiting at most {@link #FILE_LOCK_WAIT_NANOS}. Another thread
     * holds it only while it writes blocks, which is short; giving up at once made a reservation
     * fail with most of the store still evictable whenever two threads appended to spilled units.
     * The wait is bounded because the writer may itself be waiting for the memory manager, which
     * the caller may hold.
     */
    private boolean tryLockFiles() {
        if (files.lock.tryLock()) {
            return true;
        }
        try {
            return files.lock.tryLock(FILE_LOCK_WAIT_NANOS, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
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
     * may wait for locks; otherwise only try-locks. What it wrote is added to {@code report}.
     */
    final long evict(StoreUnit u, boolean wait, List<Eviction> report) {
        if (files.lock.isHeldByCurrentThread()) {
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
                files.lock.lock();
            } else if (!tryLockFiles()) {
                return 0;
            }
            long freed = 0;
            long written = 0;
            long rows = 0;
            int morsels;
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
                u.spilled |= writeThrough;
                morsels = out.size();
                try {
                    for (Morsel m : out) {
                        written += m.byteSize();
                        rows += m.rowCount();
                        freed += leave(u, m, false);
                    }
                    last = write(u, out);
                } finally {
                    out.forEach(Morsel::close);
                    u.updateBytes();
                }
            } finally {
                files.lock.unlock();
            }
            stats.evicted(written);
            if (this instanceof PartitionedStore && written > 0) {
                events.accept(new PartitionEvicted(component, u.id, written, StoreFiles.pathOf(last)));
            }
            if (morsels > 0) {
                Eviction e = new Eviction(u.id, morsels, rows, written, StoreFiles.pathOf(last), wait);
                onEvict.accept(e);
                report.add(e);
            }
            return freed;
        } finally {
            if (!own) {
                u.lock.unlock();
            }
        }
    }

    // ================================================================== reading back

    /** Marks unit {@code unit} not evictable until {@link #unpin}; pins nest. */
    public final void pin(int unit) {
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            u.pins++;
        } finally {
            u.lock.unlock();
        }
    }

    /** Undoes one {@link #pin}. */
    public final void unpin(int unit) {
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
     * @throws IllegalStateException for a hash partition before {@link PartitionedStore#finishInput}
     */
    public final List<Morsel> take(int unit) {
        ensureReadable();
        checkTakeable(unit);
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            checkLive(u);
            return takeLocked(u);
        } finally {
            u.lock.unlock();
        }
    }

    /** Marks the unit taken and hands out its sealed morsels (unit lock held). */
    final List<Morsel> takeLocked(StoreUnit u) {
        u.taken = true;
        List<Morsel> out = u.sealed;
        for (Morsel m : out) {
            leave(u, m, true);
        }
        u.sealed = new ArrayList<>();
        u.sealedBytes = 0;
        u.updateBytes();
        return out;
    }

    /**
     * The spilled blocks of unit {@code unit}, in write order, each read when {@code next()} is
     * called into buffers charged to {@code readBudget} (the caller owns every morsel). Blocks
     * written while iterating are included. Several threads may read different units at once.
     */
    public final Iterator<Morsel> readSpilled(int unit, MemoryBudget readBudget) {
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

    private StoreUnit.BlockRef blockAt(StoreUnit u, int i) {
        u.lock.lock();
        try {
            checkLive(u);
            return i < u.blocks.size() ? u.blocks.get(i) : null;
        } finally {
            u.lock.unlock();
        }
    }

    final Morsel readBlock(StoreUnit.BlockRef ref, MemoryBudget readBudget) {
        ensureReadable();
        Morsel m = ref.file().read(ref.index(), schema, readBudget);
        stats.blockRead();
        return m;
    }

    /**
     * Frees what is left of unit {@code unit} in memory and drops its blocks; a file is deleted
     * once no live unit has blocks in it. Idempotent.
     */
    public final void release(int unit) {
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
            freeSealed(u);
            if (u.open != null) {
                u.open.close();
            }
        } finally {
            u.sealed = new ArrayList<>();
            u.open = null;
            u.sealedBytes = 0;
            u.bytes = 0;
            u.blocks.clear();
            files.drop(u);
        }
    }

    /** Lets go of and closes the unit's sealed morsels (unit lock held; the caller resets the list). */
    final void freeSealed(StoreUnit u) {
        try {
            for (Morsel m : u.sealed) {
                leave(u, m, false);
            }
        } finally {
            u.sealed.forEach(Morsel::close);
        }
    }

    // ================================================================== state

    /** Bytes of unit {@code unit} in memory (sealed and open); read without locks. */
    public final long bytes(int unit) {
        return unit(unit).bytes;
    }

    /** Rows appended to unit {@code unit}, in memory and on disk. */
    public final long rows(int unit) {
        return unit(unit).rows;
    }

    /** Rows of unit {@code unit} on disk. */
    public final long spilledRows(int unit) {
        return unit(unit).spilledRows;
    }

    /** In-memory size of the rows of unit {@code unit} on disk (their bytes before compression). */
    public final long spilledBytes(int unit) {
        return unit(unit).spilledBytes;
    }

    /** Bytes of unit {@code unit}'s blocks in the spill file (compressed, with their headers). */
    public final long diskBytes(int unit) {
        return unit(unit).diskBytes;
    }

    /**
     * Whether unit {@code unit} writes its later chunks to disk: it was evicted (unless the store
     * {@link StoreBuilder#keepAddingInMemory keeps adding in memory}), moved or created on disk.
     */
    public final boolean spilled(int unit) {
        return unit(unit).spilled;
    }

    /** Blocks of unit {@code unit} on disk. */
    public final int blockCount(int unit) {
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            return u.blocks.size();
        } finally {
            u.lock.unlock();
        }
    }

    /** In-memory bytes over all units. */
    public final long bytesInMemory() {
        long n = 0;
        for (StoreUnit u : units()) {
            n += u.bytes;
        }
        return n;
    }

    /** Spill files the store holds now. */
    public final int fileCount() {
        return files.count();
    }

    /** The file holding the last block of unit {@code unit}, or null when it has none on disk. */
    public final Path file(int unit) {
        StoreUnit u = unit(unit);
        u.lock.lock();
        try {
            return u.blocks.isEmpty() ? null : u.blocks.getLast().file().path();
        } finally {
            u.lock.unlock();
        }
    }

    /**
     * Changes the forced-spill fraction (see {@link StoreBuilder#forceSpill}) for what is decided
     * from now on: partitions at {@link PartitionedStore#finishInput}, streams at their creation.
     */
    public final void forceSpill(double fraction) {
        this.forceSpill = StoreBuilder.checkFraction(fraction);
    }

    /** The seal size of this store's chunks. */
    public final long sealBytes() {
        return sealBytes;
    }

    /** Counters (a re-partitioned child shares its parent's). */
    public final StoreStats stats() {
        return stats;
    }

    /** The rows' schema. */
    public final Schema schema() {
        return schema;
    }

    /** Frees every unit and deletes every file. Idempotent. */
    @Override
    public final void close() {
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
        try {
            files.deleteAll();
        } catch (RuntimeException e) {
            first = first == null ? e : first;
        }
        if (first != null) {
            throw first;
        }
    }

    // ================================================================== checks

    final void checkAppendable(StoreUnit u) {
        checkLive(u);
        if (u.taken) {
            throw new IllegalStateException(component + ": unit " + u.id + " was taken; no rows may be appended");
        }
    }

    final void checkLive(StoreUnit u) {
        if (u.released) {
            throw new IllegalStateException(component + ": unit " + u.id + " was released");
        }
    }

    final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(component + ": the store is closed");
        }
    }

    final void ensureReadable() {
        ensureOpen();
        RuntimeException f = failure;
        if (f != null) {
            throw new SpillException(component + ": a spill write failed earlier, rows were lost: " + f.getMessage(), f);
        }
    }
}
