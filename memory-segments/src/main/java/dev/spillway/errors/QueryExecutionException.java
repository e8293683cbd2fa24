package dev.spillway.errors;


/**
 * A query did not complete: it failed, was cancelled or timed out.
 *
 * <p>For a failure the message names the query, the pipeline and the operator (source, operator
 * or sink) that threw, and {@link #getCause()} is the original exception. Failures that happened
 * after the first one (other workers tripping over the same problem, a resource that failed to
 * close) are attached as {@linkplain #getSuppressed() suppressed} exceptions of this one, so the
 * original is never modified. Cancellations and timeouts are the subclasses
 * {@link QueryCancelledException} and {@link QueryTimeoutException}.
 */
public sealed class QueryExecutionException extends RuntimeException permits QueryCancelledException {
    private static final long serialVersionUID = 1L;

    private final String query;
    private final String pipeline;
    private final String operator;

    /**
     * Creates the exception.
     *
     * @param query    name of the query
     * @param pipeline name of the failing pipeline, or null
     * @param operator name of the failing source, operator or sink, or null
     * @param message  the full message
     * @param cause    the original exception, or null for a cancellation
     */
    public QueryExecutionException(String query, String pipeline, String operator, String message, Throwable cause) {
        super(message, cause);
        this.query = query;
        this.pipeline = pipeline;
        this.operator = operator;
    }

    /** Name of the query. */
    public String query() {
        return query;
    }

    /** Name of the pipeline that failed, or null (cancellation, timeout, release of resources). */
    public String pipeline() {
        return pipeline;
    }

    /** Name of the source, operator or sink that failed, or null (cancellation, timeout). */
    public String operator() {
        return operator;
    }
}
