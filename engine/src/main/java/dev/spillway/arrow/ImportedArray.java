package dev.spillway.arrow;

import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@code ArrowArray} a producer handed over, moved into a C-heap struct of ours, whose
 * buffers column vectors read in place ({@link #wrap}).
 *
 * <p>The foreign bytes are charged to the query's budget while any vector reads them, so the
 * memory limit sees them as it sees the engine's own blocks (and a leak check names them). Each
 * wrapped buffer holds the array, as does the import until it has built the morsel
 * ({@link #done()}); the last to let go calls the producer's release callback, frees the struct
 * and gives the bytes back to the budget. That may be any thread that closes a vector.
 */
final class ImportedArray {
    private final MemorySegment array;
    private final MemoryBudget budget;
    private final AtomicInteger holds = new AtomicInteger(1);
    private long charged;

    /** Takes over {@code array} (ours, already moved from the producer's out-parameter). */
    ImportedArray(MemorySegment array, MemoryBudget budget) {
        this.array = array;
        this.budget = budget;
    }

    /**
     * A buffer over {@code bytes} foreign bytes at {@code address}, charged to the budget.
     *
     * @throws dev.spillway.errors.MemoryLimitExceededException when the budget cannot take them
     */
    NativeBuffer wrap(long address, long bytes) {
        budget.reserve(bytes);
        synchronized (this) {
            charged += bytes;
        }
        holds.incrementAndGet();
        MemorySegment segment = bytes == 0 ? MemorySegment.NULL : CData.at(address, bytes);
        return NativeBuffer.wrap(segment, budget, this::drop);
    }

    /** The import's own hold ends (after the morsel is built, or when building it failed). */
    void done() {
        drop();
    }

    private void drop() {
        if (holds.decrementAndGet() != 0) {
            return;
        }
        try {
            long release = array.get(CData.PTR, CData.ARRAY_RELEASE);
            if (release != 0) {
                CData.callRelease(release, array);
            }
        } finally {
            CData.free(array);
            long bytes;
            synchronized (this) {
                bytes = charged;
            }
            budget.release(bytes);
        }
    }
}
