package dev.spillway.operators.groupby;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;

/**
 * An append-only native byte area for the string keys and string states of an {@link AggTable}:
 * values are addressed by offset and length. Replaced values are not reclaimed (a pre-aggregation
 * table resets it at every flush; a merge table lives for one partition). Not thread-safe.
 */
final class ByteLog implements AutoCloseable {
    private final BlockPool pool;
    private final MemoryBudget budget;
    private NativeBuffer buffer;
    private MemorySegment segment;
    private long used;

    ByteLog(BlockPool pool, MemoryBudget budget) {
        this.pool = pool;
        this.budget = budget;
    }

    /** Copies {@code len} bytes and returns their offset. */
    long append(MemorySegment src, long off, int len) {
        if (buffer == null || used + len > buffer.capacity()) {
            grow(used + len);
        }
        MemorySegment.copy(src, off, segment, used, len);
        long at = used;
        used += len;
        return at;
    }

    private void grow(long needed) {
        long cap = buffer == null ? 4096 : buffer.capacity();
        while (cap < needed) {
            cap *= 2;
        }
        NativeBuffer bigger = pool.allocate(budget, cap);
        if (buffer != null) {
            MemorySegment.copy(segment, 0, bigger.segment(), 0, used);
            buffer.close();
        }
        buffer = bigger;
        segment = bigger.segment();
    }

    /** The bytes (valid until the next append). */
    MemorySegment segment() {
        return segment == null ? MemorySegment.NULL : segment;
    }

    /** Forgets every value, keeping the memory. */
    void reset() {
        used = 0;
    }

    /** Native bytes held. */
    long byteSize() {
        return buffer == null ? 0 : buffer.capacity();
    }

    @Override
    public void close() {
        if (buffer != null) {
            buffer.close();
            buffer = null;
            segment = null;
        }
    }
}
