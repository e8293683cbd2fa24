package dev.spillway.spill;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link PartitionedStore} (and of the children it re-partitioned into), for
 * profiles, verbose logs and tests. Written by whichever thread appends, spills or reads.
 */
public final class StoreStats {
    private final LongAdder bytesEvicted = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder blocksWritten = new LongAdder();
    private final LongAdder blocksRead = new LongAdder();
    private final LongAdder filesCreated = new LongAdder();
    private final LongAdder filesDeleted = new LongAdder();

    void evicted(long bytes) {
        bytesEvicted.add(bytes);
        evictions.increment();
    }

    void blockWritten() {
        blocksWritten.increment();
    }

    void blockRead() {
        blocksRead.increment();
    }

    void fileCreated() {
        filesCreated.increment();
    }

    void fileDeleted() {
        filesDeleted.increment();
    }

    /** Memory bytes freed by evicting partitions or streams. */
    public long bytesEvicted() {
        return bytesEvicted.sum();
    }

    /** Evictions that freed memory (a partition evicted twice counts twice). */
    public long evictions() {
        return evictions.sum();
    }

    /** Blocks written, by evictions and write-through. */
    public long blocksWritten() {
        return blocksWritten.sum();
    }

    /** Blocks read back. */
    public long blocksRead() {
        return blocksRead.sum();
    }

    /** Spill files created. */
    public long filesCreated() {
        return filesCreated.sum();
    }

    /** Spill files deleted. */
    public long filesDeleted() {
        return filesDeleted.sum();
    }

    @Override
    public String toString() {
        return "StoreStats[evicted=" + bytesEvicted() + " bytes in " + evictions() + " evictions, blocks written="
                + blocksWritten() + " read=" + blocksRead() + ", files=" + filesCreated() + "/" + filesDeleted()
                + " deleted]";
    }
}
