package dev.spillway.memory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A test stand-in for a spillable operator: it holds {@link NativeBuffer}s charged to its own
 * budget and "spills" by closing them, largest first.
 *
 * <p>It follows the {@link Spillable} contract the way a real operator would: its state is guarded
 * by a {@link ReentrantLock}; {@link #spill} only {@code tryLock}s (answers 0 when another thread
 * holds the lock) and is re-entrant for the owner's own thread. Each buffer is filled with the
 * party's {@code pattern} and checked when freed, so two owners ever sharing memory shows up as a
 * corrupted pattern.
 */
final class BufferHoldingParty implements Spillable, AutoCloseable {
    private final String name;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final byte pattern;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<NativeBuffer> held = new ArrayList<>();
    private final AtomicLong heldBytes = new AtomicLong();
    private final AtomicInteger spillCalls = new AtomicInteger();
    private final AtomicInteger busyAnswers = new AtomicInteger();
    private final AtomicLong spilledBytes = new AtomicLong();
    private MemorySegment expected = MemorySegment.ofArray(new byte[0]);

    BufferHoldingParty(String name, BlockPool pool, MemoryBudget budget, byte pattern) {
        this.name = name;
        this.pool = pool;
        this.budget = budget;
        this.pattern = pattern;
    }

    /** The lock a real operator would hold while it works on its state. */
    ReentrantLock lock() {
        return lock;
    }

    MemoryBudget budget() {
        return budget;
    }

    /**
     * Allocates a buffer through {@link BlockPool#allocate} (which may make any party spill,
     * this one included) and keeps it.
     */
    NativeBuffer allocate(long bytes) {
        lock.lock();
        try {
            NativeBuffer b = pool.allocate(budget, bytes);
            b.segment().fill(pattern);
            held.add(b);
            heldBytes.addAndGet(b.capacity());
            return b;
        } finally {
            lock.unlock();
        }
    }

    /** Allocates {@code count} buffers of {@code bytes} each. */
    void fill(int count, long bytes) {
        for (int i = 0; i < count; i++) {
            allocate(bytes);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long spillableBytes() {
        return heldBytes.get();
    }

    @Override
    public long spill(long bytesWanted) {
        if (!lock.tryLock()) {
            busyAnswers.incrementAndGet();
            return 0;
        }
        try {
            spillCalls.incrementAndGet();
            held.sort(Comparator.comparingLong(NativeBuffer::capacity).reversed());
            long freed = 0;
            while (freed < bytesWanted && !held.isEmpty()) {
                freed += free(held.removeFirst());
            }
            spilledBytes.addAndGet(freed);
            return freed;
        } finally {
            lock.unlock();
        }
    }

    /** Frees every buffer still held; the party stays usable. */
    @Override
    public void close() {
        releaseAll();
    }

    /** Frees every buffer still held. */
    void releaseAll() {
        lock.lock();
        try {
            while (!held.isEmpty()) {
                free(held.removeLast());
            }
        } finally {
            lock.unlock();
        }
    }

    private long free(NativeBuffer b) {
        long size = b.capacity();
        if (expected.byteSize() < size) {
            byte[] bytes = new byte[(int) size];
            expected = MemorySegment.ofArray(bytes);
            expected.fill(pattern);
        }
        long mismatch = MemorySegment.mismatch(b.segment(), 0, size, expected, 0, size);
        heldBytes.addAndGet(-size);
        b.close();
        if (mismatch != -1) {
            throw new AssertionError("buffer of party '" + name + "' was overwritten by someone else at offset "
                    + mismatch + " of " + size);
        }
        return size;
    }

    int spillCalls() {
        return spillCalls.get();
    }

    int busyAnswers() {
        return busyAnswers.get();
    }

    long spilledBytes() {
        return spilledBytes.get();
    }

    int buffersHeld() {
        lock.lock();
        try {
            return held.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
