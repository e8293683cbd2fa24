package dev.spillway.scheduler;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A submitted query: wait for it, cancel it, read its statistics.
 *
 * <p>When a wait returns or throws, the query has ended and everything it held has been released.
 */
public final class QueryHandle {
    private final QueryRun run;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    /** The reason recorded when a query is cancelled or times out. */
    static final class Cancellation extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancellation(String message) {
            super(message, null, false, false);
        }
    }

    QueryHandle(QueryRun run) {
        this.run = run;
    }

    void complete(RuntimeException failure) {
        if (failure == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(failure);
        }
    }

    /**
     * Waits for the query to end.
     *
     * @throws QueryExecutionException when it failed or was cancelled (cause: the original error)
     */
    public void await() {
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.cancel(new Cancellation("was cancelled: the waiting thread was interrupted"));
            done.join();
        } catch (ExecutionException e) {
            throw rethrow(e);
        }
    }

    /**
     * Waits at most {@code timeout}; on expiry cancels the query, waits for it to release its
     * resources, and throws.
     *
     * @throws QueryExecutionException on failure, cancellation or timeout
     */
    public void await(Duration timeout) {
        try {
            done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            run.cancel(new Cancellation("timed out after " + timeout.toMillis() + " ms"));
            await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.cancel(new Cancellation("was cancelled: the waiting thread was interrupted"));
            done.join();
        } catch (ExecutionException e) {
            throw rethrow(e);
        }
    }

    private static RuntimeException rethrow(ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
            return re;
        }
        return new QueryExecutionException("query failed: " + e.getCause(), null, e.getCause());
    }

    /** Cancels the query; a later {@link #await()} throws a {@link QueryExecutionException}. */
    public void cancel() {
        run.cancel(new Cancellation("was cancelled"));
    }

    /** Whether the query has ended (and released its resources). */
    public boolean isDone() {
        return done.isDone();
    }

    /** Completes when the query has ended; exceptionally with a {@link QueryExecutionException}. */
    public CompletableFuture<Void> future() {
        return done.copy();
    }

    /** The query's context. */
    public QueryContext context() {
        return run.context();
    }

    /** Per-pipeline counters, in plan order. */
    public List<PipelineStats> pipelineStats() {
        return run.pipelineStats();
    }
}
