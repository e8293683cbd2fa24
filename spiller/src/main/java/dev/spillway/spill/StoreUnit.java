package dev.spillway.spill;

import dev.spillway.memory.ChunkBuilder;
import dev.spillway.memory.Morsel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One hash partition or stream of a {@link PartitionedStore}. Every field is guarded by
 * {@link #lock}; the volatile ones are written under it and read without it by the memory
 * manager's threads (sizes for the victim choice), which never touch {@link #open}: its owner may
 * be sealing it.
 */
final class StoreUnit {
    final int id;
    final ReentrantLock lock = new ReentrantLock();
    /** Sealed in-memory morsels, in append order. */
    List<Morsel> sealed = new ArrayList<>();
    /** The chunk rows are scattered into (hash partitions only). */
    ChunkBuilder open;
    long sealedBytes;
    /**
     * The shares of the sealed morsels that are views of a morsel other units hold too; null until
     * the first (only stream stores share morsels, and a store has hundreds of units).
     */
    Map<Morsel, Share> shares;
    /** Bytes of the sealed morsels in {@link #shares}; part of {@link #bytes}. */
    volatile long sharedBytes;
    /** Blocks on disk, in write order. */
    final List<BlockRef> blocks = new ArrayList<>();
    /** Files holding blocks of this unit; guarded by the store's file lock, not {@link #lock}. */
    final List<StoreFile> files = new ArrayList<>(1);
    /** Next block {@link PartitionedStore#poll} returns. */
    int polled;
    /** In-memory bytes: sealed plus open. */
    volatile long bytes;
    /** Rows in memory and on disk. */
    volatile long rows;
    volatile long spilledRows;
    /** In-memory bytes of the blocks on disk (before compression): what reading them back takes. */
    volatile long spilledBytes;
    /** Bytes of this unit's blocks in the file (compressed, with their headers). */
    volatile long diskBytes;
    volatile boolean spilled;
    volatile int pins;
    volatile boolean taken;
    volatile boolean released;

    StoreUnit(int id) {
        this.id = id;
    }

    boolean evictable() {
        return pins == 0 && !taken && !released;
    }

    void updateBytes() {
        bytes = sealedBytes + (open == null ? 0 : open.byteSize());
    }

    /**
     * A morsel several streams hold views of ({@link StreamStore#addShared}): its buffers are
     * freed when the last view is closed. Guarded by itself (holds of different units).
     */
    static final class Share {
        final long bytes;
        int holds;
        /** Whether {@link #bytes} are in the store's {@code sharedOnce}: until taken or every hold dropped. */
        boolean counted = true;

        Share(long bytes, int holds) {
            this.bytes = bytes;
            this.holds = holds;
        }
    }

    /** A block of this unit: the {@code index}-th block of {@code file}. */
    record BlockRef(StoreFile file, int index, int rows) {
    }
}
