package dev.spillway.operators.sort;

import dev.spillway.event.EventSink;
import dev.spillway.event.SortDone;
import dev.spillway.event.SortFinalMerge;
import dev.spillway.event.SortInputComplete;
import dev.spillway.event.SortMergePass;
import dev.spillway.event.SortRunSpilled;
import dev.spillway.memory.BlockPool;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
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
 * with the next morsel would take more than the worker's share of memory ({@code runBytes}, half
 * the cap divided among the workers: the buffered rows, the sort's native keys and permutation as
 * the pool charges them, and the one sorted block being gathered) and when its input ends, it is
 * sorted into a <i>run</i> ({@link RunSorter}): sorted morsels of at most {@code blockRows} rows,
 * one stream of the sort's {@link StreamStore}, each added to the stream as soon as it is
 * gathered, so that a run being made can already spill. A morsel whose own sort would exceed the
 * share (at small caps with several workers) is sorted at once in slices that fit beside it,
 * a run per slice. The store is what spills: when a reservation fails the memory
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
    /** The fewest rows a run sort of a slice of a morsel takes, whatever the worker's share. */
    static final int MIN_SLICE_ROWS = 256;
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
    /** Native bytes of a merge cursor: one block and its encoded keys, as the pool charges them. */
    private final long cursorBytes;
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
     * @param fanIn   most runs merged at once, at least 2; fewer when a quarter of the cap holds
     *                fewer merge cursors (a block and its keys each)
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
        int morselRows = ctx.outputRows();
        long cap = Math.min(budget.effectiveCap(), 1L << 40);
        long rowBytes = 16L * spec.internalSchema().size() + enc.bytesFor(1);
        // A merge holds one block per run and its encoded keys: fan-in of them must fit in a quarter of the cap.
        this.blockRows = (int) Math.max(256, Math.min(Math.max(1, morselRows), cap / 4 / fanIn / rowBytes));
        this.cursorBytes = cursorBytes(spec, enc, blockRows, pool);
        // Blocks are at least 256 rows and the pool rounds them up: at small caps fewer cursors fit that quarter.
        this.fanIn = (int) Math.max(2, Math.min(fanIn, cap / 4 / cursorBytes));
        // A run sort holds the buffered input, its native working memory (keys, permutation) and
        // the block being gathered at once; all workers may sort at the same time.
        this.runBytes = Math.max(64L << 10, Math.min(512L << 20, cap / 2 / Math.max(1, workers)));
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

    /**
     * Buffers an input morsel (taking ownership). The buffer is sorted into a run first when the
     * morsel would take the run sort's working set past the worker's share; a morsel whose own
     * sort would not fit the share is sorted at once, in slices that do.
     */
    public void consume(Local local, Morsel m) {
        int rows = m.rowCount();
        if (rows == 0) {
            m.close();
            return;
        }
        long bytes = m.byteSize() + positionBytes(rows);
        if (!local.buffered.isEmpty() && workingSet(local.rows + rows, local.bytes + bytes) > runBytes) {
            try {
                makeRun(local);
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
        if (workingSet(rows, bytes) > runBytes) {
            sortInSlices(m);
            return;
        }
        Morsel in = RunSorter.withPositions(spec, m, pool, budget);
        inputRows.addAndGet(in.rowCount());
        local.buffered.add(in);
        local.bytes += in.byteSize();
        local.rows += in.rowCount();
        if (local.rows >= maxRunRows) {
            makeRun(local);
        }
    }

    /** Sorts what a worker still buffers into a last run. */
    public void combine(Local local) {
        try (local) {
            makeRun(local);
        }
    }

    /** Bytes of the position column of {@code rows} rows (none unless the sort is stable). */
    private long positionBytes(long rows) {
        return spec.stable() ? 8 * rows : 0;
    }

    /**
     * Native bytes of a block of {@code rows} rows of the internal schema and its encoded keys,
     * each buffer rounded up as the pool charges it (a string counted as its offset and 16 bytes).
     */
    private static long cursorBytes(SortSpec spec, KeyEncoder enc, int rows, BlockPool pool) {
        long n = pool.capacityFor(enc.bytesFor(rows));
        for (Field f : spec.internalSchema().fields()) {
            DataType t = f.type();
            long values = t == DataType.BOOLEAN ? (rows + 7) / 8 : t == DataType.UTF8 ? 20L * rows : (long) t.byteWidth() * rows;
            n += pool.capacityFor(Math.max(1, values)) + (f.nullable() ? pool.capacityFor((rows + 7) / 8) : 0);
        }
        return n;
    }

    /**
     * The most memory a run sort of {@code rows} buffered rows ({@code bytes} of them, in the
     * internal schema) holds at once: the rows, the sort's working memory, and the block being
     * gathered (the blocks before it are in the store, where they may spill).
     */
    private long workingSet(long rows, long bytes) {
        return bytes + RunSorter.peakWorkBytes(enc, rows, pool) + cursorBytes;
    }

    /**
     * The most rows of a slice of a morsel holding {@code bytes} whose run sort fits the share
     * beside the whole morsel (which stays until its last slice is sorted); at least
     * {@link #MIN_SLICE_ROWS}, so that a share smaller than one morsel still makes progress.
     */
    private int sliceRows(int rows, long bytes) {
        int lo = MIN_SLICE_ROWS;
        int hi = (int) Math.min(rows, maxRunRows);
        while (lo < hi) {
            int mid = (int) (((long) lo + hi + 1) >>> 1);
            if (workingSet(mid, bytes + positionBytes(mid)) <= runBytes) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return Math.max(1, Math.min(rows, lo));
    }

    /** Sorts a morsel too large for one run sort within the share into runs of slices of it, then closes it. */
    private void sortInSlices(Morsel m) {
        try (m) {
            int rows = m.rowCount();
            int step = sliceRows(rows, m.byteSize());
            for (int first = 0; first < rows; first += step) {
                Morsel in = RunSorter.withPositions(spec, m.slice(first, Math.min(step, rows - first)), first, pool, budget);
                inputRows.addAndGet(in.rowCount());
                List<Morsel> batch = new ArrayList<>(1);
                batch.add(in);
                makeRun(batch, in.rowCount());
            }
        }
    }

    private void makeRun(Local local) {
        if (local.buffered.isEmpty()) {
            return;
        }
        List<Morsel> batch = local.buffered;
        long rows = local.rows;
        local.buffered = new ArrayList<>();
        local.bytes = 0;
        local.rows = 0;
        makeRun(batch, rows);
    }

    /**
     * Sorts {@code batch} (closed by this method) into a new run, adding each sorted block to the
     * run's stream as it is gathered, so that the run can spill while it is being made.
     */
    private void makeRun(List<Morsel> batch, long rows) {
        Run r;
        try {
            r = new Run(store.newStream(), rows, 0);
            byStream.put(r.stream, r);
            synchronized (runs) {
                runs.add(r);
            }
        } catch (RuntimeException e) {
            batch.forEach(Morsel::close);
            throw e;
        }
        long[] bytes = new long[1];
        RunSorter.sort(enc, batch, Long.MAX_VALUE, blockRows, pool, budget, block -> {
            bytes[0] += block.byteSize();
            store.add(r.stream, block);
        });
        if (store.spilled(r.stream)) {
            // Forced (written through from the start) or evicted while it was added.
            spilled(r, bytes[0], store.file(r.stream));
        }
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

    /**
     * Ends the input: merges spilled runs in passes until at most the fan-in runs remain in all,
     * makes room for the final merge's cursors by spilling the largest in-memory runs while the
     * free memory is short of them, then takes the in-memory runs and opens the final merge.
     */
    public void finishInput() {
        state = State.MERGING;
        events.accept(new SortInputComplete(COMPONENT, inputRows.get(), store.unitCount(), runsSpilled.get(), fanIn));
        while (true) {
            List<Run> onDisk = new ArrayList<>();
            List<Run> inMemory = new ArrayList<>();
            synchronized (runs) {
                for (Run r : runs) {
                    (store.spilled(r.stream) ? onDisk : inMemory).add(r);
                }
            }
            int total = onDisk.size() + inMemory.size();
            if (total > fanIn) {
                // A pass merges spilled runs only: keep enough of them to cut the total to the fan-in.
                if ((inMemory.size() > fanIn / 2 || onDisk.size() < 2) && evictLargest(inMemory)) {
                    continue;
                }
                onDisk.sort(Comparator.comparingInt((Run r) -> r.generation).thenComparingInt(r -> r.stream));
                List<Run> group = new ArrayList<>(onDisk.subList(0, Math.min(onDisk.size(), Math.min(fanIn, total - fanIn + 1))));
                if (group.size() >= 2) {
                    synchronized (runs) {
                        runs.removeAll(group);
                    }
                    mergePass(group);
                    continue;
                }
            }
            // Taken runs can no longer spill, and every run's cursor needs a block and its keys
            // (and the output a block or two): spill in-memory runs while the free memory is short.
            if (budget.available() < (total + 2L) * cursorBytes && evictLargest(inMemory)) {
                continue;
            }
            synchronized (runs) {
                for (Run r : runs) {
                    if (r.taken == null) {
                        r.taken = store.take(r.stream);
                    }
                }
            }
            openFinalMerge();
            return;
        }
    }

    /** Evicts the largest of {@code inMemory} that the store can evict; whether one was. */
    private boolean evictLargest(List<Run> inMemory) {
        inMemory.sort(Comparator.comparingLong((Run r) -> store.bytes(r.stream)).reversed());
        for (Run r : inMemory) {
            store.evict(r.stream);
            if (store.spilled(r.stream)) {
                return true;
            }
        }
        return false;
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
