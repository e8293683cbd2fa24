package dev.spillway.operators.merge;

import dev.spillway.event.EventSink;
import dev.spillway.event.RunSpilled;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.StreamStore;

import java.util.ArrayList;
import java.util.List;

/**
 * The buffered side's rows of one key (a <i>run</i>) while the other side's rows of that key are
 * joined against it. The run is a stream of the shared {@link StreamStore}, restarted for each
 * run: rows are copied into chunks of at most {@code chunkRows} rows charged to the join's
 * budget and added to the stream as they fill, so memory is bounded by the largest run. When the
 * run holds more than a quarter of the memory cap, when a chunk cannot be reserved (the budget
 * is exhausted even after the memory manager spilled what it could), or when the memory manager
 * asks, the stream is moved to disk; later rows go straight to the file. The store's
 * forced-spill rule selects runs that go to disk from their start. A spilled run is read back
 * block by block for each block of matching rows of the other side.
 *
 * <p>Not thread-safe.
 */
final class RunBuffer implements AutoCloseable {
    /** Where the run lives. */
    enum State {
        /** Collecting or collected in memory. */
        IN_MEMORY,
        /** Collecting or collected on disk. */
        SPILLED
    }

    /** A run may hold at most this fraction (1/n) of the memory cap before it spills. */
    static final int MAX_SHARE_OF_CAP = 4;
    /** Most rows copied per gather call (bounds the heap scratch, whatever the chunk size). */
    private static final int GATHER_BATCH = 1024;

    private final Schema schema;
    private final int chunkRows;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final EventSink events;
    private final String name;
    private final StreamStore store;
    /** The run's stream, created with the first run (after a forced-spill setting made before it). */
    private int stream = -1;

    /** Rows of one gather call, and its single source. */
    private final int[] rowIdx;
    private final ColumnVector[] source = new ColumnVector[1];
    /** Views of the rows in the chunk being built, so that a failed copy loses nothing. */
    private final List<Morsel> buildingParts = new ArrayList<>();
    private ColumnBuilder[] builders;
    private int building;
    private long rows;
    /** Why the run went to disk, null while it did not (or went by the forced-spill rule). */
    private String spillReason;
    private long spilledRuns;
    private long spilledBytes;

    RunBuffer(String name, Schema schema, int chunkRows, OperatorContext ctx) {
        this.name = name;
        this.schema = schema;
        this.chunkRows = chunkRows;
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.events = ctx.events();
        this.store = ctx.store(name, schema).streams();
        this.rowIdx = new int[Math.max(1, Math.min(chunkRows, GATHER_BATCH))];
    }

    /** Sets the store's forced-spill fraction: the share of runs that go to disk from their start. */
    void forceSpill(double fraction) {
        store.forceSpill(fraction);
    }

    /** Rows in the run. */
    long rows() {
        return rows;
    }

    /** Where the run lives. */
    State state() {
        return stream >= 0 && store.spilled(stream) ? State.SPILLED : State.IN_MEMORY;
    }

    /** Runs that went to disk so far. */
    long spilledRuns() {
        return spilledRuns;
    }

    /** Bytes of rows written to disk so far, uncompressed (as they were in memory). */
    long spilledBytes() {
        return spilledBytes;
    }

    /** Appends rows {@code [from, to)} of {@code m} (not taken over). */
    void add(Morsel m, int from, int to) {
        if (stream < 0) {
            stream = store.newStream();
        }
        long limit = budget.effectiveCap() / MAX_SHARE_OF_CAP;
        if (state() == State.IN_MEMORY && memoryBytes() > limit) {
            // Spill while there is still memory to spill with (compression scratch, write buffers).
            spill("memory limit: the run holds " + memoryBytes() + " bytes, over 1/" + MAX_SHARE_OF_CAP + " of the "
                    + budget.effectiveCap() + "-byte cap");
        }
        if (state() == State.SPILLED) {
            Morsel part = m.slice(from, to - from);
            spilledBytes += part.byteSize();
            store.add(stream, part);
            rows += to - from;
            return;
        }
        int at = from;
        while (at < to) {
            int n = Math.min(to - at, chunkRows - building);
            try {
                append(m, at, n);
            } catch (MemoryLimitExceededException e) {
                spill("memory limit: " + e.getMessage());
                add(m, at, to);
                return;
            }
            at += n;
            rows += n;
        }
    }

