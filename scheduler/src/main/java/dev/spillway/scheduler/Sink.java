package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

/**
 * The end of a pipeline: a pipeline breaker (join build, aggregation, sort), a file writer or
 * the collector of a result.
 *
 * <p>Phases, in order, all on the worker pool:
 * <ol>
 *   <li>{@link #createLocal} once for each worker that runs the pipeline, when it first needs its
 *       local state;</li>
 *   <li>{@link #offer} (by default: {@link #consume}) for every morsel, and {@link #skip} for
 *       every sequence number an operator filtered out entirely — concurrently, each worker with
 *       its own local state;</li>
 *   <li>{@link #combine} once per local state after the source is exhausted (several combines
 *       may run at once; each takes ownership of its local state);</li>
 *   <li>{@link #finish} once, after every combine; pipelines that depend on this one start after
 *       it returns.</li>
 * </ol>
 * {@link #close()} runs once when the query ends, however it ends, and must release everything
 * the sink still holds. A local state that never reached {@code combine} (the query failed or was
 * cancelled) is closed by the scheduler when it is {@link AutoCloseable}.
 *
 * <p>Backpressure: while {@link #ready()} is false, workers pull no new morsel for this pipeline.
 * A sink that finds itself over its memory while handling a morsel it has already been offered
 * can refuse it from {@link #offer}; the scheduler keeps it in flight and offers it again later.
 * Meanwhile the workers run other pipelines or back off (spin, yield, park).
 *
 * @param <L> the per-worker local state
 */
public interface Sink<L> extends AutoCloseable {
    /** Name used in errors, stats and explain output. */
    String name();

    /**
     * Creates the local state of one worker. A sink without per-worker state may return null;
     * it is then still created once per worker and passed (as null) to every phase.
     */
    L createLocal(TaskContext ctx);

    /** Consumes a morsel, taking ownership of it. */
    void consume(L local, Morsel morsel, TaskContext ctx);

    /**
     * Offers a morsel. Returns true when the sink took it (and with it its ownership), false to
     * refuse it for now — e.g. while spilling — in which case the caller keeps it and offers it
     * again later. The scheduler calls this method; the default consumes and accepts.
     */
    default boolean offer(L local, Morsel morsel, TaskContext ctx) {
        consume(local, morsel, ctx);
        return true;
    }

    /**
     * Sequence number {@code sequence} will never arrive: an operator filtered out all its rows.
     * Order-sensitive sinks must account for it ({@link ReorderBuffer#skip}); the default ignores it.
     */
    default void skip(L local, long sequence, TaskContext ctx) {
    }

    /** Merges one worker's local state into the shared state; may run concurrently with other combines. */
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
