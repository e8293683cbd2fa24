package dev.spillway.spill;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of spill activity, for profiles, verbose logs and benchmarks. One instance per
 * {@link SpillManager} (process) and one per {@link SpillDirectory} (query).
 */
public final class SpillStats {
    private final LongAdder bytesWrittenRaw = new LongAdder();
    private final LongAdder bytesWrittenStored = new LongAdder();
    private final LongAdder bytesReadStored = new LongAdder();
    private final LongAdder bytesReadRaw = new LongAdder();
    private final LongAdder blocksWritten = new LongAdder();
    private final LongAdder blocksRead = new LongAdder();
    private final LongAdder filesCreated = new LongAdder();
    private final LongAdder filesDeleted = new LongAdder();
    private final LongAdder writeNanos = new LongAdder();
    private final LongAdder readNanos = new LongAdder();

    void wrote(long raw, long stored, long nanos) {
        bytesWrittenRaw.add(raw);
        bytesWrittenStored.add(stored);
        blocksWritten.increment();
        writeNanos.add(nanos);
    }

    void read(long stored, long raw, long nanos) {
        bytesReadStored.add(stored);
        bytesReadRaw.add(raw);
        blocksRead.increment();
        readNanos.add(nanos);
    }

    void fileCreated() {
        filesCreated.increment();
    }

    void fileDeleted() {
        filesDeleted.increment();
    }

    /** Raw (uncompressed) column bytes written. */
    public long bytesWrittenRaw() {
        return bytesWrittenRaw.sum();
    }

    /** Bytes that reached the disk for blocks (compressed or raw chunks plus metadata). */
    public long bytesWrittenCompressed() {
        return bytesWrittenStored.sum();
    }

    /** Stored bytes read back. */
    public long bytesRead() {
        return bytesReadStored.sum();
    }

    /** Raw column bytes produced by reads. */
    public long bytesReadRaw() {
        return bytesReadRaw.sum();
    }

    /** Blocks written. */
    public long blocksWritten() {
        return blocksWritten.sum();
    }

    /** Blocks read. */
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

    /** Time spent compressing and writing. */
    public long writeNanos() {
        return writeNanos.sum();
    }

    /** Time spent verifying and decompressing. */
    public long readNanos() {
        return readNanos.sum();
    }

    /** Read amplification: raw bytes read back per raw byte spilled (0 when nothing spilled). */
    public double readAmplification() {
        long w = bytesWrittenRaw();
        return w == 0 ? 0 : (double) bytesReadRaw() / w;
    }

    @Override
    public String toString() {
        return "SpillStats[written raw=" + bytesWrittenRaw() + " stored=" + bytesWrittenCompressed() + " read="
                + bytesRead() + " files=" + filesCreated() + "/" + filesDeleted() + " deleted]";
    }
}
