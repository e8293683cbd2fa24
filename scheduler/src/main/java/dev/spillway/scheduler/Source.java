package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

/**
 * The start of a pipeline: hands out morsels to whichever worker pulls.
 *
 * <p>{@link #next} is called concurrently by several workers and must be thread-safe. Each morsel
 * it returns carries the next sequence number, dense from 0 in source order, so that
 * order-sensitive sinks can restore that order ({@link ReorderBuffer}). The caller owns the
 * returned morsel. {@link #close()} is called once when the query ends, however it ends.
 */
public interface Source extends AutoCloseable {
    /** Name used in errors, stats and explain output. */
    String name();

    /**
     * The next morsel, or null when the source is exhausted (and for every later call).
     *
     * @param ctx the pulling worker's context
     */
    Morsel next(TaskContext ctx);

    /** Releases resources (files, buffers). Idempotent; never throws for an already closed source. */
    @Override
    default void close() {
    }
}
