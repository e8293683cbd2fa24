package dev.spillway.operators.mux;

import dev.spillway.event.BacklogSpilled;
import dev.spillway.event.EventSink;
import dev.spillway.event.MultiplexerInputComplete;
import dev.spillway.event.MultiplexerReaderDetached;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.spill.Eviction;
import dev.spillway.spill.StreamStore;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.IntStream;

/**
 * The shared state of one fan-out: the producer's {@link MultiplexerSink} publishes each morsel,
 * in source order, to the backlog of every consumer; each consumer's {@link MultiplexerSource}
 * takes from its own backlog. See the package documentation for the design.
 *
 * <p>The backlogs are the streams of one {@link StreamStore}, one per consumer; each published
 * morsel is added to all of them as shared views ({@link StreamStore#addShared}). The store owns
 * victim choice, locking and the spill files; an evicted backlog keeps taking later morsels in
 * memory ({@code keepAddingInMemory}), and a file goes once every backlog polled its blocks.
 *
 * <p>Readers that stop early: a consumer whose source is {@link MultiplexerSource#detach()
 * detached} (nobody will pull it again, e.g. a satisfied {@code head} downstream) has its backlog
 * released at once (its in-memory views dropped, its blocks let go of) and takes no later morsel;
 * once every consumer has detached, {@link #allDetached()} turns true (the planner stops the
 * producer's source on it) and later morsels are closed unpublished. Each detach is reported as a
 * {@code MultiplexerReaderDetached} event.
 *
 * <p>Thread topology: publishing is serialised by the sink's reorder buffer (one publisher at a
 * time) and holds the publish lock, which a detach also takes, so that a morsel is added either
 * before a backlog is released or not at all; each consumer's pulling workers take turns on its
 * poll lock (so that its sequence numbers follow its order), which a detach of that consumer
 * takes first; the memory manager's reclaiming thread spills through the store, which only
 * try-locks.
 *
 * <p>Memory accounting: a morsel waiting in several backlogs counts once towards
 * {@link #spillableBytes()} (its buffers are shared) but in full towards each backlog's share,
 * so the share is a conservative bound. {@link #spill} reports as freed only the morsels whose last
 * hold it dropped and that no consumer took (a consumer may still be reading those buffers).
 * Forced spill is a per-morsel floor: morsel k of the input is spilled from every backlog right
 * after it was published when {@code floor((k + 1) f) > floor(k f)}.
 */
public final class Multiplexer implements Spillable, AutoCloseable {
    /** The component name in its events. */
    private static final String COMPONENT = "multiplexer";
    /** Phases of the fan-out. */
    enum State {
        /** The producer is publishing; consumers pull concurrently. */
        PRODUCING,
        /** The producer finished; consumers drain their backlogs. */
        DRAINING,
        /** Closed: every backlog was released. */
        CLOSED
    }

    private final String name;
    private final MemoryBudget readBudget;
    private final EventSink events;
    private final long backlogShare;
    private final int[] streams;
    private final StreamStore store;
    /** Why the publisher evicts each backlog; read by the store's eviction listener on the publisher's thread. */
    private final String[] reasons;
    private final ReentrantLock[] pollLocks;
    /** Next sequence number of each consumer; guarded by its poll lock. */
    private final long[] taken;
    /** Guarded by the reorder buffer's lock (the publisher); read under {@code peakLock}. */
    private final long[] peak;
    private final Object peakLock = new Object();
    /** Publishing and polling hold it shared; {@link #close} exclusively, so nothing touches a closed store. */
    private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    private final AtomicLong bytesSpilled = new AtomicLong();
    private final AtomicLong morselsSpilled = new AtomicLong();
    private final AtomicInteger runsSpilled = new AtomicInteger();
    /** Morsels each backlog wrote to spill files. */
    private final AtomicLongArray morselsSpilledBy;
    /** Nonzero once consumer i has detached. */
    private final AtomicIntegerArray detached;
    /** Serialises a publish with the detaching of a backlog. */
    private final Object publishLock = new Object();
    /** The streams of the consumers still attached; guarded by {@code publishLock}. */
    private int[] attached;
    /** Consumers still attached (the length of {@code attached}, readable without the lock). */
    private final AtomicInteger attachedCount;
    private final MultiplexerSource[] sources;
    private volatile State state = State.PRODUCING;
    private volatile double forceSpill;
    /** Guarded by {@code publishLock}. */
    private long published;
    /** Guarded by {@code publishLock}. */
    private long rowsPublished;

