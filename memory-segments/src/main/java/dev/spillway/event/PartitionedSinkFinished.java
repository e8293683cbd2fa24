package dev.spillway.event;

import java.nio.file.Path;

/**
 * A partitioned (Hive-style) file sink finished writing.
 *
 * @param format       the file format, lower case
 * @param dir          the output directory
 * @param partitions   partitions written
 * @param files        files written
 * @param rows         rows written
 * @param maxOpen      most files open at once
 * @param cap          the open-file cap
 * @param evictions    open files closed to stay under the cap
 * @param earlyFlushes buffers flushed early under memory pressure
 */
public record PartitionedSinkFinished(
        String format, Path dir, int partitions, int files, long rows, int maxOpen, int cap, long evictions,
        long earlyFlushes) implements SpillwayEvent {
    /** Always {@code sink}. */
    @Override
    public String component() {
        return "sink";
    }

    @Override
    public String line() {
        return "[spillway] sink: partitioned format=" + format + " dir=" + dir + " partitions=" + partitions + " files=" + files
                + " rows=" + rows + " max-open=" + maxOpen + " cap=" + cap + " evictions=" + evictions + " early-flushes="
                + earlyFlushes;
    }
}
