package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

/**
 * The end of a pipeline: a pipeline breaker (join build, aggregation, sort), a file writer or
 * the collector of a result.
 *
 * <p>Phases, in order: {@link #createLocal} once for each worker that runs the pipeline;
 * {@link #consume} for every morsel (concurrently, each worker with its own local state);
 * {@link #combine} once per local state after the source is exhausted; {@link #finish} once after
 * every combine. All phases run on the worker pool. {@link #close()} runs once when the query
 * ends, however it ends, and must release everything the sink still holds.
 *
 * <p>Backpressure: while {@link #ready()} is false (the sink is spilling), workers pull no new
 * morsel for this pipeline and run other work or back off.
 *
 * @param <L> the per-worker local state
 */
public interface Sink<L> extends AutoCloseable {
    /** Name used in errors, stats and explain output. */
    String name();

    /** Creates the local state of one worker. */
    L createLocal(TaskContext ctx);

    /** Consumes a morsel, taking ownership of it. */
    void consume(L local, Morsel morsel, TaskContext ctx);

    /** Merges one worker's local state into the shared state. */
    void combine(L local, TaskContext ctx);

    /** Completes the shared state; dependent pipelines start after this returns. */
    void finish(TaskContext ctx);

    /** Whether the sink accepts a morsel now; false makes workers stop pulling for a while. */
    default boolean ready() {
        return true;
    }

    /** Releases resources. Idempotent. */
    @Override
    default void close() {
    }
}