    /**
     * Creates a fan-out to {@code consumers} consumers.
     *
     * @param name         name in logs and explain output, e.g. {@code "multiplexer-3"}
     * @param schema       the schema of the morsels
     * @param ctx          the multiplexer's context: backlogs spill to its spill directory; morsels read back
     *                     from spill files are charged to its output budget (they outlive the multiplexer:
     *                     the consumers pass them on); events are {@code multiplexer} events
     * @param backlogBytes memory all backlogs together may hold; each consumer gets an equal share
     * @throws IllegalArgumentException when fewer than 2 consumers or a negative memory share is given
     */
    public Multiplexer(String name, Schema schema, int consumers, OperatorContext ctx, long backlogBytes) {
        if (consumers < 2) {
            throw new IllegalArgumentException("multiplexer '" + name + "' needs at least 2 consumers, got " + consumers
                    + " (a single consumer reads its input directly)");
        }
        if (backlogBytes < 0) {
            throw new IllegalArgumentException("multiplexer '" + name + "' backlog memory must be >= 0, got " + backlogBytes);
        }
        this.name = name;
        this.readBudget = ctx.outputBudget();
        this.events = ctx.events();
        this.forceSpill = ctx.forceSpill();
        this.backlogShare = backlogBytes / consumers;
        this.reasons = new String[consumers];
        this.pollLocks = new ReentrantLock[consumers];
        this.taken = new long[consumers];
        this.peak = new long[consumers];
        this.sources = new MultiplexerSource[consumers];
        // The forced-spill floor is per morsel (see the class comment), not the store's per stream.
        this.store = ctx.store(COMPONENT, schema).forceSpill(0).keepAddingInMemory().onEvict(this::spilled).streams();
        this.streams = IntStream.range(0, consumers).map(i -> store.newStream()).toArray();
        this.attached = streams.clone();
        this.attachedCount = new AtomicInteger(consumers);
        this.morselsSpilledBy = new AtomicLongArray(consumers);
        this.detached = new AtomicIntegerArray(consumers);
        for (int i = 0; i < consumers; i++) {
            pollLocks[i] = new ReentrantLock();
        }
    }

    /**
     * Spills this fraction (0 to 1) of the published morsels from every backlog right after
     * publishing them, whatever the memory (1.0: every morsel a consumer has not yet taken).
     */
    public void forceSpill(double fraction) {
        this.forceSpill = fraction;
    }

    /** Number of consumers. */
    public int consumers() {
        return streams.length;
    }

    /** The source of consumer {@code i} (0-based); each consumer pipeline reads exactly one. */
    public synchronized MultiplexerSource source(int i) {
        if (sources[i] == null) {
            sources[i] = new MultiplexerSource(this, i);
        }
        return sources[i];
    }

    /** The sink that ends the producer's pipeline. */
    public MultiplexerSink sink() {
        return new MultiplexerSink(this);
    }

    /** The name given at creation. */
    public String label() {
        return name;
    }

    /** Memory one backlog may hold before it spills. */
    public long backlogShare() {
        return backlogShare;
    }

    /** Bytes (uncompressed) written to spill files by all backlogs. */
    public long bytesSpilled() {
        return bytesSpilled.get();
    }

    /** Morsels written to spill files by all backlogs. */
    public long morselsSpilled() {
        return morselsSpilled.get();
    }

    /**
     * Spilled runs: stretches of consecutive morsels of one backlog written at once (one per
     * eviction). The backlogs share the store's files, so a run is not a file of its own.
     */
    public int runsSpilled() {
        return runsSpilled.get();
    }

    /** Morsels backlog {@code i} wrote to spill files. */
    public long morselsSpilled(int i) {
        return morselsSpilledBy.get(i);
    }

    /** Whether consumer {@code i} has detached (it will not poll again; its backlog is released). */
    public boolean isDetached(int i) {
        return detached.get(i) != 0;
    }

    /** Whether every consumer has detached: nothing published now would be read, so the producer may stop. */
    public boolean allDetached() {
        return attachedCount.get() == 0;
    }

    /** Morsels read back from spill files. */
    public long morselsReadBack() {
        return store.stats().blocksRead();
    }

    /** Most bytes backlog {@code i} held in memory at once (after spilling what exceeded its share). */
    public long peakBacklogBytes(int i) {
        synchronized (peakLock) {
            return peak[i];
        }
    }

    // ================================================================== producing

    /** Takes a producer morsel (any order); publishes every morsel that is now next in source order. */
    void accept(Morsel m) {
        if (state == State.CLOSED) {
            m.close();
            return;
        }
        reorder.add(m.sequence(), m, this::publish);
    }

    /** Sequence number {@code sequence} of the producer was filtered out entirely. */
    void skip(long sequence) {
        reorder.skip(sequence, this::publish);
    }

    /** The producer ended: consumers drain what is left, then report exhaustion. */
    void producerFinished() {
        if (allDetached()) {
            // The producer was stopped early: nothing waiting will be read.
            reorder.drain().forEach(Morsel::close);
        } else if (reorder.waitingCount() != 0) {
            throw new IllegalStateException("multiplexer '" + name + "' is missing morsel " + reorder.nextSequence()
                    + " of its input");
        }
        state = State.DRAINING;
        long morsels;
        long rows;
        synchronized (publishLock) {
            morsels = published;
            rows = rowsPublished;
        }
        events.accept(new MultiplexerInputComplete(COMPONENT, name, streams.length, morsels, rows, bytesSpilled.get(),
                runsSpilled.get()));
    }

