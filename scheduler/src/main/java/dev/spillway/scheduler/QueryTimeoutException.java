package dev.spillway.scheduler;

import java.time.Duration;

/** A query was cancelled because it ran longer than its timeout. */
public final class QueryTimeoutException extends QueryCancelledException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;

    QueryTimeoutException(String query, Duration timeout) {
        super(query, "query '" + query + "' timed out after " + timeout.toMillis() + " ms");
        this.timeout = timeout;
    }

    /** The timeout that expired. */
    public Duration timeout() {
        return timeout;
    }
}
