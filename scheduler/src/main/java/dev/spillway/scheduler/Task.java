package dev.spillway.scheduler;

/**
 * A unit of work on the pool's queue: a morsel ticket, a combine or a finish.
 *
 * <p>Every task is counted in its query's outstanding tasks from enqueue to completion; that is
 * how the query knows when nothing of it runs any more and its resources can be released. A task
 * of a cancelled query is not run but {@linkplain #discard() discarded}, which releases whatever it
 * holds (a morsel waiting for a refusing sink, a worker-local sink state).
 */
abstract class Task {
    final QueryRun query;
    final PipelineRun<?> owner;

    Task(PipelineRun<?> pipeline) {
        this.query = pipeline.query;
        this.owner = pipeline;
    }

    /**
     * Runs the task unless its query was cancelled or is past its deadline; never throws.
     *
     * @param nowNanos the worker's clock reading, for the deadline check
     * @return whether the task did useful work (false: it found its sink refusing or its source
     *         empty, and the worker should back off if that is all there is)
     */
    final boolean execute(WorkerPool.Worker worker, long nowNanos) {
        try {
            QueryContext ctx = query.context();
            if (!ctx.isCancelled() && ctx.pastDeadline(nowNanos)) {
                query.timeOut();
            }
            if (ctx.isCancelled()) {
                discard();
                return true;
            }
            return run(worker);
        } catch (Throwable t) {
            // Tasks report their own failures with the operator's name; this is the last resort
            // that keeps the worker alive.
            query.fail(t, owner.pipeline.name(), null);
            return true;
        } finally {
            // A task that put itself back on the queue stays outstanding: its count carries over.
            if (!worker.takeRequeued()) {
                query.taskDone();
            }
        }
    }

    /** Drops the task without running it (its query ended, or the pool closed); never throws. */
    final void abandon() {
        try {
            discard();
        } catch (Throwable t) {
            query.fail(t, owner.pipeline.name(), null);
        } finally {
            query.taskDone();
        }
    }

    /** Does the work; failures of user code are caught and reported inside. */
    abstract boolean run(WorkerPool.Worker worker);

    /** Releases what the task holds instead of running it. */
    void discard() {
    }
}