    private void append(Morsel m, int from, int n) {
        if (builders == null) {
            builders = new ColumnBuilder[schema.size()];
            try {
                for (int c = 0; c < builders.length; c++) {
                    builders[c] = ColumnBuilder.create(schema.field(c), pool, budget, Math.min(chunkRows, Math.max(64, n)));
                }
            } catch (RuntimeException e) {
                closeBuilders();
                throw e;
            }
        }
        for (int done = 0; done < n; done += rowIdx.length) {
            int count = Math.min(rowIdx.length, n - done);
            for (int k = 0; k < count; k++) {
                rowIdx[k] = from + done + k;
            }
            for (int c = 0; c < builders.length; c++) {
                source[0] = m.column(c);
                builders[c].appendGather(source, null, rowIdx, count);
            }
        }
        source[0] = null;
        buildingParts.add(m.slice(from, n));
        building += n;
        if (building == chunkRows) {
            seal();
        }
    }

    private void seal() {
        if (builders == null || building == 0) {
            closeBuilders();
            return;
        }
        List<ColumnVector> cols = new ArrayList<>(builders.length);
        for (ColumnBuilder b : builders) {
            cols.add(b.build());
        }
        builders = null;
        int n = building;
        building = 0;
        buildingParts.forEach(Morsel::close);
        buildingParts.clear();
        store.add(stream, new Morsel(schema, cols, n, store.size(stream)));
    }

    private void closeBuilders() {
        if (builders != null) {
            for (ColumnBuilder b : builders) {
                if (b != null) {
                    b.close();
                }
            }
            builders = null;
        }
        building = 0;
        buildingParts.forEach(Morsel::close);
        buildingParts.clear();
    }

    /** Moves the run to disk: the store writes the sealed chunks and frees them; later rows go straight to disk. */
    private void spill(String why) {
        spilledBytes += store.moveToDisk(stream);
        // The half-built chunk's copies may be incomplete after a failed copy: write its source rows.
        List<Morsel> parts = List.copyOf(buildingParts);
        buildingParts.clear();
        closeBuilders();
        for (Morsel part : parts) {
            spilledBytes += part.byteSize();
            store.add(stream, part);
        }
        spillReason = why;
        spilledRuns++;
        events.accept(new RunSpilled(name, rows, store.file(stream), why));
    }

    /** Native bytes the run holds in memory (its chunks and the chunk being built). */
    long memoryBytes() {
        long n = stream >= 0 ? store.bytes(stream) : 0;
        if (builders != null) {
            for (ColumnBuilder b : builders) {
                n += b.byteSize();
            }
        }
        return n;
    }

    /**
     * Moves a run still being collected in memory to disk (memory pressure elsewhere).
     *
     * @return bytes freed
     */
    long spillNow(String why) {
        if (state() != State.IN_MEMORY || rows == 0) {
            return 0;
        }
        long before = memoryBytes();
        spill(why);
        return before;
    }

    /**
     * Moves a collected in-memory run to disk (memory pressure while joining it): each chunk
     * becomes one block, so chunk numbers stay the same. Views of chunks already handed out stay
     * valid.
     *
     * @return bytes freed (once those views are closed)
     */
    long spillCollected(String why) {
        if (state() != State.IN_MEMORY || builders != null || chunkCount() == 0) {
            return 0;
        }
        long before = memoryBytes();
        spill(why);
        return before;
    }

    /** Ends the run's collection; afterwards {@link #chunkCount} and {@link #chunk} read it. */
    void finish() {
        if (state() == State.IN_MEMORY) {
            seal();
        } else if (spillReason == null && rows > 0) {
            // On disk from its start: the store's forced-spill rule chose this run.
            spilledRuns++;
            events.accept(new RunSpilled(name, rows, store.file(stream), "forced"));
        }
    }

    /** Chunks of the collected run. */
    int chunkCount() {
        return stream < 0 ? 0 : store.size(stream);
    }

    /**
     * Chunk {@code i}: for an in-memory run a view the caller closes; for a spilled run the block
     * read back from disk, which the caller closes.
     */
    Morsel chunk(int i) {
        return store.read(stream, i, budget);
    }

    /** Frees the run (memory and blocks) for the next one. */
    void clear() {
        closeBuilders();
        if (stream >= 0) {
            store.restart(stream);
        }
        rows = 0;
        spillReason = null;
    }

    @Override
    public void close() {
        closeBuilders();
        store.close();
    }
}
