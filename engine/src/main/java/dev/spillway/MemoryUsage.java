package dev.spillway;

/**
 * An engine's memory at one moment (see {@link Spillway#memoryUsage()}).
 *
 * @param reservedBytes     bytes reserved now by running queries and open collected frames
 * @param peakReservedBytes the most reserved at once since the engine started
 * @param limitBytes        the engine's memory limit, {@link Long#MAX_VALUE} when unlimited
 */
public record MemoryUsage(long reservedBytes, long peakReservedBytes, long limitBytes) {
}
