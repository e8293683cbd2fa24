package dev.spillway.scheduler;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Query-scoped state shared by its tasks: cancellation, the first failure, and the resources to
 * release when the query ends.
 *
 * <p>Operators {@link #register} what they own beyond their own {@code close()} (memory budgets,
 * spill directories); the scheduler closes them in reverse order of registration after every task
 * of the query has stopped, whether the query succeeded, failed, timed out or was cancelled.
 */
public final class QueryContext {
    private final String name;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private volatile boolean cancelled;

    /** Creates the context of a query called {@code name}. */
    public QueryContext(String name) {
        this.name = name;
    }

    /** The query's name. */
    public String name() {
        return name;
    }

    /** Registers a resource to close when the query ends. */
    public void register(AutoCloseable resource) {
        synchronized (resources) {
            resources.push(resource);
        }
    }

    /** Whether the query was cancelled or failed. */
    public boolean isCancelled() {
        return cancelled;
    }

    /** The first failure, or null. */
    public Throwable failure() {
        return failure.get();
    }

    /**
     * Records a failure and cancels the query. The first failure wins; later ones are attached to
     * it as suppressed.
     *
     * @return whether this was the first failure
     */
    boolean fail(Throwable t) {
        boolean first = failure.compareAndSet(null, t);
        if (!first && failure.get() != t) {
            failure.get().addSuppressed(t);
        }
        cancelled = true;
        return first;
    }

    /** Closes the registered resources, newest first; failures are added to {@code into}. */
    Throwable closeResources(Throwable into) {
        Throwable acc = into;
        while (true) {
            AutoCloseable r;
            synchronized (resources) {
                r = resources.poll();
            }
            if (r == null) {
                return acc;
            }
            try {
                r.close();
            } catch (Throwable t) {
                if (acc == null) {
                    acc = t;
                } else {
                    acc.addSuppressed(t);
                }
            }
        }
    }
}
