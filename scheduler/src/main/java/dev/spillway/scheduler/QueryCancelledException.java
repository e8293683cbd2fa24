package dev.spillway.scheduler;

/**
 * A query was cancelled before it completed: by {@link QueryHandle#cancel()}, by an interrupt of
 * the thread waiting for it, or because its worker pool closed. {@link QueryTimeoutException} is
 * the cancellation by a deadline.
 */
public sealed class QueryCancelledException extends QueryExecutionException permits QueryTimeoutException {
    private static final long serialVersionUID = 1L;

    QueryCancelledException(String query, String message) {
        super(query, null, null, message, null);
    }
}
