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
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillWriter;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state of one external merge sort, shared by its sink and its source.
 *
 * <p><b>Consuming.</b> Each worker buffers its input morsels (zero-copy). When sorting the buffer
 * would take the worker's share of memory ({@code runBytes}: the buffer, its keys and index arrays
 * and the sorted copy) and when its input ends, it is sorted into a
 * <i>run</i> ({@link RunSorter}): sorted morsels of at most {@code blockRows} rows, kept in memory.
 * When a reservation fails the memory manager asks this sort to {@link #spill}: the largest
 * in-memory runs are written to their own spill files and freed. A {@code forceSpill} fraction of
 * the runs is written whatever the memory (at 1.0 every run, and runs are kept to two blocks so
 * that there are many of them).
 *
 * <p><b>Merging.</b> At the end of the input, while more runs are on disk than the fan-in allows,
 * groups of up to {@code fanIn} spilled runs are merged into a new spill file (a <i>pass</i>), so
 * that at no moment more than {@code fanIn} spill readers are open. Then every in-memory run and
 * the remaining (at most {@code fanIn}) spilled runs are merged through one loser tree
 * ({@link Merger}) whose output streams to the consuming pipeline, one morsel per pull, with dense
 * sequence numbers in sorted order. Each spilled run being merged holds one decompressed block.
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

    /** A sorted run: in memory (sorted morsels) or in a spill file. */
    private static final class Run {
        final int id;
        final long rows;
        final int generation;
        List<Morsel> blocks;
        long bytes;
        SpillFile file;
        boolean taken;

        Run(int id, long rows, int generation) {
            this.id = id;
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
    private final SpillDirectory spills;
    private final EventSink events;
    private final int fanIn;
    private final int blockRows;
    private final long runBytes;
    private final long rowOverhead;
    private final List<Run> runs = new ArrayList<>();
    private final ReentrantLock spillLock = new ReentrantLock();
    private final AtomicLong inMemoryBytes = new AtomicLong();
    private final AtomicLong inputRows = new AtomicLong();
    private final AtomicInteger runIds = new AtomicInteger();
    private final AtomicInteger openReaders = new AtomicInteger();
    private final AtomicInteger maxOpenReaders = new AtomicInteger();
    private final AtomicInteger runsSpilled = new AtomicInteger();
    private volatile State state = State.CONSUMING;
    private double forceSpill;
    private long maxRunRows = Long.MAX_VALUE;
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
        this.spills = ctx.spills();
        this.events = ctx.events();
        this.fanIn = fanIn;
        int morselRows = ctx.outputRows();
        long cap = Math.min(budget.effectiveCap(), 1L << 40);
        long rowBytes = 16L * spec.internalSchema().size();
        // A merge holds one block per run: fan-in blocks must fit in a quarter of the cap.
        this.blockRows = (int) Math.max(256, Math.min(Math.max(1, morselRows), cap / 4 / fanIn / rowBytes));
        // A run sort holds the buffered input, its keys and indexes on the heap (charged to the
        // budget) and the gathered output at once; all workers may sort at the same time.
        this.runBytes = Math.max(256L << 10, Math.min(512L << 20, cap / 2 / Math.max(1, workers)));
        this.rowOverhead = 8L * enc.width() + 16;
        forceSpill(ctx.forceSpill());
    }

    /**
     * Writes this fraction (0 to 1) of the runs to disk whatever the memory; at 1.0 every run is
     * also kept to two blocks, so that a small input makes many runs and multi-pass merges.
     */
    public void forceSpill(double fraction) {
        this.forceSpill = fraction;
        this.maxRunRows = fraction >= 1.0 ? 2L * blockRows : Long.MAX_VALUE;
    }

    /** The spec. */
    public SortSpec spec() {
        return spec;
    }

    /** Most spill readers that were open at once. */
    public int maxOpenReaders() {
        return maxOpenReaders.get();
    }

    /** Intermediate merges done (each merged up to the fan-in runs into one). */
    public int mergePasses() {
        return mergePasses;
    }

    /** Runs written to disk (including those written by intermediate merges). */
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
        Run r = new Run(runIds.getAndIncrement(), rowsOf(sorted), 0);
        r.blocks = sorted;
        r.bytes = bytesOf(sorted);
        boolean force = forceSpill > 0 && Math.floor((r.id + 1) * forceSpill) > Math.floor(r.id * forceSpill);
        if (force) {
            spillLock.lock();
        }
        try {
            synchronized (runs) {
                runs.add(r);
            }
            inMemoryBytes.addAndGet(r.bytes);
            if (force) {
                spillRun(r);
            }
        } finally {
            if (force) {
                spillLock.unlock();
            }
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
        return state == State.DONE ? 0 : inMemoryBytes.get();
    }

    /** Writes the largest in-memory runs not yet taken by the merge to disk until {@code bytesWanted} were freed. */
    @Override
    public long spill(long bytesWanted) {
        if (spillLock.isHeldByCurrentThread() || !spillLock.tryLock()) {
            return 0;
        }
        try {
            long freed = 0;
            while (freed < bytesWanted) {
                Run best = null;
                synchronized (runs) {
                    for (Run r : runs) {
                        if (!r.taken && r.blocks != null && (best == null || r.bytes > best.bytes)) {
                            best = r;
                        }
                    }
                }
                if (best == null) {
                    break;
                }
                freed += spillRun(best);
            }
            return freed;
        } finally {
            spillLock.unlock();
        }
    }

    /** Writes an in-memory run to its own file and frees it (spill lock held); returns bytes freed. */
    private long spillRun(Run r) {
        SpillWriter w = spills.newWriter("sort-run-" + r.id);
        try {
            for (Morsel m : r.blocks) {
                w.append(m, 0);
            }
            r.file = w.finish();
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        List<Morsel> blocks = r.blocks;
        r.blocks = null;
        long bytes = r.bytes;
        r.bytes = 0;
        blocks.forEach(Morsel::close);
        inMemoryBytes.addAndGet(-bytes);
        runsSpilled.incrementAndGet();
        events.accept(new SortRunSpilled(COMPONENT, r.rows, bytes, r.file.path(), r.id));
        return bytes;
    }

    // ================================================================== merging

    /** Ends the input: merges spilled runs in passes until at most the fan-in remain, then opens the final merge. */
    public void finishInput() {
        state = State.MERGING;
        events.accept(new SortInputComplete(COMPONENT, inputRows.get(), runIds.get(), runsSpilled.get(), fanIn));
        while (true) {
            List<Run> group;
            spillLock.lock();
            try {
                List<Run> onDisk = new ArrayList<>();
                synchronized (runs) {
                    for (Run r : runs) {
                        if (r.file != null) {
                            onDisk.add(r);
                        }
                    }
                }
                if (onDisk.size() <= fanIn) {
                    openFinalMerge();
                    return;
                }
                onDisk.sort(Comparator.comparingInt((Run r) -> r.generation).thenComparingInt(r -> r.id));
                group = new ArrayList<>(onDisk.subList(0, Math.min(fanIn, onDisk.size() - fanIn + 1)));
                synchronized (runs) {
                    runs.removeAll(group);
                }
            } finally {
                spillLock.unlock();
            }
            mergePass(group);
        }
    }

    private void mergePass(List<Run> group) {
        int generation = 0;
        long rows = 0;
        for (Run r : group) {
            generation = Math.max(generation, r.generation + 1);
            rows += r.rows;
        }
        Run out = new Run(runIds.getAndIncrement(), rows, generation);
        List<RunCursor> cursors = new ArrayList<>();
        SpillWriter w = null;
        try {
            for (Run r : group) {
                cursors.add(open(r));
            }
            mergePasses++;
            events.accept(new SortMergePass(COMPONENT, generation, group.size(), fanIn, openReaders.get(), rows, out.id));
            w = spills.newWriter("sort-merge-" + out.id);
            try (Merger m = new Merger(enc, cursors, spec.internalSchema(), blockRows, pool, budget)) {
                cursors = List.of();
                long seq = 0;
                for (Morsel block = m.next(seq++); block != null; block = m.next(seq++)) {
                    try (Morsel b = block) {
                        w.append(b, 0);
                    }
                }
            }
            out.file = w.finish();
            w = null;
            runsSpilled.incrementAndGet();
        } finally {
            cursors.forEach(RunCursor::close);
            if (w != null) {
                w.close();
            }
            for (Run r : group) {
                spills.delete(r.file);
            }
        }
        synchronized (runs) {
            runs.add(out);
        }
    }

    /** A cursor on {@code r}, positioned on its first block; in-memory blocks now belong to the cursor. */
    private RunCursor open(Run r) {
        RunCursor c;
        if (r.file != null) {
            int now = openReaders.incrementAndGet();
            maxOpenReaders.accumulateAndGet(now, Math::max);
            try {
                c = new RunCursor.Spilled(enc, spec.internalSchema(), spills.open(r.file, budget), openReaders);
            } catch (RuntimeException e) {
                openReaders.decrementAndGet();
                throw e;
            }
        } else {
            c = new RunCursor.InMemory(enc, r.blocks);
            r.blocks = null;
            inMemoryBytes.addAndGet(-r.bytes);
            r.bytes = 0;
        }
        try {
            c.advance();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Takes every run into one merge whose output the source streams (spill lock held). */
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
                r.taken = true;
                spilled += r.file != null ? 1 : 0;
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
                if (r.blocks != null) {
                    r.blocks.forEach(Morsel::close);
                    r.blocks = null;
                }
            }
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

    /** Frees all memory. Idempotent. */
    @Override
    public void close() {
        spillLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            state = State.DONE;
            if (output != null) {
                output.close();
            }
            synchronized (runs) {
                for (Run r : runs) {
                    if (r.blocks != null) {
                        r.blocks.forEach(Morsel::close);
                        r.blocks = null;
                    }
                }
                runs.clear();
            }
            inMemoryBytes.set(0);
        } finally {
            spillLock.unlock();
        }
        budget.close();
    }
}
