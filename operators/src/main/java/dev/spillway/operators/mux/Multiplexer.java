package dev.spillway.operators.mux;

import dev.spillway.event.BacklogSpilled;
import dev.spillway.event.EventSink;
import dev.spillway.event.MultiplexerInputComplete;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillReader;
import dev.spillway.spill.SpillWriter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The shared state of one fan-out: the producer's {@link MultiplexerSink} publishes each morsel,
 * in source order, to the backlog of every consumer; each consumer's {@link MultiplexerSource}
 * takes from its own backlog. See the package documentation for the design.
 *
 * <p>Thread topology: publishing is serialised by the sink's reorder buffer (one publisher at a
 * time); each backlog has its own lock, taken by the publisher, by the consumer's pulling workers
 * and — with {@code tryLock} only — by the memory manager's reclaiming thread.
 *
 * <p>Memory accounting: a morsel waiting in several backlogs counts once towards
 * {@link #spillableBytes()} (its buffers are shared) but in full towards each backlog's share,
 * so the share is a conservative bound. {@link #spill} reports as freed only the morsels whose last
 * hold it dropped and that no consumer took (a consumer may still be reading those buffers).
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

    /**
     * A morsel's buffers as shared by the backlogs that still hold a view of it. Its bytes count
     * as spillable until a consumer takes it (its memory is then also in that consumer's hands)
     * or until spilling dropped every hold (the memory went back to the budget).
     */
    private static final class Shared {
        final long bytes;
        int holders;
        boolean spillable = true;

        Shared(long bytes, int holders) {
            this.bytes = bytes;
            this.holders = holders;
        }
    }

    /** An entry of a backlog: a morsel view in memory or a spilled stretch of morsels. */
    private sealed interface Entry permits Held, Run {
    }

    private record Held(Morsel morsel, Shared shared) implements Entry {
    }

    /** Consecutive morsels of one backlog in one spill file; block {@code b} has sequence {@code firstSeq + b}. */
    private static final class Run implements Entry {
        final SpillFile file;
        final long firstSeq;
        SpillReader reader;
        int next;

        Run(SpillFile file, long firstSeq) {
            this.file = file;
            this.firstSeq = firstSeq;
        }
    }

    /** One consumer's FIFO backlog; every field but {@code empty} is guarded by {@code lock}. */
    private static final class Backlog {
        final int index;
        final ReentrantLock lock = new ReentrantLock();
        ArrayDeque<Entry> entries = new ArrayDeque<>();
        long heldBytes;
        long peakHeldBytes;
        long nextSeq;
        long rowsTaken;
        /** Written under the lock, read without it by {@link #isExhausted}. */
        volatile boolean empty = true;

        Backlog(int index) {
            this.index = index;
        }
    }

    private final String name;
    private final Schema schema;
    private final SpillDirectory spills;
    private final MemoryBudget readBudget;
    private final EventSink events;
    private final long backlogShare;
    private final Backlog[] backlogs;
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    private final AtomicLong sharedBytes = new AtomicLong();
    private final AtomicLong bytesSpilled = new AtomicLong();
    private final AtomicLong morselsSpilled = new AtomicLong();
    private final AtomicInteger runsSpilled = new AtomicInteger();
    private final AtomicLong morselsReadBack = new AtomicLong();
    private final MultiplexerSource[] sources;
    private volatile State state = State.PRODUCING;
    private double forceSpill;
    private long published;
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
        this.schema = schema;
        this.spills = ctx.spills();
        this.readBudget = ctx.outputBudget();
        this.events = ctx.events();
        this.forceSpill = ctx.forceSpill();
        this.backlogShare = backlogBytes / consumers;
        this.backlogs = new Backlog[consumers];
        this.sources = new MultiplexerSource[consumers];
        for (int i = 0; i < consumers; i++) {
            backlogs[i] = new Backlog(i);
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
        return backlogs.length;
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

    /** Spill files written. */
    public int runsSpilled() {
        return runsSpilled.get();
    }

    /** Morsels read back from spill files. */
    public long morselsReadBack() {
        return morselsReadBack.get();
    }

    /** Most bytes backlog {@code i} held in memory at once (after spilling what exceeded its share). */
    public long peakBacklogBytes(int i) {
        Backlog b = backlogs[i];
        b.lock.lock();
        try {
            return b.peakHeldBytes;
        } finally {
            b.lock.unlock();
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
        if (reorder.waitingCount() != 0) {
            throw new IllegalStateException("multiplexer '" + name + "' is missing morsel " + reorder.nextSequence()
                    + " of its input");
        }
        state = State.DRAINING;
        events.accept(new MultiplexerInputComplete(COMPONENT, name, backlogs.length, published, rowsPublished, bytesSpilled.get(),
                runsSpilled.get()));
    }

    /** Runs under the reorder buffer's lock: one morsel at a time, in source order. */
    private void publish(Morsel m) {
        try (m) {
            if (m.rowCount() == 0 || state == State.CLOSED) {
                return;
            }
            // Counted before any backlog holds it: a consumer may take it as soon as it is added.
            Shared shared = new Shared(m.byteSize(), backlogs.length);
            sharedBytes.addAndGet(shared.bytes);
            long k = published++;
            rowsPublished += m.rowCount();
            boolean force = forceSpill > 0 && Math.floor((k + 1) * forceSpill) > Math.floor(k * forceSpill);
            for (Backlog b : backlogs) {
                b.lock.lock();
                try {
                    if (state == State.CLOSED) {
                        drop(shared, false);
                        continue;
                    }
                    b.entries.addLast(new Held(m.withSequence(b.nextSeq++), shared));
                    b.heldBytes += shared.bytes;
                    b.empty = false;
                    if (force || b.heldBytes > backlogShare) {
                        spillBacklog(b, force ? "forced" : "share");
                    }
                    b.peakHeldBytes = Math.max(b.peakHeldBytes, b.heldBytes);
                } finally {
                    b.lock.unlock();
                }
            }
        }
    }

    // ================================================================== consuming

    /** The next morsel of consumer {@code i}, or null when its backlog is empty now. */
    Morsel poll(int i) {
        Backlog b = backlogs[i];
        b.lock.lock();
        try {
            Entry e = b.entries.peekFirst();
            Morsel out;
            if (e == null) {
                return null;
            } else if (e instanceof Held h) {
                b.entries.pollFirst();
                b.heldBytes -= h.shared.bytes;
                drop(h.shared, true);
                out = h.morsel;
            } else {
                out = readBack((Run) e, b);
            }
            b.rowsTaken += out.rowCount();
            b.empty = b.entries.isEmpty();
            return out;
        } finally {
            b.lock.unlock();
        }
    }

    private Morsel readBack(Run r, Backlog b) {
        if (r.reader == null) {
            r.reader = spills.open(r.file, readBudget);
        }
        Morsel out;
        try (Morsel raw = r.reader.read(r.next, schema)) {
            out = raw.withSequence(r.firstSeq + r.next);
        }
        r.next++;
        morselsReadBack.incrementAndGet();
        if (r.next == r.reader.blockCount()) {
            b.entries.pollFirst();
            r.reader.close();
            r.reader = null;
            spills.delete(r.file);
        }
        return out;
    }

    /** Whether consumer {@code i} has had everything: the producer ended and its backlog is empty. */
    boolean isExhausted(int i) {
        // Read the state first: every publish happens before the producer finishes, so once
        // DRAINING is seen the backlog's emptiness is final.
        return state != State.PRODUCING && backlogs[i].empty;
    }

    /**
     * Drops one backlog's hold on a morsel, because its consumer took it ({@code taken}) or
     * because it was spilled or released. Returns the bytes this freed for sure: the last hold on
     * a morsel that no consumer took (a consumer that took it may still be using its buffers).
     */
    private long drop(Shared s, boolean taken) {
        synchronized (s) {
            s.holders--;
            if (s.spillable && (taken || s.holders == 0)) {
                s.spillable = false;
                sharedBytes.addAndGet(-s.bytes);
                return taken ? 0 : s.bytes;
            }
            return 0;
        }
    }

    // ================================================================== spilling

    @Override
    public String name() {
        return "multiplexer";
    }

    @Override
    public long spillableBytes() {
        return state == State.CLOSED ? 0 : sharedBytes.get();
    }

    /** Spills the fullest backlogs whose lock is free until {@code bytesWanted} were freed. */
    @Override
    public long spill(long bytesWanted) {
        List<Backlog> order = new ArrayList<>(List.of(backlogs));
        long[] held = new long[backlogs.length];
        for (Backlog b : backlogs) {
            held[b.index] = b.heldBytes; // a racy sample is fine for ordering
        }
        order.sort(Comparator.comparingLong((Backlog b) -> held[b.index]).reversed());
        long freed = 0;
        for (Backlog b : order) {
            if (freed >= bytesWanted) {
                break;
            }
            if (b.lock.isHeldByCurrentThread() || !b.lock.tryLock()) {
                continue;
            }
            try {
                if (state != State.CLOSED) {
                    freed += spillBacklog(b, "pressure");
                }
            } finally {
                b.lock.unlock();
            }
        }
        return freed;
    }

    /**
     * Writes every morsel that waits in memory in {@code b} to spill files, one per contiguous
     * stretch, keeping the backlog's order (lock held). Returns the bytes whose last hold it dropped.
     */
    private long spillBacklog(Backlog b, String reason) {
        if (b.heldBytes == 0) {
            return 0;
        }
        ArrayDeque<Entry> out = new ArrayDeque<>();
        List<Held> stretch = new ArrayList<>();
        List<Held> written = new ArrayList<>();
        List<Run> created = new ArrayList<>();
        try {
            for (Entry e : b.entries) {
                if (e instanceof Held h) {
                    stretch.add(h);
                    continue;
                }
                if (!stretch.isEmpty()) {
                    out.addLast(writeRun(b, stretch, created));
                    written.addAll(stretch);
                    stretch.clear();
                }
                out.addLast(e);
            }
            if (!stretch.isEmpty()) {
                out.addLast(writeRun(b, stretch, created));
                written.addAll(stretch);
            }
        } catch (RuntimeException ex) {
            for (Run r : created) {
                spills.delete(r.file);
            }
            throw ex;
        }
        b.entries = out;
        long bytes = 0;
        long rows = 0;
        long freed = 0;
        for (Held h : written) {
            bytes += h.shared.bytes;
            rows += h.morsel.rowCount();
            h.morsel.close();
            freed += drop(h.shared, false);
        }
        b.heldBytes -= bytes;
        bytesSpilled.addAndGet(bytes);
        morselsSpilled.addAndGet(written.size());
        runsSpilled.addAndGet(created.size());
        events.accept(new BacklogSpilled(COMPONENT, b.index, bytes, rows, written.size(), created.size(), reason, name));
        return freed;
    }

    private Run writeRun(Backlog b, List<Held> stretch, List<Run> created) {
        SpillWriter w = spills.newWriter(name + "-consumer-" + b.index);
        SpillFile file;
        try {
            for (Held h : stretch) {
                w.append(h.morsel, 0);
            }
            file = w.finish();
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        Run r = new Run(file, stretch.get(0).morsel.sequence());
        created.add(r);
        return r;
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
        reorder.drain().forEach(Morsel::close);
        for (Backlog b : backlogs) {
            b.lock.lock();
            try {
                for (Entry e : b.entries) {
                    if (e instanceof Held h) {
                        h.morsel.close();
                        drop(h.shared, false);
                    } else if (e instanceof Run r) {
                        if (r.reader != null) {
                            r.reader.close();
                        }
                        spills.delete(r.file);
                    }
                }
                b.entries.clear();
                b.heldBytes = 0;
                b.empty = true;
            } finally {
                b.lock.unlock();
            }
        }
    }

    @Override
    public String toString() {
        return "Multiplexer[" + name + ", " + backlogs.length + " consumers]";
    }
}
