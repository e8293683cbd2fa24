package dev.spillway.operators.sort;

import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.spill.SpillReader;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A position in one sorted run during a merge: the run's current block (a morsel), its encoded
 * keys and the next row. Only the current block is in memory; moving past it closes it and loads
 * the next (from memory or, decompressed, from the run's spill file). Closing the cursor frees
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

    /** Releases what backs the run once it is read (a spill reader). */
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

    /** A run held in memory as sorted morsels, freed block by block as the merge passes them. */
    static final class InMemory extends RunCursor {
        private final ArrayDeque<Morsel> blocks;

        InMemory(KeyEncoder encoder, List<Morsel> blocks) {
            super(encoder);
            this.blocks = new ArrayDeque<>(blocks);
        }

        @Override
        Morsel nextBlock() {
            return blocks.pollFirst();
        }

        @Override
        void release() {
            Morsel m;
            while ((m = blocks.pollFirst()) != null) {
                m.close();
            }
        }
    }

    /** A run in a spill file, read back one block at a time through one open reader. */
    static final class Spilled extends RunCursor {
        private final Schema schema;
        private final AtomicInteger openReaders;
        private SpillReader reader;
        private int next;

        Spilled(KeyEncoder encoder, Schema schema, SpillReader reader, AtomicInteger openReaders) {
            super(encoder);
            this.schema = schema;
            this.reader = reader;
            this.openReaders = openReaders;
        }

        @Override
        Morsel nextBlock() {
            if (reader == null || next >= reader.blockCount()) {
                return null;
            }
            return reader.read(next++, schema);
        }

        @Override
        void release() {
            if (reader != null) {
                reader.close();
                reader = null;
                openReaders.decrementAndGet();
            }
        }
    }
}
