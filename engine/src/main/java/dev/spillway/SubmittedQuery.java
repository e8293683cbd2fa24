package dev.spillway;

import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.QueryTimeoutException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A query started by {@link LazyFrame#submit()}: running on the workers while the caller goes on.
 * Wait for its result, cancel it, watch its progress. Thread-safe.
 *
 * <p><b>The result</b> is a {@link DataFrame} in native memory that the caller owns and closes;
 * every {@code await} and the {@link #future()} give the same frame. A result nobody takes stays
 * allocated until the {@link Spillway} closes, which reports it as a leaked frame; cancel a query
 * whose result is no longer wanted.
 *
 * <p><b>Ending.</b> When {@link #await()} returns or throws, the query has ended and released its
 * spill files and every byte of memory but the result's. A failure is the exception
 * {@link LazyFrame#collect()} would have thrown: a
 * {@link dev.spillway.errors.QueryExecutionException} whose cause is the original error, a
 * {@link QueryCancelledException} after {@link #cancel()}, a {@link QueryTimeoutException} past
 * the deadline of its {@link QueryOptions}.
 */
public final class SubmittedQuery {
    private final LazyFrame.Launched launched;
    /** Completes once the query ended and its end was processed (resources released, profile recorded). */
    private final CompletableFuture<DataFrame> ended = new CompletableFuture<>();
    private final ResultFuture future = new ResultFuture();

    SubmittedQuery(LazyFrame.Launched launched) {
        this.launched = launched;
        ended.whenComplete((df, failure) -> {
            if (failure == null) {
                future.complete(df);
            } else {
                future.completeExceptionally(failure);
            }
        });
    }

    /** Called once, off the caller's thread, when the query ended: its frame or its failure. */
    void ended(DataFrame df, RuntimeException failure) {
        if (failure != null) {
            ended.completeExceptionally(failure);
        } else {
            ended.complete(df);
        }
    }

    /** The query's name (in its errors, events and profile). */
    public String name() {
        return launched.name();
    }

    /**
     * Cancels the query: queued work is dropped, running tasks stop at their next operator, and
     * what it holds is released. Does not wait; {@link #await()} then throws a
     * {@link QueryCancelledException} ({@code query '<name>' was cancelled: by its handle}).
     *
     * @return true when this call decided the query's outcome, false when it had already
     *         succeeded, failed or been cancelled
     */
    public boolean cancel() {
        return launched.cancel("by its handle");
    }

    /** Whether the query ended and its end was processed (await would not wait). */
    public boolean isDone() {
        return ended.isDone();
    }

    /**
     * Waits for the result. An interrupt of the waiting thread cancels the query; the wait then
     * continues until its resources are released, the flag is restored and a
     * {@link QueryCancelledException} is thrown.
     *
     * @return the result, owned by the caller
     * @throws dev.spillway.errors.QueryExecutionException when the query failed, was cancelled or timed out
     */
    public DataFrame await() {
        try {
            launched.handle().await();
        } catch (RuntimeException e) {
            // The same failure completes `ended` once the query's end was processed.
        }
        return awaitUninterruptibly();
    }

    /**
     * Waits at most {@code timeout} for the result; on expiry cancels the query, waits until it
     * released its resources and throws a {@link QueryTimeoutException} naming {@code timeout}
     * (unless the query ended otherwise meanwhile, which is then reported).
     *
     * @return the result, owned by the caller
     * @throws dev.spillway.errors.QueryExecutionException when the query failed, was cancelled or timed out
     */
    public DataFrame await(Duration timeout) {
        try {
            launched.handle().await(timeout);
        } catch (RuntimeException e) {
            // The same failure completes `ended` once the query's end was processed.
        }
        return awaitUninterruptibly();
    }

    private DataFrame awaitUninterruptibly() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return ended.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw rethrow(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        return t instanceof RuntimeException re ? re : new IllegalStateException("query ended with an unexpected outcome", t);
    }

    /**
     * The result as a future: completes with the frame (owned by whoever takes it), or
     * exceptionally with the query's failure, after the query released its resources.
     * {@code cancel(...)} on it cancels the query (and returns false when the query's outcome was
     * already decided). Dependent actions run on the thread that finished the query unless an
     * {@code *Async} variant is used; stages derived from it do not cancel the query.
     */
    public CompletableFuture<DataFrame> future() {
        return future;
    }

    /** The query's progress now (rows taken in, memory held, bytes spilled); the final figures once it ended. */
    public QueryProgress progress() {
        return launched.progress();
    }

    /** The query's profile once it ended, else null. */
    public QueryProfile profile() {
        return launched.profile();
    }

    @Override
    public String toString() {
        return "SubmittedQuery[" + launched.name() + (ended.isDone() ? ", done" : "") + "]";
    }

    /** The future of {@link #future()}: cancelling it cancels the query. */
    private final class ResultFuture extends CompletableFuture<DataFrame> {
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (isDone()) {
                return false;
            }
            if (!launched.cancel("its future was cancelled")) {
                return false;
            }
            return super.cancel(mayInterruptIfRunning);
        }
    }
}
