package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Query-scoped state shared by the tasks of one query run: its name, optional timeout,
 * cancellation, the first failure, and the resources to release when the query ends.
 *
 * <p>Operators {@link #register} what they own beyond their own {@code close()} — a query memory
 * budget, a spill directory — and the scheduler closes those resources, newest first, once no
 * task of the query runs any more, whether the query completed, failed, timed out or was
 * cancelled. This is how the scheduler, which knows nothing of spilling, releases spill files.
 *
 * <p>A context belongs to one submission; submitting it twice is refused.
 *
 * <p>Memory ordering: {@link #isCancelled()} is a volatile read that pairs with the volatile
 * write in {@link #fail}/{@link #cancel}, so a task that sees the flag also sees the recorded
 * failure.
 */
public final class QueryContext {
    /** At most this many later failures are kept as suppressed exceptions; the rest are counted. */
    static final int MAX_SUPPRESSED = 16;

    private final String name;
    private final Duration timeout;
    private final AtomicReference<Problem> first = new AtomicReference<>();
    private final List<Throwable> later = new ArrayList<>();
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final AtomicBoolean submitted = new AtomicBoolean();
    private int laterDropped;
    private boolean resourcesClosed;
    private volatile boolean cancelled;
    private volatile long deadlineNanos;
    /** The clock reading the timeout counts from; {@link Long#MIN_VALUE}: from the submission. */
    private volatile long startNanos = Long.MIN_VALUE;

    /** The first thing that stopped the query: a failure located at an operator, or a cancellation. */
    record Problem(Throwable cause, String pipeline, String operator) {
    }

    /** Stored instead of a problem when the query's outcome was sealed as a success. */
    private static final Problem COMPLETED = new Problem(null, null, null);

    /** Creates the context of a query called {@code name}, without timeout. */
    public QueryContext(String name) {
        this.name = Objects.requireNonNull(name, "name");
        this.timeout = null;
    }

    /**
     * Creates the context of a query called {@code name} that is cancelled with a
     * {@link QueryTimeoutException} when it runs longer than {@code timeout} after submission.
     *
     * @throws IllegalArgumentException when the timeout is not positive
     */
    public QueryContext(String name, Duration timeout) {
        this.name = Objects.requireNonNull(name, "name");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout of query '" + name + "' must be positive, got " + timeout);
        }
        this.timeout = timeout;
    }

    /**
     * Like {@link #QueryContext(String, Duration)}, with the timeout counting from
     * {@code startNanos} (a {@link System#nanoTime()} reading taken before the query was planned,
     * say) instead of from the submission, so that a caller's deadline covers planning too.
     *
     * @throws IllegalArgumentException when the timeout is not positive
     */
    public QueryContext(String name, Duration timeout, long startNanos) {
        this(name, timeout);
        this.startNanos = startNanos;
    }

    /** The query's name. */
    public String name() {
        return name;
    }

    /** The timeout, or null when the query has none. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Registers a resource to close when the query ends, and returns it.
     *
     * @throws IllegalStateException when the query has already ended; the resource is then closed
     *                               at once, so it never leaks
     */
    public <T extends AutoCloseable> T register(T resource) {
        Objects.requireNonNull(resource, "resource");
        synchronized (resources) {
            if (!resourcesClosed) {
                resources.push(resource);
                return resource;
            }
        }
        IllegalStateException e = new IllegalStateException("query '" + name
                + "' has ended; the resource registered late was closed at once: " + resource);
        try {
            resource.close();
        } catch (Exception closeFailure) {
            e.addSuppressed(closeFailure);
        }
        throw e;
    }

    /** Whether the query was cancelled, timed out or failed; long loops should check this and return early. */
    public boolean isCancelled() {
        return cancelled;
    }

    /** The first failure (the original exception) or the cancellation, or null while neither happened. */
    public Throwable failure() {
        Problem p = first.get();
        return p == null || p == COMPLETED ? null : p.cause();
    }

    /** Marks the context as used by a run; the deadline counts from {@code nowNanos}. */
    void submitted(long nowNanos) {
        if (!submitted.compareAndSet(false, true)) {
            throw new IllegalStateException("query context '" + name
                    + "' was already submitted; use a fresh context for every query run");
        }
        if (timeout != null) {
            if (startNanos == Long.MIN_VALUE) {
                startNanos = nowNanos;
            }
            // saturates instead of overflowing for absurdly long timeouts
            long t = timeout.compareTo(Duration.ofDays(365 * 100L)) > 0 ? Long.MAX_VALUE / 4 : timeout.toNanos();
            deadlineNanos = startNanos + t;
        }
    }

    /** Nanoseconds since the timeout started counting at {@code nowNanos} (0 before the submission). */
    long elapsedNanos(long nowNanos) {
        long s = startNanos;
        return s == Long.MIN_VALUE ? 0 : nowNanos - s;
    }

    /** Whether a timeout is set and {@code nowNanos} is past the deadline. */
    boolean pastDeadline(long nowNanos) {
        return timeout != null && nowNanos - deadlineNanos > 0;
    }

    /**
     * Records a failure of {@code operator} in {@code pipeline} and cancels the query. The first
     * problem wins; a later one is kept as suppressed (the same throwable twice only once).
     *
     * @return whether this was the first problem
     */
    boolean fail(Throwable t, String pipeline, String operator) {
        return record(new Problem(t, pipeline, operator));
    }

    /**
     * Records a failure that happened outside the query's tasks — another query's thread spilling
     * this query's state under memory pressure, say — and cancels the query, as a failing task
     * would. The first problem wins.
     *
     * @param where what failed, named like an operator in the query's exception
     * @return whether this was the first problem
     */
    public boolean failOutside(Throwable t, String where) {
        return record(new Problem(Objects.requireNonNull(t, "t"), null, where));
    }

    /** Cancels the query for {@code reason}; a no-op for the outcome when a problem was recorded before. */
    boolean cancel(QueryCancelledException reason) {
        return record(new Problem(reason, null, null));
    }

    private boolean record(Problem p) {
        boolean won = first.compareAndSet(null, p);
        if (first.get() != COMPLETED) {
            // A sealed success stays a success: a late cancel does not flip the flag either.
            cancelled = true;
        }
        if (!won && first.get().cause() != p.cause() && !(p.cause() instanceof QueryCancelledException)) {
            keepLater(p.cause());
        }
        return won;
    }

    private void keepLater(Throwable t) {
        synchronized (later) {
            for (Throwable kept : later) {
                if (kept == t) {
                    return;
                }
            }
            if (later.size() < MAX_SUPPRESSED) {
                later.add(t);
            } else {
                laterDropped++;
            }
        }
    }

    /**
     * Decides the outcome: from now on failures and cancellations no longer change it (failures
     * are still kept as suppressed ones). Called once no task of the query runs any more.
     *
     * @return the first problem, or null when the query completed
     */
    Problem seal() {
        first.compareAndSet(null, COMPLETED);
        Problem p = first.get();
        return p == COMPLETED ? null : p;
    }

    /** Failures after the first one, oldest first. */
    List<Throwable> laterFailures() {
        synchronized (later) {
            return List.copyOf(later);
        }
    }

    /** Later failures not kept because {@link #MAX_SUPPRESSED} were kept already. */
    int laterFailuresDropped() {
        synchronized (later) {
            return laterDropped;
        }
    }

    /** Closes the registered resources, newest first; failures are returned, not thrown. */
    List<Throwable> closeResources() {
        List<Throwable> failures = new ArrayList<>();
        while (true) {
            AutoCloseable r;
            synchronized (resources) {
                r = resources.poll();
                if (r == null) {
                    resourcesClosed = true;
                    return failures;
                }
            }
            try {
                r.close();
            } catch (Throwable t) {
                failures.add(t);
            }
        }
    }

    @Override
    public String toString() {
        return "QueryContext[" + name + (cancelled ? ", cancelled" : "") + "]";
    }
}
