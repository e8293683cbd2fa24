package dev.spillway.spill;

import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.nio.file.Path;

/**
 * One spill file of a {@link PartitionedStore}, shared by all its partitions: blocks are appended
 * through an unfinished {@link SpillWriter} and read back while the file may still grow.
 *
 * <p>The file is never finished: the store keeps the block index in memory, so a footer would
 * only be written to be ignored. Reads go through a mapping of the prefix written so far; a block
 * beyond it makes a new mapping, and the old one is unmapped once the reads leasing it ended
 * (leases, not a single reader, because another thread may be reading from the old mapping).
 *
 * <p>{@link #refs} counts the units with blocks here (guarded by the store's file lock); at zero,
 * or when the store closes, the writer is closed, which deletes the file and releases its disk
 * reservation.
 */
final class StoreFile {
    final SpillWriter writer;
    /** Units with blocks in this file; guarded by the store's file lock. */
    int refs;
    private Mapping current;
    private boolean deleted;

    private static final class Mapping {
        final SpillReader reader;
        int leases;
        boolean retired;

        Mapping(SpillReader reader) {
            this.reader = reader;
        }
    }

    StoreFile(SpillWriter writer) {
        this.writer = writer;
    }

    Path path() {
        return writer.path();
    }

    /** Reads the {@code block}-th block of this file; the caller owns the morsel. */
    Morsel read(int block, Schema schema, MemoryBudget budget) {
        Mapping m = lease(block);
        try {
            return m.reader.read(block, schema, budget);
        } finally {
            unlease(m);
        }
    }

    private synchronized Mapping lease(int block) {
        if (deleted) {
            throw new IllegalStateException("spill file " + path() + " was deleted");
        }
        if (current == null || current.reader.blockCount() <= block) {
            Mapping old = current;
            current = new Mapping(writer.openWritten());
            if (old != null) {
                retire(old);
            }
            if (current.reader.blockCount() <= block) {
                throw new IllegalStateException("block " + block + " of " + path() + " was not written");
            }
        }
        current.leases++;
        return current;
    }

    private synchronized void unlease(Mapping m) {
        m.leases--;
        if (m.retired && m.leases == 0) {
            m.reader.close();
        }
    }

    private void retire(Mapping m) {
        m.retired = true;
        if (m.leases == 0) {
            m.reader.close();
        }
    }

    /** Unmaps (now, or when the last read ends) and deletes the file. Idempotent. */
    synchronized void delete() {
        if (deleted) {
            return;
        }
        deleted = true;
        if (current != null) {
            retire(current);
            current = null;
        }
        writer.close();
    }
}
