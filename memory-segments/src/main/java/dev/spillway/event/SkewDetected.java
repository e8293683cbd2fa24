package dev.spillway.event;

import dev.spillway.memory.Bytes;

/**
 * A hash join partition cannot be split into pieces that fit in memory, so it is joined by
 * building its hash table in chunks ({@code strategy=chunked-build}). The {@link Reason} says why;
 * each reason prints its own line and reads only the fields it names.
 *
 * @param component     the reporting operator, e.g. {@code equi-join}
 * @param partition     the partition label ({@code 17}, or {@code 17.3} for a sub-partition)
 * @param reason        why the partition is skewed
 * @param buildRows     build rows in the partition ({@link Reason#MAX_DEPTH}, {@link Reason#DOMINANT_KEY}); 0 otherwise
 * @param level         the partition's re-partitioning level ({@link Reason#MAX_DEPTH}); 0 otherwise
 * @param parentRows    build rows of the partition it was split from ({@link Reason#DOMINANT_KEY}); 0 otherwise
 * @param chunkLimit    bytes of one build chunk ({@link Reason#TOO_LARGE}); 0 otherwise
 */
public record SkewDetected(String component, String partition, Reason reason, long buildRows, int level, long parentRows,
        long chunkLimit) implements SpillwayEvent {

    /** Why a partition is joined in chunks. */
    public enum Reason {
        /** It reached the deepest re-partitioning level and still does not fit. */
        MAX_DEPTH,
        /** Re-partitioning left one sub-partition with (nearly) every row: one key dominates. */
        DOMINANT_KEY,
        /** Its build side does not fit in memory at once, so it is built chunk by chunk. */
        TOO_LARGE
    }

    /** The partition reached the deepest re-partitioning level. */
    public static SkewDetected maxDepth(String component, String partition, long buildRows, int level) {
        return new SkewDetected(component, partition, Reason.MAX_DEPTH, buildRows, level, 0, 0);
    }

    /** One key dominates: a sub-partition of {@code parentRows} rows kept {@code buildRows} of them. */
    public static SkewDetected dominantKey(String component, String partition, long buildRows, long parentRows) {
        return new SkewDetected(component, partition, Reason.DOMINANT_KEY, buildRows, 0, parentRows, 0);
    }

    /** The partition is built in chunks of {@code chunkLimit} bytes. */
    public static SkewDetected tooLarge(String component, String partition, long chunkLimit) {
        return new SkewDetected(component, partition, Reason.TOO_LARGE, 0, 0, 0, chunkLimit);
    }

    @Override
    public String line() {
        return switch (reason) {
            case MAX_DEPTH -> "[spillway] " + component + ": skew detected partition=" + partition + " build-rows=" + buildRows
                    + " level=" + level + " strategy=chunked-build reason=max-depth";
            case DOMINANT_KEY -> "[spillway] " + component + ": skew detected partition=" + partition + " build-rows=" + buildRows
                    + " of " + parentRows + " after re-partitioning: one key dominates; strategy=chunked-build";
            case TOO_LARGE -> "[spillway] " + component + ": skew partition=" + partition + " does not fit in memory at once"
                    + " strategy=chunked-build chunk-limit=" + Bytes.format(chunkLimit);
        };
    }
}
