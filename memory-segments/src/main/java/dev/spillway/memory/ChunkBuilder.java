package dev.spillway.memory;

import dev.spillway.types.Schema;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows gathered column-wise until sealed into a morsel: a partition's build or probe rows, or a
 * join's result rows. Not thread-safe.
 */
public final class ChunkBuilder implements AutoCloseable {
    private static final int GATHER_BATCH = 1024;
    /** Each thread's batch of row numbers; an append uses it only until it returns. */
    private static final ThreadLocal<int[]> ROW_BATCH = ThreadLocal.withInitial(() -> new int[GATHER_BATCH]);
    private final Schema schema;
    private final List<ColumnBuilder> builders = new ArrayList<>();
    /** Per column, the one source of the current append (emptied after it), made on the first append. */
    private ColumnVector[][] sources;
    private int rows;

    /** An empty chunk of {@code schema} with room for {@code initialRows} rows, charged to {@code budget}. */
    public ChunkBuilder(Schema schema, BlockPool pool, MemoryBudget budget, int initialRows) {
        this.schema = schema;
        try {
            for (int c = 0; c < schema.size(); c++) {
                builders.add(ColumnBuilder.create(schema.field(c), pool, budget, initialRows));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Appends the rows {@code rowIds[from .. to)} (native int32 row numbers) of {@code m}, which has
     * this chunk's schema, a batch at a time per column. All or nothing, as {@link #appendRange}.
     */
    public void appendRows(Morsel m, MemorySegment rowIds, int from, int to) {
        int[] rowBuf = ROW_BATCH.get();
        ColumnVector[][] sources = sources(m);
        try {
            for (int start = from; start < to; start += GATHER_BATCH) {
                int count = Math.min(GATHER_BATCH, to - start);
                MemorySegment.copy(rowIds, ValueLayout.JAVA_INT_UNALIGNED, 4L * start, rowBuf, 0, count);
                gather(sources, rowBuf, count);
            }
        } finally {
            release(sources);
        }
    }

    /**
     * Appends rows {@code from .. to} of {@code m}, which has this chunk's schema, a batch at a
     * time per column. All or nothing: when a reservation fails, every column is cut back to the
     * rows it had and the exception propagates, so the chunk stays consistent (and whole) for
     * whoever closes or seals it.
     */
    public void appendRange(Morsel m, int from, int to) {
        int[] rowBuf = ROW_BATCH.get();
        ColumnVector[][] sources = sources(m);
        try {
            for (int start = from; start < to; start += GATHER_BATCH) {
                int count = Math.min(GATHER_BATCH, to - start);
                for (int k = 0; k < count; k++) {
                    rowBuf[k] = start + k;
                }
                gather(sources, rowBuf, count);
            }
        } finally {
            release(sources);
        }
    }

    private ColumnVector[][] sources(Morsel m) {
        if (sources == null || sources.length != builders.size()) {
            sources = new ColumnVector[builders.size()][1];
        }
        for (int c = 0; c < sources.length; c++) {
            sources[c][0] = m.column(c);
        }
        return sources;
    }

    /** Drops the references to the appended morsel's columns. */
    private static void release(ColumnVector[][] sources) {
        for (ColumnVector[] s : sources) {
            s[0] = null;
        }
    }

    /** Appends rows {@code rows[0 .. count)} of every column, or none of them. */
    private void gather(ColumnVector[][] sources, int[] rows, int count) {
        int c = 0;
        try {
            for (; c < sources.length; c++) {
                builders.get(c).appendGather(sources[c], null, rows, count);
            }
        } catch (RuntimeException | Error e) {
            for (int done = 0; done < c; done++) {
                builders.get(done).truncate(this.rows);
            }
            throw e;
        }
        this.rows += count;
    }

    public int rows() {
        return rows;
    }

    /** The builder of column {@code c}, for callers that assemble rows themselves. */
    public ColumnBuilder column(int c) {
        return builders.get(c);
    }

    /** Counts a row whose columns the caller appended through {@link #column}. */
    public void rowAppended() {
        rows++;
    }

    public long byteSize() {
        long n = 0;
        for (int c = 0; c < builders.size(); c++) {
            n += builders.get(c).byteSize();
        }
        return n;
    }

    /** The rows as a morsel; this chunk is spent. */
    public Morsel seal() {
        return seal(0);
    }

    /** The rows as a morsel with the given sequence number; this chunk is spent. */
    public Morsel seal(long sequence) {
        List<ColumnVector> cols = new ArrayList<>(builders.size());
        try {
            for (ColumnBuilder b : builders) {
                cols.add(b.build());
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            throw e;
        }
        builders.clear();
        return new Morsel(schema, cols, rows, sequence);
    }

    @Override
    public void close() {
        builders.forEach(ColumnBuilder::close);
        builders.clear();
    }
}
