package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

/**
 * A stateless step of a pipeline (filter, projection): one morsel in, one morsel out.
 *
 * <p>Called concurrently by several workers. It takes ownership of the input (closing it, or
 * passing its columns on) and returns a morsel owned by the caller with the same sequence number.
 * It never drops a morsel: when no row survives it returns an empty one (a zero-row slice of the
 * input is free), so sequence numbers stay dense for order-sensitive sinks.
 */
public interface Operator extends AutoCloseable {
    /** Name used in errors, stats and explain output. */
    String name();

    /** Transforms {@code input}; see the class contract for ownership. */
    Morsel process(Morsel input, TaskContext ctx);

    /** Releases resources. Idempotent. */
    @Override
    default void close() {
    }
}