    /** Runs under the reorder buffer's lock: one morsel at a time, in source order. */
    private void publish(Morsel m) {
        life.readLock().lock();
        try {
            if (m.rowCount() == 0 || state == State.CLOSED) {
                m.close();
                return;
            }
            synchronized (publishLock) {
                int[] to = attached;
                if (to.length == 0) {
                    m.close();
                    return;
                }
                long k = published++;
                rowsPublished += m.rowCount();
                double f = forceSpill;
                boolean force = f > 0 && Math.floor((k + 1) * f) > Math.floor(k * f);
                store.addShared(m, to);
                for (int i : to) {
                    if (force || store.bytes(i) > backlogShare) {
                        reasons[i] = force ? "forced" : "share";
                        store.evict(i);
                    }
                    long held = store.bytes(i);
                    synchronized (peakLock) {
                        peak[i] = Math.max(peak[i], held);
                    }
                }
            }
        } finally {
            life.readLock().unlock();
        }
    }

    /** The store's report of one eviction: counted and emitted as the backlog's spill. */
    private void spilled(Eviction e) {
        bytesSpilled.addAndGet(e.bytes());
        morselsSpilled.addAndGet(e.morsels());
        runsSpilled.incrementAndGet();
        morselsSpilledBy.addAndGet(e.unit(), e.morsels());
        String reason = e.requested() ? reasons[e.unit()] : "pressure";
        events.accept(new BacklogSpilled(COMPONENT, e.unit(), e.bytes(), e.rows(), e.morsels(), 1, reason, name));
    }

    // ================================================================== consuming

    /** The next morsel of consumer {@code i}, numbered densely from 0, or null when its backlog is empty now. */
    Morsel poll(int i) {
        life.readLock().lock();
        try {
            if (state == State.CLOSED) {
                return null;
            }
            ReentrantLock lock = pollLocks[i];
            lock.lock();
            try {
                if (detached.get(i) != 0) {
                    return null;
                }
                Morsel out = store.poll(streams[i], readBudget);
                if (out == null) {
                    return null;
                }
                try (out) {
                    return out.withSequence(taken[i]++);
                }
            } finally {
                lock.unlock();
            }
        } finally {
            life.readLock().unlock();
        }
    }

    /** Whether consumer {@code i} has had everything: the producer ended and its backlog is empty. */
    boolean isExhausted(int i) {
        if (detached.get(i) != 0) {
            return true;
        }
        // Read the state first: every publish happens before the producer finishes, so once
        // DRAINING is seen the backlog's emptiness is final.
        return state != State.PRODUCING && (state == State.CLOSED || store.size(streams[i]) == 0);
    }

    /**
     * Consumer {@code i} will not poll again: releases its backlog (in memory and on disk) and
     * leaves it out of later publishes; reports a {@code MultiplexerReaderDetached} event.
     * Idempotent; a no-op once closed. A poll of this consumer under way finishes first.
     */
    void detach(int i) {
        long droppedMorsels;
        long droppedBytes;
        long at;
        int left;
        life.readLock().lock();
        try {
            if (state == State.CLOSED) {
                return;
            }
            ReentrantLock lock = pollLocks[i];
            lock.lock();
            try {
                synchronized (publishLock) {
                    if (detached.get(i) != 0) {
                        return;
                    }
                    int stream = streams[i];
                    droppedMorsels = store.size(stream);
                    droppedBytes = store.bytes(stream);
                    detached.set(i, 1);
                    attached = Arrays.stream(attached).filter(s -> s != stream).toArray();
                    left = attached.length;
                    attachedCount.set(left);
                    at = published;
                    store.release(stream);
                }
            } finally {
                lock.unlock();
            }
        } finally {
            life.readLock().unlock();
        }
        events.accept(new MultiplexerReaderDetached(COMPONENT, name, i, at, droppedMorsels, droppedBytes, left));
    }

    // ================================================================== spilling

    @Override
    public String name() {
        return "multiplexer";
    }

    @Override
    public long spillableBytes() {
        return state == State.CLOSED ? 0 : store.spillableBytes();
    }

    /** Spills the fullest backlogs the store can lock now until {@code bytesWanted} were freed. */
    @Override
    public long spill(long bytesWanted) {
        return state == State.CLOSED ? 0 : store.spill(bytesWanted);
    }

    // ================================================================== closing

    /** Releases every backlog (views, readers, spill files). Idempotent; called by the sink and every source. */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
        }
        try {
            reorder.drain().forEach(Morsel::close);
        } finally {
            life.writeLock().lock();
            try {
                store.close();
            } finally {
                life.writeLock().unlock();
            }
        }
    }

    @Override
    public String toString() {
        return "Multiplexer[" + name + ", " + streams.length + " consumers]";
    }
}
