package dev.spillway.operators.groupby.function;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;

/**
 * An append-only native byte area for the variable-size values (string keys, string states) of
 * the {@link GroupColumn}s of one group-by table: values are addressed by offset and length, and
 * the bytes are charged to the table's budget. Replaced values are not reclaimed (a
 * pre-aggregation table resets the log at every flush; a merge table lives for one partition).
 * Not thread-safe.
 */
public final class ByteLog implements AutoCloseable {
    private final BlockPool pool;
    private final MemoryBudget budget;
    private NativeBuffer buffer;
    private MemorySegment segment;
    private long used;

    /** An empty log whose blocks come from {@code pool}, charged to {@code budget}. */
    public ByteLog(BlockPool pool, MemoryBudget budget) {
        this.pool = pool;
        this.budget = budget;
    }

    /** Copies {@code len} bytes and returns their offset. */
    public long append(MemorySegment src, long off, int len) {
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
    public MemorySegment segment() {
        return segment == null ? MemorySegment.NULL : segment;
    }

    /** Forgets every value, keeping the memory. */
    public void reset() {
        used = 0;
    }

    /** Native bytes held. */
    public long byteSize() {
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
