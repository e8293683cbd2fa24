package dev.spillway.operators.merge;

import dev.spillway.event.EventSink;
import dev.spillway.event.RunSpilled;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillReader;
import dev.spillway.spill.SpillWriter;

import java.util.ArrayList;
import java.util.List;

/**
 * The buffered side's rows of one key (a <i>run</i>) while the other side's rows of that key are
 * joined against it. The rows are copied into chunks of at most {@code chunkRows} rows charged to
 * the join's budget, so memory is bounded by the largest run. When the run holds more than a
 * quarter of the memory cap, when a chunk cannot be reserved (the budget is exhausted even after
 * the memory manager spilled what it could), when the memory manager asks, or when forced,
 * the run moves to a spill file; later rows go straight to the file, and the run is read back
 * block by block for each block of matching rows of the other side.
 *
 * <p>Not thread-safe.
 */
final class RunBuffer implements AutoCloseable {
    /** Where the run lives. */
    enum State {
        /** Collecting or collected in memory. */
        IN_MEMORY,
        /** Collecting or collected in a spill file. */
        SPILLED
    }

    /** A run may hold at most this fraction (1/n) of the memory cap before it spills. */
    static final int MAX_SHARE_OF_CAP = 4;

    private final Schema schema;
    private final int chunkRows;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final SpillDirectory spills;
    private final EventSink events;
    private final String name;

    private final List<Morsel> chunks = new ArrayList<>();
    /** Views of the rows in the chunk being built, so that a failed copy loses nothing. */
    private final List<Morsel> buildingParts = new ArrayList<>();
    private ColumnBuilder[] builders;
    private int building;
    private long rows;
    private State state = State.IN_MEMORY;
    private SpillWriter writer;
    private SpillFile file;
    private SpillReader reader;
    private long spilledRuns;
    private long spilledBytes;

    RunBuffer(String name, Schema schema, int chunkRows, OperatorContext ctx) {
        this.name = name;
        this.schema = schema;
        this.chunkRows = chunkRows;
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.spills = ctx.spills();
        this.events = ctx.events();
    }

    /** Rows in the run. */
    long rows() {
        return rows;
    }

    /** Where the run lives. */
    State state() {
        return state;
    }

    /** Runs that went to disk so far. */
    long spilledRuns() {
        return spilledRuns;
    }

    /** Bytes written to disk so far. */
    long spilledBytes() {
        return spilledBytes;
    }

    /**
     * Appends rows {@code [from, to)} of {@code m} (not taken over).
     *
     * @param forceSpill whether the run should go to disk now even without memory pressure
     */
    void add(Morsel m, int from, int to, boolean forceSpill) {
        if (forceSpill && state == State.IN_MEMORY) {
            spill("forced");
        }
        long limit = budget.effectiveCap() / MAX_SHARE_OF_CAP;
        if (state == State.IN_MEMORY && memoryBytes() > limit) {
            // Spill while there is still memory to spill with (compression scratch, write buffers).
            spill("memory limit: the run holds " + memoryBytes() + " bytes, over 1/" + MAX_SHARE_OF_CAP + " of the "
                    + budget.effectiveCap() + "-byte cap");
        }
        if (state == State.SPILLED) {
            try (Morsel part = m.slice(from, to - from)) {
                writer.append(part, 0);
            }
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
                add(m, at, to, false);
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
                    builders[c] = ColumnBuilder.create(schema.field(c).type(), pool, budget, Math.min(chunkRows, Math.max(64, n)));
                }
            } catch (RuntimeException e) {
                closeBuilders();
                throw e;
            }
        }
        int[] rowIdx = new int[n];
        for (int k = 0; k < n; k++) {
            rowIdx[k] = from + k;
        }
        for (int c = 0; c < builders.length; c++) {
            builders[c].appendGather(new ColumnVector[] {m.column(c)}, null, rowIdx, n);
        }
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
        chunks.add(new Morsel(schema, cols, building, chunks.size()));
        building = 0;
        buildingParts.forEach(Morsel::close);
        buildingParts.clear();
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

    /** Moves the run to a spill file: writes the chunks so far and frees them. */
    private void spill(String why) {
        writer = spills.newWriter(name + "-run");
        for (Morsel c : chunks) {
            writer.append(c, 0);
        }
        // The half-built chunk's copies may be incomplete after a failed copy: write its source rows.
        for (Morsel part : buildingParts) {
            writer.append(part, 0);
        }
        closeBuilders();
        chunks.forEach(Morsel::close);
        chunks.clear();
        state = State.SPILLED;
        spilledRuns++;
        events.accept(new RunSpilled(name, rows, writer.path(), why));
    }

    /** Native bytes the run holds in memory (its chunks and the chunk being built). */
    long memoryBytes() {
        long n = 0;
        for (Morsel c : chunks) {
            n += c.byteSize();
        }
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
        if (state != State.IN_MEMORY || writer != null || rows == 0) {
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
        if (state != State.IN_MEMORY || builders != null || chunks.isEmpty()) {
            return 0;
        }
        long before = memoryBytes();
        spill(why);
        finish();
        return before;
    }

    /** Ends the run's collection; afterwards {@link #chunkCount} and {@link #chunk} read it. */
    void finish() {
        if (state == State.IN_MEMORY) {
            seal();
        } else {
            file = writer.finish();
            spilledBytes += file.byteSize();
            writer = null;
            reader = spills.open(file, budget);
        }
    }

    /** Chunks of the collected run. */
    int chunkCount() {
        return state == State.IN_MEMORY ? chunks.size() : reader.blockCount();
    }

    /**
     * Chunk {@code i}: for an in-memory run a view the caller closes; for a spilled run the block
     * read back from disk, which the caller closes.
     */
    Morsel chunk(int i) {
        if (state == State.IN_MEMORY) {
            Morsel c = chunks.get(i);
            return c.slice(0, c.rowCount());
        }
        return reader.read(i, schema);
    }

    /** Frees the run (memory and file) for the next one. */
    void clear() {
        closeBuilders();
        chunks.forEach(Morsel::close);
        chunks.clear();
        if (reader != null) {
            reader.close();
            reader = null;
        }
        if (file != null) {
            spills.delete(file);
            file = null;
        }
        if (writer != null) {
            writer.close();
            writer = null;
        }
        rows = 0;
        state = State.IN_MEMORY;
    }

    @Override
    public void close() {
        clear();
    }
}
