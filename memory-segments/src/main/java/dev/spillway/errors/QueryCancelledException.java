package dev.spillway.errors;


/**
 * A query was cancelled before it completed: by {@link QueryHandle#cancel()}, by an interrupt of
 * the thread waiting for it, or because its worker pool closed. {@link QueryTimeoutException} is
 * the cancellation by a deadline.
 */
public sealed class QueryCancelledException extends QueryExecutionException permits QueryTimeoutException {
    private static final long serialVersionUID = 1L;

    public QueryCancelledException(String query, String message) {
        super(query, null, null, message, null);
    }

    private QueryCancelledException(String query, String message, Throwable cause) {
        super(query, null, null, message, cause);
    }

    /**
     * The cancellation of {@code query} by an interrupt of its calling thread that came before
     * the query was waited for (while it was planned or opened its files); {@code cause} is what
     * the interrupt broke, e.g. the {@link java.nio.channels.ClosedByInterruptException} of a file
     * read during planning.
     */
    public static QueryCancelledException interrupted(String query, Throwable cause) {
        return new QueryCancelledException(query, "query '" + query + "' was cancelled: the calling thread was interrupted", cause);
    }
}
