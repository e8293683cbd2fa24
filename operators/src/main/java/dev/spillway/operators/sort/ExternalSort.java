package dev.spillway.operators.sort;

import dev.spillway.event.EventSink;
import dev.spillway.event.SortDone;
import dev.spillway.event.SortFinalMerge;
import dev.spillway.event.SortInputComplete;
import dev.spillway.event.SortMergePass;
import dev.spillway.event.SortRunSpilled;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.Eviction;
import dev.spillway.spill.StreamStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The state of one external merge sort, shared by its sink and its source.
 *
 * <p><b>Consuming.</b> Each worker buffers its input morsels (zero-copy). When sorting the buffer
 * would take the worker's share of memory ({@code runBytes}: the buffer, the sort's native keys
 * and permutation, and the sorted copy) and when its input ends, it is sorted into a
 * <i>run</i> ({@link RunSorter}): sorted morsels of at most {@code blockRows} rows, one stream of
 * the sort's {@link StreamStore}. The store is what spills: when a reservation fails the memory
 * manager asks this sort to {@link #spill}, and the store evicts the largest in-memory runs into
 * its shared files; the store's forced-spill fraction names the runs written whatever the memory
 * (at 1.0 every run, and runs are then kept to two blocks so that there are many of them).
 *
 * <p><b>Merging.</b> At the end of the input, while more runs are on disk than the fan-in allows,
 * groups of up to {@code fanIn} spilled runs are merged into a new run written straight to disk
 * (a <i>pass</i>), so that at no moment more than {@code fanIn} spilled runs are read at once.
 * Then the in-memory runs are taken out of the store (no longer evictable), and every one and
 * the remaining (at most {@code fanIn}) spilled runs are merged through one loser tree
 * ({@link Merger}) whose output streams to the consuming pipeline, one morsel per pull, with dense
 * sequence numbers in sorted order. Each run being merged holds one block (decompressed, if it
 * was spilled) and its encoded keys, both in native memory charged to the sort's budget.
 */
public final class ExternalSort implements Spillable, AutoCloseable {
    /** Default most runs merged at once (and most spill readers open at once). */
    public static final int DEFAULT_FAN_IN = 64;
    /** The component name in its events. */
    private static final String COMPONENT = "sort";

    /** Phases of the sort. */
    enum State {
        /** Consuming input into runs; in-memory runs may spill. */
        CONSUMING,
        /** Merging spilled runs in passes until at most the fan-in remain. */
        MERGING,
        /** Streaming the final merge. */
        EMITTING,
        /** Everything emitted, or closed. */
        DONE
    }

    /** A sorted run: one stream of the store. */
    private static final class Run {
        final int stream;
        final long rows;
        final int generation;
        /** Its morsels taken out of the store for the final merge (then not evictable). */
        List<Morsel> taken;
        /** Whether it was counted in {@link #runsSpilled} (guarded by the run). */
        boolean counted;

        Run(int stream, long rows, int generation) {
            this.stream = stream;
            this.rows = rows;
            this.generation = generation;
        }
    }

    /** A worker's buffered input, not yet sorted. */
    public static final class Local implements AutoCloseable {
        private List<Morsel> buffered = new ArrayList<>();
        private long bytes;
        private long rows;

        @Override
        public void close() {
            buffered.forEach(Morsel::close);
            buffered.clear();
        }
    }

    private final SortSpec spec;
    private final KeyEncoder enc;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryBudget outputBudget;
    private final StreamStore store;
    private final EventSink events;
    private final int fanIn;
    private final int blockRows;
    private final long runBytes;
    private final long rowOverhead;
    private final List<Run> runs = new ArrayList<>();
    private final Map<Integer, Run> byStream = new ConcurrentHashMap<>();
    private final AtomicLong inputRows = new AtomicLong();
    private final AtomicInteger openReaders = new AtomicInteger();
    private final AtomicInteger maxOpenReaders = new AtomicInteger();
    private final AtomicInteger runsSpilled = new AtomicInteger();
    private volatile State state = State.CONSUMING;
    private volatile long maxRunRows = Long.MAX_VALUE;
    private int mergePasses;
    private Merger output;
    private long emitted;
    private boolean closed;

    /**
     * Creates the sort.
     *
     * @param ctx     the sort's context: its {@link OperatorContext#budget() budget} (runs, merge blocks) is its
     *                own and the sort closes it; output morsels are charged to the output budget; events
     *                are {@code sort} events; {@link OperatorContext#outputRows()} is the most rows per run
     *                block and output morsel
     * @param workers workers that may feed the sort at once (each buffers up to its share)
     * @param fanIn   most runs merged at once, at least 2
     */
    public ExternalSort(SortSpec spec, OperatorContext ctx, int workers, int fanIn) {
        if (fanIn < 2) {
            throw new IllegalArgumentException("sort fan-in must be at least 2, got " + fanIn);
        }
        this.spec = spec;
        this.enc = new KeyEncoder(spec);
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.outputBudget = ctx.outputBudget();
        this.events = ctx.events();
        this.fanIn = fanIn;
        int morselRows = ctx.outputRows();
        long cap = Math.min(budget.effectiveCap(), 1L << 40);
        long rowBytes = 16L * spec.internalSchema().size() + enc.bytesFor(1);
        // A merge holds one block per run and its encoded keys: fan-in of them must fit in a quarter of the cap.
        this.blockRows = (int) Math.max(256, Math.min(Math.max(1, morselRows), cap / 4 / fanIn / rowBytes));
        // A run sort holds the buffered input, its native working memory (keys, permutation) and
        // the gathered output at once; all workers may sort at the same time.
        this.runBytes = Math.max(256L << 10, Math.min(512L << 20, cap / 2 / Math.max(1, workers)));
        this.rowOverhead = RunSorter.workBytes(enc, 1);
        this.store = ctx.store(COMPONENT, spec.internalSchema()).onEvict(this::evicted).streams();
        forceSpill(ctx.forceSpill());
    }

    /**
     * Writes this fraction (0 to 1) of the runs to disk whatever the memory; at 1.0 every run is
     * also kept to two blocks, so that a small input makes many runs and multi-pass merges.
     */
    public void forceSpill(double fraction) {
        store.forceSpill(fraction);
        this.maxRunRows = fraction >= 1.0 ? 2L * blockRows : Long.MAX_VALUE;
    }

    /** The spec. */
    public SortSpec spec() {
        return spec;
    }

    /** Most spilled runs read at once (by one merge); at most the fan-in. */
    public int maxOpenReaders() {
        return maxOpenReaders.get();
    }

    /** Intermediate merges done (each merged up to the fan-in runs into one). */
    public int mergePasses() {
        return mergePasses;
    }

    /**
     * Runs written to disk, whether evicted, forced or written by intermediate merges; a run
     * evicted in several steps counts once.
     */
    public int runsSpilled() {
        return runsSpilled.get();
    }

    // ================================================================== consuming

    /** A worker's buffer; the worker owns it and hands it to {@link #combine}. */
    public Local newLocal() {
        return new Local();
    }

    /** Buffers an input morsel (taking ownership); sorts the buffer into a run when it reached its share. */
    public void consume(Local local, Morsel m) {
        if (m.rowCount() == 0) {
            m.close();
            return;
        }
        Morsel in = RunSorter.withPositions(spec, m, pool, budget);
        inputRows.addAndGet(in.rowCount());
        local.buffered.add(in);
        local.bytes += in.byteSize();
        local.rows += in.rowCount();
        if (2 * local.bytes + local.rows * rowOverhead >= runBytes || local.rows >= maxRunRows) {
            makeRun(local);
        }
    }

    /** Sorts what a worker still buffers into a last run. */
    public void combine(Local local) {
        try (local) {
            makeRun(local);
        }
    }

    private void makeRun(Local local) {
        if (local.buffered.isEmpty()) {
            return;
        }
        List<Morsel> batch = local.buffered;
        local.buffered = new ArrayList<>();
        local.bytes = 0;
        local.rows = 0;
        List<Morsel> sorted = RunSorter.sort(enc, batch, Long.MAX_VALUE, blockRows, pool, budget);
        long bytes = bytesOf(sorted);
        Run r;
        try {
            r = new Run(store.newStream(), rowsOf(sorted), 0);
            byStream.put(r.stream, r);
            synchronized (runs) {
                runs.add(r);
            }
        } catch (RuntimeException e) {
            sorted.forEach(Morsel::close);
            throw e;
        }
        for (int i = 0; i < sorted.size(); i++) {
            try {
                store.add(r.stream, sorted.get(i));
            } catch (RuntimeException e) {
                sorted.subList(i + 1, sorted.size()).forEach(Morsel::close);
                throw e;
            }
        }
        if (store.spilled(r.stream)) {
            // Forced (written through from the start) or evicted while it was added.
            spilled(r, bytes, store.file(r.stream));
        }
    }

    private static long rowsOf(List<Morsel> ms) {
        long n = 0;
        for (Morsel m : ms) {
            n += m.rowCount();
        }
        return n;
    }

    private static long bytesOf(List<Morsel> ms) {
        long n = 0;
        for (Morsel m : ms) {
            n += m.byteSize();
        }
        return n;
    }

    // ================================================================== spilling

    @Override
    public String name() {
        return "sort";
    }

    @Override
    public long spillableBytes() {
        return state == State.DONE ? 0 : store.spillableBytes();
    }

    /** The store evicts the largest in-memory runs not yet taken by the merge until {@code bytesWanted} were freed. */
    @Override
    public long spill(long bytesWanted) {
        return state == State.DONE ? 0 : store.spill(bytesWanted);
    }

    /** The store evicted (part of) a run. */
    private void evicted(Eviction e) {
        Run r = byStream.get(e.unit());
        if (r != null) {
            spilled(r, e.bytes(), e.file());
        }
    }

    /** Counts and reports a run that went to disk, once. */
    private void spilled(Run r, long bytes, Path file) {
        synchronized (r) {
            if (r.counted) {
                return;
            }
            r.counted = true;
        }
        runsSpilled.incrementAndGet();
        events.accept(new SortRunSpilled(COMPONENT, r.rows, bytes, file, r.stream));
    }

    // ================================================================== merging

    /** Ends the input: merges spilled runs in passes until at most the fan-in remain, then opens the final merge. */
    public void finishInput() {
        state = State.MERGING;
        events.accept(new SortInputComplete(COMPONENT, inputRows.get(), store.unitCount(), runsSpilled.get(), fanIn));
        while (true) {
            List<Run> onDisk = new ArrayList<>();
            synchronized (runs) {
                for (Run r : runs) {
                    if (store.spilled(r.stream)) {
                        onDisk.add(r);
                    }
                }
            }
            if (onDisk.size() > fanIn) {
                onDisk.sort(Comparator.comparingInt((Run r) -> r.generation).thenComparingInt(r -> r.stream));
                List<Run> group = new ArrayList<>(onDisk.subList(0, Math.min(fanIn, onDisk.size() - fanIn + 1)));
                synchronized (runs) {
                    runs.removeAll(group);
                }
                mergePass(group);
                continue;
            }
            // The in-memory runs leave the store (no longer evictable); one evicted before it was
            // taken may push the spilled runs past the fan-in: then merge again.
            int spilled = 0;
            synchronized (runs) {
                for (Run r : runs) {
                    if (r.taken == null) {
                        r.taken = store.take(r.stream);
                    }
                    spilled += store.blockCount(r.stream) > 0 ? 1 : 0;
                }
            }
            if (spilled <= fanIn) {
                openFinalMerge();
                return;
            }
        }
    }

    private void mergePass(List<Run> group) {
        int generation = 0;
        long rows = 0;
        for (Run r : group) {
            generation = Math.max(generation, r.generation + 1);
            rows += r.rows;
        }
        List<RunCursor> cursors = new ArrayList<>();
        try {
            for (Run r : group) {
                cursors.add(open(r));
            }
            Run out = new Run(store.newStream(true), rows, generation);
            out.counted = true;
            mergePasses++;
            events.accept(new SortMergePass(COMPONENT, generation, group.size(), fanIn, openReaders.get(), rows, out.stream));
            synchronized (runs) {
                runs.add(out);
            }
            try (Merger m = new Merger(enc, cursors, spec.internalSchema(), blockRows, pool, budget)) {
                cursors = List.of();
                long seq = 0;
                for (Morsel block = m.next(seq++); block != null; block = m.next(seq++)) {
                    store.add(out.stream, block);
                }
            }
            runsSpilled.incrementAndGet();
        } finally {
            cursors.forEach(RunCursor::close);
        }
    }

    /**
     * A cursor on {@code r}, positioned on its first block: its spilled blocks, then the morsels
     * taken from memory (now the cursor's); the run's stream is released when it is read.
     */
    private RunCursor open(Run r) {
        boolean onDisk = store.blockCount(r.stream) > 0;
        Iterator<Morsel> spilled = onDisk ? store.readSpilled(r.stream, budget) : Collections.emptyIterator();
        List<Morsel> taken = r.taken != null ? r.taken : List.of();
        r.taken = null;
        if (onDisk) {
            int now = openReaders.incrementAndGet();
            maxOpenReaders.accumulateAndGet(now, Math::max);
        }
        RunCursor c = new RunCursor.Stored(enc, pool, budget, spilled, taken, () -> {
            if (onDisk) {
                openReaders.decrementAndGet();
            }
            store.release(r.stream);
        });
        try {
            c.advance();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Takes every run into one merge whose output the source streams. */
    private void openFinalMerge() {
        List<Run> all;
        synchronized (runs) {
            all = new ArrayList<>(runs);
            runs.clear();
        }
        int spilled = 0;
        List<RunCursor> cursors = new ArrayList<>();
        try {
            for (Run r : all) {
                spilled += store.blockCount(r.stream) > 0 ? 1 : 0;
                cursors.add(open(r));
            }
            events.accept(new SortFinalMerge(COMPONENT, all.size(), all.size() - spilled, spilled, fanIn, mergePasses,
                    maxOpenReaders.get()));
            output = new Merger(enc, cursors, spec.inputSchema(), blockRows, pool, outputBudget);
            cursors = List.of();
            state = State.EMITTING;
        } finally {
            cursors.forEach(RunCursor::close);
            for (Run r : all) {
                closeTaken(r);
            }
        }
    }

    private static void closeTaken(Run r) {
        if (r.taken != null) {
            r.taken.forEach(Morsel::close);
            r.taken = null;
        }
    }

    // ================================================================== emitting

    /** The next output morsel in sorted order, or null at the end. Not thread-safe: the source serialises. */
    public Morsel next(long sequence) {
        if (state != State.EMITTING) {
            return null;
        }
        Morsel m = output.next(sequence);
        if (m == null) {
            state = State.DONE;
            output.close();
            events.accept(new SortDone(COMPONENT, emitted));
        } else {
            emitted += m.rowCount();
        }
        return m;
    }

    /** Frees all memory and deletes the spill files. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        state = State.DONE;
        try {
            if (output != null) {
                output.close();
            }
            synchronized (runs) {
                runs.forEach(ExternalSort::closeTaken);
                runs.clear();
            }
            store.close();
        } finally {
            budget.close();
        }
    }
}
