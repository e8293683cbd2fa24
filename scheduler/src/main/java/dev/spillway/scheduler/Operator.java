package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

/**
 * A stateless step of a pipeline (filter, projection): one morsel in, at most one morsel out.
 *
 * <p>Called concurrently by several workers. It takes ownership of the input (closing it, or
 * passing its columns on) and returns a morsel owned by the caller with the input's sequence
 * number. When no row survives it may return either an empty morsel (a zero-row slice of the
 * input is free) or null; on null the scheduler passes nothing further down and tells the sink
 * that the sequence number was {@linkplain Sink#skip skipped}, so order-sensitive sinks do not
 * wait for it.
 */
public interface Operator extends AutoCloseable {
    /** Name used in errors, stats and explain output. */
    String name();

    /**
     * Transforms {@code input}; see the class contract for ownership.
     *
     * @return the output with the input's sequence number, or null when nothing survived
     */
    Morsel process(Morsel input, TaskContext ctx);

    /** Releases resources. Idempotent. */
    @Override
    default void close() {
    }
}
