package dev.spillway.operators.sort;

import dev.spillway.memory.Morsel;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;

/**
 * A position in one sorted run during a merge: the run's current block (a morsel), its encoded
 * keys and the next row. Only the current block is in memory; moving past it closes it and loads
 * the next (decompressed from the run's spilled blocks, then from memory). Closing the cursor frees
 * whatever it still holds.
 */
abstract class RunCursor implements AutoCloseable {
    private final KeyEncoder encoder;
    Morsel block;
    long[] keys = new long[0];
    int row;
    int rows;
    boolean exhausted;

    RunCursor(KeyEncoder encoder) {
        this.encoder = encoder;
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
            int need = rows * encoder.width();
            if (keys.length < need) {
                keys = new long[need];
            }
            encoder.encode(m, keys, 0);
            return true;
        }
    }

    /** Releases what backs the run once it is read (its stream in the store). */
    void release() {
    }

    @Override
    public void close() {
        if (block != null) {
            block.close();
            block = null;
        }
        exhausted = true;
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

        Stored(KeyEncoder encoder, Iterator<Morsel> spilled, List<Morsel> inMemory, Runnable onRelease) {
            super(encoder);
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
