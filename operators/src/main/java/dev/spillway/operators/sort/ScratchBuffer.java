package dev.spillway.operators.sort;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;

/**
 * Native working memory reused from morsel to morsel (the encoded keys of a cursor's current
 * block, a worker's candidate rows): one {@link NativeBuffer} charged to a budget, replaced by a
 * larger one only when a request does not fit, so that its size follows the largest morsel seen
 * and nothing is allocated per morsel once it is large enough. The contents do not survive a
 * {@link #ensure} that grows the buffer. Not thread-safe: one owner (a worker, a cursor).
 */
public final class ScratchBuffer implements AutoCloseable {
    private final BlockPool pool;
    private final MemoryBudget budget;
    private NativeBuffer buffer;
    private MemorySegment segment = MemorySegment.NULL;
    private boolean closed;

    /** An empty scratch; memory is taken from {@code pool} and charged to {@code budget} at the first {@link #ensure}. */
    public ScratchBuffer(BlockPool pool, MemoryBudget budget) {
        this.pool = pool;
        this.budget = budget;
    }

    /**
     * A segment of at least {@code bytes} bytes, valid until the next {@code ensure} or
     * {@link #close}; its contents are the previous ones unless the buffer had to grow.
     *
     * @throws dev.spillway.errors.MemoryLimitExceededException when the budget refuses a larger
     *         buffer (the scratch then holds nothing)
     */
    public MemorySegment ensure(long bytes) {
        if (closed) {
            throw new IllegalStateException("scratch buffer already closed");
        }
        if (bytes > segment.byteSize()) {
            free();
            buffer = pool.allocate(budget, Math.max(bytes, BlockPool.MIN_PIECE));
            segment = buffer.segment();
        }
        return segment;
    }

    /** Bytes held (charged to the budget). */
    public long capacity() {
        return segment.byteSize();
    }

    private void free() {
        NativeBuffer b = buffer;
        buffer = null;
        segment = MemorySegment.NULL;
        if (b != null) {
            b.close();
        }
    }

    /** Frees the memory; later {@link #ensure} calls fail. Idempotent. */
    @Override
    public void close() {
        closed = true;
        free();
    }
}
