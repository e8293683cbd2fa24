package dev.spillway;

/**
 * A snapshot of a running query, taken by the query's sampler (every
 * {@link QueryRecorder#SAMPLE_MILLIS} ms) and handed to {@link Spillway.Builder#progress}.
 *
 * @param query         the query name
 * @param elapsedNanos  time since the query started
 * @param rowsProcessed rows taken in by all pipelines so far (sources and sinks fed)
 * @param reservedBytes memory the query holds now
 * @param capBytes      the query's memory cap
 * @param spilledBytes  bytes written to the query's spill files so far
 * @param onDiskBytes   bytes in the query's spill files now
 */
public record QueryProgress(String query, long elapsedNanos, long rowsProcessed, long reservedBytes, long capBytes,
        long spilledBytes, long onDiskBytes) {
}
