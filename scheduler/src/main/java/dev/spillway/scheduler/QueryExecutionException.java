package dev.spillway.scheduler;

/**
 * A query failed, was cancelled or timed out. The message names the query, pipeline and operator
 * that failed; the cause is the original exception.
 */
public final class QueryExecutionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String operator;

    /** Creates the exception. */
    public QueryExecutionException(String message, String operator, Throwable cause) {
        super(message, cause);
        this.operator = operator;
    }

    /** Name of the failing operator, or null for a cancellation or timeout. */
    public String operator() {
        return operator;
    }
}
