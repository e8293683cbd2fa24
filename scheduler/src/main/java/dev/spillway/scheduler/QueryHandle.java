package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.QueryTimeoutException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A submitted query: wait for it, cancel it, read its statistics.
 *
 * <p>When a wait returns or throws, the query has ended and everything it held — morsels in
 * flight, worker-local sink states, sources, operators, sinks and the resources registered with
 * its {@link QueryContext} — has been released.
 */
public final class QueryHandle {
    private final QueryRun run;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

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

    /** The query's name. */
    public String name() {
        return run.name();
    }

    /**
     * Waits for the query to end. An interrupt of the waiting thread cancels the query; the wait
     * then continues until its resources are released, the interrupt flag is restored and a
     * {@link QueryCancelledException} is thrown.
     *
     * @throws QueryExecutionException when it failed (cause: the original error), was cancelled
     *                                 ({@link QueryCancelledException}) or timed out
     *                                 ({@link QueryTimeoutException})
     */
    public void await() {
        try {
            done.get();
        } catch (InterruptedException e) {
            cancelAndRethrow(new QueryCancelledException(run.name(), "query '" + run.name()
                    + "' was cancelled: the waiting thread was interrupted"), true);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    /**
     * Waits at most {@code timeout}; on expiry cancels the query, waits until it has released
     * its resources, and throws a {@link QueryTimeoutException} (unless the query ended otherwise
     * meanwhile, which is then reported).
     *
     * @throws QueryExecutionException on failure, cancellation or timeout
     */
    public void await(Duration timeout) {
        long start = System.nanoTime();
        try {
            done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            cancelAndRethrow(new QueryTimeoutException(run.name(), timeout, System.nanoTime() - start), false);
        } catch (InterruptedException e) {
            cancelAndRethrow(new QueryCancelledException(run.name(), "query '" + run.name()
                    + "' was cancelled: the waiting thread was interrupted"), true);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    private void cancelAndRethrow(QueryCancelledException reason, boolean interrupted) {
        run.cancel(reason);
        try {
            // join() waits without being interruptible: the release must be awaited.
            done.join();
        } catch (CompletionException e) {
            throw unwrap(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof RuntimeException re) {
            return re;
        }
        // Not reachable: the query completes only with a QueryExecutionException.
        return new IllegalStateException("query ended with an unexpected outcome", cause);
    }

    /**
     * Cancels the query: its queued work is dropped, running tasks stop at their next operator,
     * and its resources are released. A later {@link #await()} throws a
     * {@link QueryCancelledException}. Does not wait.
     *
     * @return true when this call cancelled the query, false when it had already ended, failed or
     *         been cancelled
     */
    public boolean cancel() {
        if (done.isDone()) {
            return false;
        }
        return run.cancel(new QueryCancelledException(run.name(), "query '" + run.name() + "' was cancelled"));
    }

    /**
     * Like {@link #cancel()}, with the reason the {@link QueryCancelledException} gives:
     * {@code query '<name>' was cancelled: <reason>}.
     */
    public boolean cancel(String reason) {
        if (done.isDone()) {
            return false;
        }
        return run.cancel(new QueryCancelledException(run.name(), "query '" + run.name() + "' was cancelled: " + reason));
    }

    /** Whether the query has ended (and released its resources). */
    public boolean isDone() {
        return done.isDone();
    }

    /**
     * Completes when the query has ended, exceptionally with a {@link QueryExecutionException}.
     * Dependent actions may run on the thread that ended the query, often a worker: keep them
     * short or use the {@code *Async} variants.
     */
    public CompletableFuture<Void> future() {
        return done.copy();
    }

    /** The query's context. */
    public QueryContext context() {
        return run.context();
    }

    /** Per-pipeline counters, in plan order; live while the query runs. */
    public List<PipelineStats> pipelineStats() {
        return run.pipelineStats();
    }

    @Override
    public String toString() {
        return "QueryHandle[" + run.name() + (done.isDone() ? ", done" : "") + "]";
    }
}
