package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

/**
 * The start of a pipeline: hands out morsels to whichever worker pulls.
 *
 * <p>{@link #next} is called concurrently by several workers and must be thread-safe. Each morsel
 * it returns carries its sequence number, dense from 0 in source order, so that order-sensitive
 * sinks can restore that order ({@link ReorderBuffer}). The caller owns the returned morsel.
 *
 * <p>A source fed by a pipeline that runs at the same time (a fan-out buffer, an exchange) may
 * have nothing to hand out now and more later: it returns null from {@link #next} and false from
 * {@link #isExhausted()}; the scheduler then runs other work and pulls again after a short
 * back-off. {@link #close()} is called once when the query ends, however it ends.
 */
public interface Source extends AutoCloseable {
    /** Name used in errors, stats and explain output. */
    String name();

    /**
     * The next morsel, or null when there is none now: at the end (see {@link #isExhausted()}),
     * and for every later call.
     *
     * @param ctx the pulling worker's context
     */
    Morsel next(TaskContext ctx);

    /**
     * Consulted after {@link #next} returned null: true when the source has ended for good
     * (the default), false when it has nothing now but will have more later. Must be
     * thread-safe, must turn true once no morsel will ever come again, and must stay true.
     */
    default boolean isExhausted() {
        return true;
    }

    /**
     * Tells the source that nobody will pull it again before it closes (a downstream limit is
     * satisfied): a source shared with other readers lets go of what it keeps for this one, and a
     * source that reads another one passes the call on. A pull already under way may still
     * complete. Thread-safe and idempotent; the default does nothing.
     */
    default void detach() {
    }

    /** Releases resources (files, buffers). Idempotent; never throws for an already closed source. */
    @Override
    default void close() {
    }
}
