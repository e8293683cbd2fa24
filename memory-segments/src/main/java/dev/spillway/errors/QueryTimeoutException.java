package dev.spillway.errors;


import java.time.Duration;

/**
 * A query was cancelled because it ran longer than its timeout (its deadline). The message names
 * the query, the timeout and how long the query had run when it was cancelled:
 * {@code query 'q' timed out: deadline 200 ms, cancelled after 203 ms}.
 */
public final class QueryTimeoutException extends QueryCancelledException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;
    private final Duration elapsed;

    public QueryTimeoutException(String query, Duration timeout, long elapsedNanos) {
        super(query, "query '" + query + "' timed out: deadline " + timeout.toMillis() + " ms, cancelled after "
                + Duration.ofNanos(elapsedNanos).toMillis() + " ms");
        this.timeout = timeout;
        this.elapsed = Duration.ofNanos(elapsedNanos);
    }

    /** The timeout that expired. */
    public Duration timeout() {
        return timeout;
    }

    /** How long the query had run (from the start of its deadline) when it was cancelled. */
    public Duration elapsed() {
        return elapsed;
    }
}
