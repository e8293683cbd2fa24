package dev.spillway.spill;

import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link RowStore} of ordered streams: sort runs, multiplexer backlogs. {@link #add} appends
 * whole sealed morsels to a stream; {@link #poll} returns them in the same order, whether they
 * stayed in memory or were spilled (an evicted stream's morsels precede the ones added after, so
 * its blocks come first). A stream may be polled while other streams are added to and spill into
 * the same file.
 */
public final class StreamStore extends RowStore {
    private final List<StoreUnit> streams = new CopyOnWriteArrayList<>();
    private final boolean forceSpillAtEnd;
    /** Streams started, by {@link #newStream} or {@link #restart}: the number the forced-spill rule counts; guarded by {@code streams}. */
    private int started;

    StreamStore(StoreBuilder b) {
        super(b, new StoreStats(), "streams");
        this.forceSpillAtEnd = b.forceSpillAtEnd;
    }

    /** Whether the forced-spill fraction selects stream k: {@code floor((k+1)f) > floor(kf)}. */
    private boolean forced(int k) {
        double f = forceSpill;
        return f > 0 && Math.floor((k + 1) * f) > Math.floor(k * f);
    }

    /**
     * A new stream, numbered from 0 in creation order. With a forced-spill fraction f, stream k
     * is spilled from the start (every morsel goes to disk) when {@code floor((k+1)f) > floor(kf)}.
     */
    public int newStream() {
        return newStream(false);
    }

    /**
     * A new stream as {@link #newStream()}, written straight to disk when {@code toDisk} (for rows
     * that will only be read back later, e.g. the output of an intermediate merge).
     */
    public int newStream(boolean toDisk) {
        ensureOpen();
        synchronized (streams) {
            int k = streams.size();
            StoreUnit u = new StoreUnit(k);
            u.spilled = toDisk || (!forceSpillAtEnd && forced(started++));
            streams.add(u);
            return k;
        }
    }

    /**
     * Empties stream {@code stream} and starts it anew, as {@link #newStream()} would start the
     * next stream (the forced-spill rule counts it as one more stream): for owners that fill and
     * drain one stream after another (e.g. a merge join's runs, one per key), without a new unit
     * each time. Its morsels in memory are freed and its blocks dropped (a file is deleted once no
     * stream has blocks in it).
     *
     * @throws IllegalStateException when the stream is pinned or was released
     */
    public void restart(int stream) {
        ensureOpen();
        StoreUnit u = unit(stream);
        u.lock.lock();
        try {
            checkLive(u);
            if (u.pins > 0) {
                throw new IllegalStateException(component + ": stream " + stream + " is pinned and cannot restart");
            }
            try {
                freeSealed(u);
            } finally {
                u.sealed = new ArrayList<>();
                u.sealedBytes = 0;
                u.blocks.clear();
                u.polled = 0;
                u.rows = 0;
                u.spilledRows = 0;
                u.taken = false;
                u.updateBytes();
                files.drop(u);
                synchronized (streams) {
                    u.spilled = !forceSpillAtEnd && forced(started++);
                }
            }
        } finally {
            u.lock.unlock();
        }
    }

    /**
     * Evicts stream {@code stream} and makes it write its later morsels through, even when it
     * holds nothing in memory now (an eviction of an empty stream changes nothing). Returns the
     * bytes freed; 0 as well when the stream is pinned, taken or released (it then stays put).
     */
    public long moveToDisk(int stream) {
        long freed = evict(stream);
        StoreUnit u = unit(stream);
        u.lock.lock();
        try {
            u.spilled |= u.evictable();
        } finally {
            u.lock.unlock();
        }
        return freed;
    }

    /**
     * Ends the input of a store built with {@link StoreBuilder#forceSpillAtEnd}: evicts every
     * stream the forced-spill fraction selects (as {@link #newStream()} would have at its
     * creation) and that is evictable, as one request. Returns the bytes freed; a no-op without
     * {@code forceSpillAtEnd} (the streams were selected when created).
     */
    public long finishInput() {
        ensureOpen();
        if (!forceSpillAtEnd) {
            return 0;
        }
        long freed = 0;
        List<Eviction> report = new ArrayList<>();
        for (StoreUnit u : streams) {
            if (forced(u.id)) {
                freed += evict(u, true, report);
            }
        }
        reported(report);
        return freed;
    }

    /**
     * Appends {@code sealed} to stream {@code stream}, taking ownership (closed at once when it
     * goes to disk, or when this throws). Thread-safe; one producer per stream keeps the order.
     */
    public void add(int stream, Morsel sealed) {
        StoreUnit u;
        try {
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
     * Appends views of {@code sealed} to each of {@code streams} (distinct), taking ownership of
     * it: readers of different streams share its buffers. Its bytes count once towards
     * {@link #spillableBytes} until a reader polls or takes a view (its memory is then also in
     * that reader's hands) or every stream let go of its view; an eviction reports as freed only
     * the views whose last hold it dropped (write-through streams let go at once). Each stream
     * still counts the bytes in full in {@link #bytes(int)}, so a per-stream bound is
     * conservative. One producer for all the streams keeps their order.
     *
     * @throws IllegalArgumentException when a stream is listed twice or none is
     */
    public void addShared(Morsel sealed, int... streams) {
        try (sealed) {
            ensureOpen();
            if (streams.length == 0) {
                throw new IllegalArgumentException(component + ": a shared morsel needs at least one stream");
            }
            for (int i = 0; i < streams.length; i++) {
                checkAppendable(unit(streams[i]));
                for (int j = 0; j < i; j++) {
                    if (streams[i] == streams[j]) {
                        throw new IllegalArgumentException(component + ": stream " + streams[i] + " listed twice");
                    }
                }
            }
            StoreUnit.Share share = new StoreUnit.Share(sealed.byteSize(), streams.length);
            sharedOnce.addAndGet(share.bytes);
            int added = 0;
            try {
                for (int k : streams) {
                    Morsel view = sealed.withSequence(sealed.sequence());
                    added++;
                    addView(unit(k), view, share);
                }
            } finally {
                if (added < streams.length) {
                    dropHolds(share, streams.length - added, false);
                }
            }
        }
    }

    /**
     * Adds one stream's view of a shared morsel, taking ownership of the view and of one hold:
     * the hold is dropped unless the view stays in memory (written through, or failed).
     */
    private void addView(StoreUnit u, Morsel view, StoreUnit.Share share) {
        boolean kept = false;
        boolean handedOn = false;
        u.lock.lock();
        try {
            checkAppendable(u);
            u.rows += view.rowCount();
            if (u.spilled) {
                handedOn = true;
                keepOrWrite(u, view);
            } else {
                u.sealed.add(view);
                u.sealedBytes += view.byteSize();
                if (u.shares == null) {
                    u.shares = new IdentityHashMap<>();
                }
                u.shares.put(view, share);
                u.sharedBytes += view.byteSize();
                kept = true;
            }
        } finally {
            try {
                if (!kept) {
                    dropHolds(share, 1, false);
                    if (!handedOn) {
                        view.close();
                    }
                }
                u.updateBytes();
            } finally {
                u.lock.unlock();
            }
        }
    }

    /**
     * The next morsel of stream {@code stream} in append order — its spilled blocks first, then
     * the morsels still in memory — or null when none is there now; a block is read into buffers
     * charged to {@code readBudget}. The caller owns the morsel. One consumer per stream. Once
     * every block of the stream in a file was polled, the stream lets go of that file, which is
     * deleted when no other stream has blocks in it (a polled stream is not {@link #read} again).
     */
    public Morsel poll(int stream, MemoryBudget readBudget) {
        ensureReadable();
        StoreUnit u = unit(stream);
        StoreUnit.BlockRef ref;
        u.lock.lock();
        try {
            checkLive(u);
            if (u.polled < u.blocks.size()) {
                ref = u.blocks.get(u.polled++);
            } else if (!u.sealed.isEmpty()) {
                Morsel m = u.sealed.removeFirst();
                leave(u, m, true);
                u.sealedBytes -= m.byteSize();
                u.updateBytes();
                return m;
            } else {
                return null;
            }
        } finally {
            u.lock.unlock();
        }
        Morsel m = readBlock(ref, readBudget);
        try {
            dropIfConsumed(u, ref.file());
        } catch (RuntimeException e) {
            // Deleting the consumed file failed (its directory is gone): the block read back is
            // not handed out, so it is released here.
            m.close();
            throw e;
        }
        return m;
    }

    /**
     * Lets go of {@code file} for a polled stream once its next block (if any) lies in another
     * file: blocks are written in file order, so none of this stream's unpolled blocks is in it,
     * and the file is deleted (its disk freed) as soon as no other stream has blocks in it.
     */
    private void dropIfConsumed(StoreUnit u, StoreFile file) {
        u.lock.lock();
        try {
            if (u.polled == u.blocks.size() || u.blocks.get(u.polled).file() != file) {
                files.drop(u, file);
            }
        } finally {
            u.lock.unlock();
        }
    }

    /**
     * Morsel {@code index} of stream {@code stream} in append order, without consuming it: a
     * block read back into buffers charged to {@code readBudget}, or a view of a morsel still in
     * memory (it shares the stored buffers: an eviction meanwhile frees them only once the view
     * is closed). The caller closes it. For streams that are not {@link #poll polled}; a stream
     * may be read any number of times, by several threads, while it is added to and spilled
     * (an eviction appends a stream's in-memory morsels after its blocks, so indexes stay put).
     *
     * @throws IndexOutOfBoundsException when {@code index >= size(stream)}
     */
    public Morsel read(int stream, int index, MemoryBudget readBudget) {
        ensureReadable();
        StoreUnit u = unit(stream);
        StoreUnit.BlockRef ref;
        u.lock.lock();
        try {
            checkLive(u);
            int onDisk = u.blocks.size();
            if (index >= onDisk) {
                Morsel m = u.sealed.get(index - onDisk);
                return m.slice(0, m.rowCount());
            }
            ref = u.blocks.get(index);
        } finally {
            u.lock.unlock();
        }
        return readBlock(ref, readBudget);
    }

    /** Morsels of stream {@code stream} not yet polled, on disk and in memory. */
    public int size(int stream) {
        StoreUnit u = unit(stream);
        u.lock.lock();
        try {
            return u.blocks.size() - u.polled + u.sealed.size();
        } finally {
            u.lock.unlock();
        }
    }

    @Override
    public int unitCount() {
        return streams.size();
    }

    @Override
    List<StoreUnit> units() {
        return streams;
    }

    @Override
    StoreUnit unit(int unit) {
        return streams.get(unit);
    }

    @Override
    void checkTakeable(int unit) {
        // A stream's morsels are sealed as they arrive: they may be taken at any time.
    }
}
