package dev.spillway.scheduler;

/**
 * A unit of work on the pool's queue: a morsel ticket, a combine or a finish. Every task is
 * counted in its query's outstanding tasks from enqueue to completion, which is how the query
 * knows when nothing of it runs any more and its resources can be released.
 */
abstract class Task {
    final QueryRun query;

    Task(QueryRun query) {
        this.query = query;
    }

    /** Runs the task unless the query was cancelled; returns whether it did useful work. */
    final boolean execute(WorkerPool.Worker worker) {
        try {
            if (query.context().isCancelled()) {
                return true;
            }
            return run(worker);
        } catch (Throwable t) {
            // Tasks report their own failures with the operator's name; this is the last resort
            // that keeps the worker alive.
            query.fail(t, null, null);
            return true;
        } finally {
            query.taskDone();
        }
    }

    abstract boolean run(WorkerPool.Worker worker);
}
