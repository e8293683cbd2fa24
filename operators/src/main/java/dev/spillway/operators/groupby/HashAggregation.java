package dev.spillway.operators.groupby;

import dev.spillway.event.AggregationInputComplete;
import dev.spillway.event.EventSink;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.PartitionMerging;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillReader;
import dev.spillway.spill.SpillWriter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state of one partitioned, spillable hash aggregation (group-by), shared by its sink and its
 * source.
 *
 * <p><b>Consuming.</b> Each worker pre-aggregates its morsels in a small fixed-size
 * {@link AggTable}. When that table is full (and when the worker's input ends) its groups are
 * flushed as partial-state rows into 256 radix partitions chosen by the top 8 bits of the group
 * keys' hash, where they are gathered column-wise into morsels. When the memory manager asks (a
 * reservation failed), the largest partitions' partial rows are appended to their own spill files
 * and freed (a partition may be evicted several times; its rows gathered in between are written
 * in one batch). At the end of the input a
 * {@code forceSpill} fraction of the partitions is spilled whatever the memory.
 *
 * <p><b>Emitting.</b> Partitions are then finished one at a time: its in-memory partial morsels
 * and its spill file are merged into one growing table, whose groups stream out as result morsels
 * of at most {@code outputRows} rows; the table is freed before the next partition. The result is
 * never held whole. Partitions not yet reached can still spill while an earlier one is merged.
 * Each partition's groups must fit in memory at once (about 1/256 of all groups with well-spread
 * keys); re-partitioning an oversized partition is not implemented.
 *
 * <p><b>n_unique</b> is exact: its input extends the key of the partial rows, so every distinct
 * (keys, value) pair survives pre-aggregation, flushing and spilling as its own row (see
 * {@link AggTable#addInput}). Those rows are partitioned on the extended key, so even one group
 * with many distinct values spreads over all partitions; a finished partition is folded back to
 * the group keys (counting its distinct values) and handed as partial rows to a second-level
 * aggregation on the group keys alone, where the counts of the partitions add up.
 * <b>first/last</b> keep the input position ({@code sequence << 32 | row}) of the row they hold,
 * so merges pick the row that comes first or last in input order.
 */
public final class HashAggregation implements Spillable, AutoCloseable {
    private static final int PARTITIONS = Hashing.PARTITIONS;
    /** Most result rows per output morsel. */
    static final int OUTPUT_ROWS = 16_384;
    /** The component name in its events. */
    private static final String COMPONENT = "group-by";

    /** Phases of the aggregation. */
    enum State {
        /** Consuming input; partitions may spill. */
        CONSUMING,
        /** Merging partitions one at a time and emitting their groups. */
        EMITTING,
        /** Everything emitted, or closed. */
        DONE
    }

    private final AggLayout layout;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryBudget outputBudget;
    private final SpillDirectory spills;
    private final EventSink events;
    private final int outputRows;
    private final int localGroups;
    private final long sealBytes;
    private final Partition[] partitions = new Partition[PARTITIONS];
    private final ReentrantLock spillLock = new ReentrantLock();
    private final LongAdder inputRows = new LongAdder();
    private final LongAdder partialRows = new LongAdder();
    private volatile State state = State.CONSUMING;
    private double forceSpill;
    private int nextPartition;
    private AggTable current;
    private int currentRow;
    private long groupsEmitted;
    private boolean emptyGroupDone;
    private boolean closed;
    /** With n_unique: partitions are chosen on the extended key, and this second level merges their results. */
    private final HashAggregation outer;
    private boolean outerFed;

    /** One of the 256 partitions of partial rows. */
    private static final class Partition {
        final int id;
        final ReentrantLock lock = new ReentrantLock();
        List<Morsel> sealed = new ArrayList<>();
        List<ColumnBuilder> open;
        int openRows;
        long sealedBytes;
        volatile long bytes;
        volatile boolean spilled;
        /** Being merged or already emitted: no longer spillable. */
        boolean taken;
        SpillWriter writer;

        Partition(int id) {
            this.id = id;
        }
    }

    /**
     * Creates the aggregation.
     *
     * @param ctx the aggregation's context: its {@link OperatorContext#budget() budget} (tables, partial rows) is
     *            its own and the aggregation closes it; result morsels are charged to the output budget;
     *            events are {@code group-by} events; at most {@value #OUTPUT_ROWS} rows per result morsel
     */
    public HashAggregation(AggLayout layout, OperatorContext ctx) {
        this.layout = layout;
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.outputBudget = ctx.outputBudget();
        this.spills = ctx.spills();
        this.events = ctx.events();
        this.outputRows = Math.max(1, Math.min(OUTPUT_ROWS, ctx.outputRows()));
        this.forceSpill = ctx.forceSpill();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions[p] = new Partition(p);
        }
        long cap = budget.effectiveCap();
        // Small caps get small chunks and tables: 256 open chunks and a table per worker must fit.
        this.sealBytes = Math.max(4L << 10, Math.min(1L << 20, cap / 4096));
        this.localGroups = (int) Math.max(256, Math.min(16_384, cap / 64 / AggTable.bytesPerGroup(layout)));
        this.outer = layout.hasDistinct()
                ? new HashAggregation(layout.merged(), ctx.withBudget(outputBudget.child(budget.name() + "-merge")))
                : null;
    }

    /**
     * Spills this fraction (0 to 1) of the partitions at the end of the input whatever the memory,
     * to exercise the out-of-core path: partitions {@code 0 .. fraction * 256}.
     */
    public void forceSpill(double fraction) {
        this.forceSpill = fraction;
        if (outer != null) {
            outer.forceSpill(fraction);
        }
    }

    /** The layout (input, partial and output schemas). */
    public AggLayout layout() {
        return layout;
    }

    /** How many partitions are spilled now. */
    public int spilledPartitions() {
        int n = 0;
        for (Partition p : partitions) {
            n += p.spilled ? 1 : 0;
        }
        return n;
    }

    // ================================================================== consuming

    /** A worker's pre-aggregation table; the worker owns it and hands it to {@link #combine}. */
    public AutoCloseable newLocal() {
        return new AggTable(layout, true, localGroups, pool, budget);
    }

    /** Aggregates an input morsel (laid out as {@link AggLayout#inputSchema()}, taking ownership) into {@code local}. */
    public void consume(AutoCloseable local, Morsel m) {
        AggTable t = (AggTable) local;
        try (m) {
            inputRows.add(m.rowCount());
            long base = m.sequence() << 32;
            for (int pass = AggTable.MAIN; pass < layout.distinctInputs.length; pass++) {
                int from = 0;
                while (from < m.rowCount()) {
                    from = t.addInput(m, from, base, pass);
                    if (from < m.rowCount()) {
                        flush(t);
                    }
                }
            }
        }
    }

    /** Merges partial rows (laid out as {@link AggLayout#partialSchema()}) into {@code local}. */
    private void consumePartials(AggTable t, Morsel m) {
        try (m) {
            int from = 0;
            while (from < m.rowCount()) {
                from = t.addPartials(m, from);
                if (from < m.rowCount()) {
                    flush(t);
                }
            }
        }
    }

    /** Flushes and frees a worker's table after its input ended. */
    public void combine(AutoCloseable local) {
        try (AggTable t = (AggTable) local) {
            flush(t);
        }
    }

    /** Moves every group of {@code t} into its partition as a partial row, then clears {@code t}. */
    private void flush(AggTable t) {
        int n = t.groups();
        if (n == 0) {
            return;
        }
        partialRows.add(n);
        int[] bounds = new int[PARTITIONS + 1];
        for (int g = 0; g < n; g++) {
            bounds[Hashing.partition(partitionHash(t, g)) + 1]++;
        }
        for (int p = 0; p < PARTITIONS; p++) {
            bounds[p + 1] += bounds[p];
        }
        int[] fill = bounds.clone();
        int[] order = new int[n];
        for (int g = 0; g < n; g++) {
            order[fill[Hashing.partition(partitionHash(t, g))]++] = g;
        }
        for (int p = 0; p < PARTITIONS; p++) {
            if (bounds[p + 1] > bounds[p]) {
                append(partitions[p], t, order, bounds[p], bounds[p + 1]);
            }
        }
        t.clear();
    }

    /**
     * The hash that picks a group's partition: its group keys' — so that all of a group meets in
     * one partition — except with n_unique, where the (keys, value) pairs of one group spread over
     * all partitions (the distinct counts of different partitions then simply add up in the second
     * level), so that few groups with many distinct values do not crowd one partition.
     */
    private long partitionHash(AggTable t, int g) {
        return outer != null ? t.hash(g) : t.partitionHash(g);
    }

    private void append(Partition pt, AggTable t, int[] order, int from, int to) {
        pt.lock.lock();
        try {
            if (pt.open == null) {
                pt.open = newBuilders(Math.min(1024, to - from));
                pt.openRows = 0;
            }
            for (int k = from; k < to; k++) {
                t.appendPartial(order[k], pt.open);
            }
            pt.openRows += to - from;
            long openBytes = bytesOf(pt.open);
            if (openBytes >= sealBytes) {
                // Also for a spilled partition: its new rows stay in memory until the next eviction
                // writes them in one batch (or the merge reads them from memory), not chunk by chunk.
                Morsel sealed = seal(pt);
                pt.sealed.add(sealed);
                pt.sealedBytes += sealed.byteSize();
                openBytes = 0;
            }
            pt.bytes = pt.sealedBytes + openBytes;
        } finally {
            pt.lock.unlock();
        }
    }

    private List<ColumnBuilder> newBuilders(int rows) {
        Schema s = layout.partialSchema();
        List<ColumnBuilder> b = new ArrayList<>(s.size());
        try {
            for (int c = 0; c < s.size(); c++) {
                b.add(ColumnBuilder.create(s.field(c).type(), pool, budget, Math.max(1, rows)));
            }
        } catch (RuntimeException e) {
            b.forEach(ColumnBuilder::close);
            throw e;
        }
        return b;
    }

    private static long bytesOf(List<ColumnBuilder> builders) {
        long n = 0;
        for (ColumnBuilder b : builders) {
            n += b.byteSize();
        }
        return n;
    }

    /** Seals the open chunk of {@code pt} (held locked) into a morsel. */
    private Morsel seal(Partition pt) {
        List<ColumnBuilder> open = pt.open;
        pt.open = null;
        List<ColumnVector> cols = new ArrayList<>(open.size());
        try {
            for (ColumnBuilder b : open) {
                cols.add(b.build());
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            open.forEach(ColumnBuilder::close);
            throw e;
        }
        return new Morsel(layout.partialSchema(), cols, pt.openRows, 0);
    }

    private synchronized SpillWriter writerOf(Partition p) {
        if (p.writer == null) {
            p.writer = spills.newWriter("group-by-p" + p.id);
        }
        return p.writer;
    }

    /** Ends the input: seals the open chunks and spills the {@code forceSpill} fraction. */
    public void finishInput() {
        for (Partition p : partitions) {
            p.lock.lock();
            try {
                if (p.open != null && p.openRows > 0) {
                    Morsel sealed = seal(p);
                    p.sealed.add(sealed);
                    p.sealedBytes += sealed.byteSize();
                } else if (p.open != null) {
                    p.open.forEach(ColumnBuilder::close);
                    p.open = null;
                }
                p.bytes = p.sealedBytes;
            } finally {
                p.lock.unlock();
            }
        }
        for (int p = 0; p < (int) Math.round(forceSpill * PARTITIONS); p++) {
            evict(partitions[p]);
        }
        long inMemory = 0;
        long onDisk = 0;
        for (Partition p : partitions) {
            inMemory += p.bytes;
            onDisk += p.writer == null ? 0 : p.writer.bytesWritten();
        }
        state = State.EMITTING;
        events.accept(new AggregationInputComplete(COMPONENT, inputRows.sum(), partialRows.sum(), spilledPartitions(), PARTITIONS,
                onDisk, inMemory));
    }

    // ================================================================== spilling

    /**
     * Writes a partition's partial rows (sealed and open) to its spill file and frees them;
     * returns bytes freed. A partition locked by anyone, the calling thread included, or already
     * taken for merging is left alone.
     */
    private long evict(Partition p) {
        if (p.lock.isHeldByCurrentThread() || !p.lock.tryLock()) {
            return 0;
        }
        try {
            if (p.taken || p.bytes == 0) {
                return 0;
            }
            List<Morsel> rows = p.sealed;
            if (p.open != null) {
                if (p.openRows > 0) {
                    rows.add(seal(p));
                } else {
                    p.open.forEach(ColumnBuilder::close);
                    p.open = null;
                }
            }
            long bytes = p.bytes;
            p.sealed = new ArrayList<>();
            p.sealedBytes = 0;
            p.bytes = 0;
            p.spilled = true;
            SpillWriter w = writerOf(p);
            try {
                for (Morsel m : rows) {
                    w.append(m, p.id);
                }
            } finally {
                rows.forEach(Morsel::close);
            }
            events.accept(new PartitionEvicted(COMPONENT, p.id, bytes, w.path()));
            return bytes;
        } finally {
            p.lock.unlock();
        }
    }

    @Override
    public String name() {
        return "group-by";
    }

    @Override
    public long spillableBytes() {
        long n = outer == null ? 0 : outer.spillableBytes();
        if (state == State.DONE) {
            return n;
        }
        for (Partition p : partitions) {
            n += p.taken ? 0 : p.bytes;
        }
        return n;
    }

    /** Spills the largest partitions not yet merged until {@code bytesWanted} were freed. */
    @Override
    public long spill(long bytesWanted) {
        long fromOuter = outer == null ? 0 : outer.spill(bytesWanted);
        return fromOuter >= bytesWanted ? fromOuter : fromOuter + spillOwn(bytesWanted - fromOuter);
    }

    private long spillOwn(long bytesWanted) {
        if (state == State.DONE || !spillLock.tryLock()) {
            return 0;
        }
        try {
            long freed = 0;
            Set<Partition> tried = new HashSet<>();
            while (freed < bytesWanted) {
                Partition best = null;
                for (Partition p : partitions) {
                    if (!p.taken && p.bytes > 0 && !tried.contains(p) && (best == null || p.bytes > best.bytes)) {
                        best = p;
                    }
                }
                if (best == null) {
                    break;
                }
                tried.add(best);
                freed += evict(best);
            }
            return freed;
        } finally {
            spillLock.unlock();
        }
    }

    // ================================================================== emitting

    /**
     * The next result morsel (at most {@code outputRows} groups), or null when every group was
     * emitted. Not thread-safe: callers serialise (the source does).
     */
    public Morsel next(long sequence) {
        if (outer != null) {
            feedOuter();
            return outer.next(sequence);
        }
        while (true) {
            if (current != null) {
                if (currentRow < current.groups()) {
                    int to = Math.min(current.groups(), currentRow + outputRows);
                    Morsel out = current.results(currentRow, to, pool, outputBudget, sequence);
                    groupsEmitted += to - currentRow;
                    currentRow = to;
                    return out;
                }
                current.close();
                current = null;
            }
            if (nextPartition >= PARTITIONS) {
                if (layout.keyCount() == 0 && groupsEmitted == 0 && !emptyGroupDone) {
                    // A global aggregation over no rows still has its one row.
                    emptyGroupDone = true;
                    current = new AggTable(layout, false, Integer.MAX_VALUE, pool, budget);
                    current.addEmptyGroup();
                    currentRow = 0;
                    continue;
                }
                state = State.DONE;
                return null;
            }
            current = merge(partitions[nextPartition++]);
            currentRow = 0;
        }
    }

    /**
     * Merges every partition and hands the folded per-partition results to the second level as
     * partial rows (the first call only).
     */
    private void feedOuter() {
        if (outerFed) {
            return;
        }
        outerFed = true;
        try (AggTable local = (AggTable) outer.newLocal()) {
            while (nextPartition < PARTITIONS) {
                try (AggTable folded = merge(partitions[nextPartition++])) {
                    if (folded == null) {
                        continue;
                    }
                    for (int from = 0; from < folded.groups(); from += OUTPUT_ROWS) {
                        outer.consumePartials(local, folded.partials(from, Math.min(folded.groups(), from + OUTPUT_ROWS), pool,
                                outer.budget));
                    }
                }
            }
            outer.flush(local);
        }
        state = State.DONE;
        outer.finishInput();
    }

    /** Merges a partition's in-memory and spilled partial rows into one table of its groups. */
    private AggTable merge(Partition p) {
        List<Morsel> inMemory;
        p.lock.lock();
        try {
            p.taken = true;
            inMemory = p.sealed;
            p.sealed = new ArrayList<>();
            p.sealedBytes = 0;
            p.bytes = 0;
        } finally {
            p.lock.unlock();
        }
        long rows = 0;
        for (Morsel m : inMemory) {
            rows += m.rowCount();
        }
        SpillFile file = null;
        try {
            if (p.writer != null) {
                file = p.writer.finish();
            }
            if (rows == 0 && file == null) {
                return null;
            }
            events.accept(new PartitionMerging(COMPONENT, p.id, rows, file == null ? 0 : file.byteSize()));
            AggTable merged = new AggTable(layout, true, Integer.MAX_VALUE, pool, budget);
            try {
                while (!inMemory.isEmpty()) {
                    try (Morsel m = inMemory.removeLast()) {
                        merged.addPartials(m);
                    }
                }
                if (file != null) {
                    try (SpillReader reader = spills.open(file, budget)) {
                        for (int b = 0; b < reader.blockCount(); b++) {
                            try (Morsel m = reader.read(b, layout.partialSchema())) {
                                merged.addPartials(m);
                            }
                        }
                    }
                }
                return layout.hasDistinct() ? fold(merged) : merged;
            } catch (RuntimeException e) {
                merged.close();
                throw e;
            }
        } finally {
            inMemory.forEach(Morsel::close);
            if (file != null) {
                spills.delete(file);
            }
        }
    }

    /** Folds a merged table of the extended key back to the group keys, closing it. */
    private AggTable fold(AggTable merged) {
        AggTable folded = null;
        try (merged) {
            folded = new AggTable(layout, false, Integer.MAX_VALUE, pool, budget);
            for (int from = 0; from < merged.groups(); from += OUTPUT_ROWS) {
                try (Morsel m = merged.partials(from, Math.min(merged.groups(), from + OUTPUT_ROWS), pool, budget)) {
                    folded.addFolded(m);
                }
            }
            AggTable out = folded;
            folded = null;
            return out;
        } finally {
            if (folded != null) {
                folded.close();
            }
        }
    }

    // ================================================================== lifecycle

    /** Frees all memory and deletes the spill files. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        state = State.DONE;
        if (outer != null) {
            outer.close();
        }
        if (current != null) {
            current.close();
            current = null;
        }
        for (Partition p : partitions) {
            p.lock.lock();
            try {
                p.sealed.forEach(Morsel::close);
                p.sealed = new ArrayList<>();
                if (p.open != null) {
                    p.open.forEach(ColumnBuilder::close);
                    p.open = null;
                }
                p.bytes = 0;
                if (p.writer != null) {
                    p.writer.close();
                }
            } finally {
                p.lock.unlock();
            }
        }
        budget.close();
    }
}
