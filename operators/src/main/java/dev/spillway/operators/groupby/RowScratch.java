package dev.spillway.operators.groupby;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;

/**
 * A native per-row scratch array of a group-by table (row hashes, row group ids), reused from
 * morsel to morsel and replaced by a larger one — its contents not kept — when a morsel has more
 * rows than it holds. Its bytes come from the table's pool, charged to the table's budget, and
 * {@link #close} frees them. Not thread-safe.
 */
final class RowScratch implements AutoCloseable {
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final long width;
    private NativeBuffer buffer;
    private MemorySegment segment = MemorySegment.NULL;

    /** An empty scratch of {@code width}-byte values. */
    RowScratch(BlockPool pool, MemoryBudget budget, long width) {
        this.pool = pool;
        this.budget = budget;
        this.width = width;
    }

    /**
     * Room for {@code rows} values: the current array, or a larger one whose contents are
     * undefined. Valid until the next call.
     *
     * @throws dev.spillway.errors.MemoryLimitExceededException when the budget cannot be met (the
     *                                                          current array is then kept)
     */
    MemorySegment rows(int rows) {
        long bytes = width * Math.max(1, rows);
        if (segment.byteSize() < bytes) {
            NativeBuffer bigger = pool.allocate(budget, bytes);
            if (buffer != null) {
                buffer.close();
            }
            buffer = bigger;
            segment = bigger.segment();
        }
        return segment;
    }

    /** Whether the array holds {@code rows} values. */
    boolean holds(int rows) {
        return segment.byteSize() >= width * rows;
    }

    /** Native bytes held. */
    long byteSize() {
        return segment.byteSize();
    }

    /** Frees the array; idempotent. */
    @Override
    public void close() {
        segment = MemorySegment.NULL;
        if (buffer != null) {
            NativeBuffer b = buffer;
            buffer = null;
            b.close();
        }
    }
}
