package dev.spillway.scheduler;

/**
 * What a running task knows about where it runs: the worker and the query.
 *
 * @param worker index of the worker thread, {@code 0 <= worker < pool.threads()}
 * @param query  the query the task belongs to
 */
public record TaskContext(int worker, QueryContext query) {
    /** Whether the query was cancelled or failed; long loops should check this and return early. */
    public boolean isCancelled() {
        return query.isCancelled();
    }
}
