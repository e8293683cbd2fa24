package dev.spillway.operators.sort;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

/**
 * A position in one sorted run during a merge: the run's current block (a morsel), its encoded
 * keys and the next row. Only the current block is in memory; moving past it closes it and loads
 * the next (decompressed from the run's spilled blocks, then from memory). The keys are in a
 * native {@link ScratchBuffer} charged to the sort's budget, sized by the largest block and
 * freed when the run is read. Closing the cursor frees whatever it still holds.
 */
abstract class RunCursor implements AutoCloseable {
    private final KeyEncoder encoder;
    private final ScratchBuffer keyBuffer;
    Morsel block;
    /** The current block's keys (row {@code r} at word {@code r * width}); valid until the next {@link #advance}. */
    MemorySegment keys = MemorySegment.NULL;
    int row;
    int rows;
    boolean exhausted;

    RunCursor(KeyEncoder encoder, BlockPool pool, MemoryBudget budget) {
        this.encoder = encoder;
        this.keyBuffer = new ScratchBuffer(pool, budget);
    }

    /** The next block of the run, or null at its end; the cursor owns it. */
    abstract Morsel nextBlock();

    /** Closes the current block and loads the next; returns false at the end of the run. */
    final boolean advance() {
        if (block != null) {
            block.close();
            block = null;
        }
        while (true) {
            Morsel m = nextBlock();
            if (m == null) {
                exhausted = true;
                rows = 0;
                row = 0;
                freeKeys();
                release();
                return false;
            }
            if (m.rowCount() == 0) {
                m.close();
                continue;
            }
            block = m;
            rows = m.rowCount();
            row = 0;
            keys = keyBuffer.ensure(encoder.bytesFor(rows));
            encoder.encode(m, keys, 0);
            return true;
        }
    }

    /** Releases what backs the run once it is read (its stream in the store). */
    void release() {
    }

    private void freeKeys() {
        keys = MemorySegment.NULL;
        keyBuffer.close();
    }

    @Override
    public void close() {
        if (block != null) {
            block.close();
            block = null;
        }
        exhausted = true;
        freeKeys();
        release();
    }

    /**
     * A run of the sort's store: its spilled blocks, read back one at a time, then the sorted
     * morsels taken from memory, each freed as the merge passes it. {@code onRelease} runs once,
     * when the run is read or the cursor closed (it releases the run's stream).
     */
    static final class Stored extends RunCursor {
        private final Iterator<Morsel> spilled;
        private final ArrayDeque<Morsel> inMemory;
        private Runnable onRelease;

        Stored(KeyEncoder encoder, BlockPool pool, MemoryBudget budget, Iterator<Morsel> spilled, List<Morsel> inMemory,
                Runnable onRelease) {
            super(encoder, pool, budget);
            this.spilled = spilled;
            this.inMemory = new ArrayDeque<>(inMemory);
            this.onRelease = onRelease;
        }

        @Override
        Morsel nextBlock() {
            if (onRelease == null) {
                return null;
            }
            return spilled.hasNext() ? spilled.next() : inMemory.pollFirst();
        }

        @Override
        void release() {
            Morsel m;
            while ((m = inMemory.pollFirst()) != null) {
                m.close();
            }
            Runnable r = onRelease;
            onRelease = null;
            if (r != null) {
                r.run();
            }
        }
    }
}
