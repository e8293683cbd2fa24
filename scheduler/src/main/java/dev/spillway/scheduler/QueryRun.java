package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.QueryExecutionException;
import dev.spillway.errors.QueryTimeoutException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The execution state of one query: its pipeline runs, outstanding tasks and completion.
 *
 * <p>Release rule: the query's worker-local states, sources, operators, sinks and registered
 * resources are closed exactly once, by whichever thread sees the outstanding-task count reach
 * zero after the query completed or was cancelled. Every task enqueues its successors before it
 * counts itself done, so the count reaches zero only when nothing of the query runs or waits.
 * Tasks of a cancelled query still queued are discarded when a worker polls them, so the count
 * always reaches zero and nothing is closed while in use.
 */
final class QueryRun {
    private final WorkerPool pool;
    private final QueryPlan plan;
    private final QueryContext context;
    private final QueryHandle handle;
    private final List<PipelineRun<?>> runs = new ArrayList<>();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger unfinished;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean completed;

    /**
     * Prepares a run; marks plan and context as used.
     *
     * @throws IllegalStateException when the plan or the context was submitted before
     */
    QueryRun(WorkerPool pool, QueryPlan plan, QueryContext context, long nowNanos) {
        this.pool = pool;
        this.plan = plan;
        this.context = context;
        plan.submitted();
        context.submitted(nowNanos);
        Map<Pipeline, PipelineRun<?>> byPipeline = new IdentityHashMap<>();
        for (Pipeline p : plan.pipelines()) {
            PipelineRun<?> run = newRun(p, p.sink(), plan.dependenciesOf(p).size());
            byPipeline.put(p, run);
            runs.add(run);
        }
        for (Pipeline p : plan.pipelines()) {
            for (Pipeline d : plan.dependenciesOf(p)) {
                byPipeline.get(d).dependants.add(byPipeline.get(p));
            }
        }
        this.unfinished = new AtomicInteger(runs.size());
        this.handle = new QueryHandle(this);
    }

    private <L> PipelineRun<L> newRun(Pipeline p, Sink<L> sink, int dependencies) {
        return new PipelineRun<>(p, sink, this, dependencies, pool.threads());
    }

    WorkerPool pool() {
        return pool;
    }

    QueryContext context() {
        return context;
    }

    QueryHandle handle() {
        return handle;
    }

    String name() {
        return plan.name();
    }

    List<PipelineStats> pipelineStats() {
        List<PipelineStats> out = new ArrayList<>(runs.size());
        for (PipelineRun<?> r : runs) {
            out.add(r.stats);
        }
        return out;
    }

    /**
     * Starts the pipelines without dependencies. Holds one outstanding count meanwhile.
     *
     * <p>The roots are chosen from the plan's declared dependencies, before any of them starts, and
     * never from the live dependency counters: a root can run to its finish on a worker while this
     * loop is still going, and its finish counts its dependants' counters down to zero and starts
     * them itself. Reading a counter here would then start that dependant a second time, with a
     * second set of tickets (seen as empty results and leaked morsels from tiny queries).
     */
    void start() {
        outstanding.incrementAndGet();
        try {
            List<PipelineRun<?>> roots = new ArrayList<>();
            for (PipelineRun<?> r : runs) {
                if (plan.dependenciesOf(r.pipeline).isEmpty()) {
                    roots.add(r);
                }
            }
            for (PipelineRun<?> r : roots) {
                if (!context.isCancelled()) {
                    r.start();
                }
            }
        } finally {
            taskDone();
        }
    }

    void enqueued() {
        outstanding.incrementAndGet();
    }

    void taskDone() {
        if (outstanding.decrementAndGet() == 0 && (completed || context.isCancelled())) {
            release();
        }
    }

    /** Called from the finish task of {@code run}: starts dependants whose last dependency this was. */
    void pipelineFinished(PipelineRun<?> run) {
        for (PipelineRun<?> d : run.dependants) {
            if (d.unfinishedDependencies.decrementAndGet() == 0 && !context.isCancelled()) {
                d.start();
            }
        }
        if (unfinished.decrementAndGet() == 0) {
            completed = true;
        }
    }

    /** Records a failure of {@code operator} in {@code pipeline} (the first one wins) and cancels the query. */
    void fail(Throwable t, String pipeline, String operator) {
        context.fail(t, pipeline, operator);
    }

    /**
     * Cancels the query; its tasks stop and its resources are released.
     *
     * @return whether this cancellation decided the query's outcome (it was still running)
     */
    boolean cancel(QueryCancelledException reason) {
        boolean decided = context.cancel(reason);
        // Holds one count so that a query with nothing queued is released here.
        outstanding.incrementAndGet();
        taskDone();
        return decided;
    }

    /** Cancels the query because its context's deadline passed. */
    void timeOut() {
        context.cancel(new QueryTimeoutException(plan.name(), context.timeout(), context.elapsedNanos(System.nanoTime())));
    }

    private void release() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        // First decide the outcome, so that a cancel racing with the end cannot turn a completed
        // query into a cancelled one after the fact (nor claim to have cancelled it).
        QueryContext.Problem first = context.seal();
        List<Throwable> closeFailures = new ArrayList<>();
        for (PipelineRun<?> r : runs) {
            r.closeLocals();
        }
        Set<AutoCloseable> closed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (PipelineRun<?> r : runs) {
            Pipeline p = r.pipeline;
            closeOnce(p.source(), closed, closeFailures);
            for (Operator op : p.operators()) {
                closeOnce(op, closed, closeFailures);
            }
            closeOnce(p.sink(), closed, closeFailures);
        }
        closeFailures.addAll(context.closeResources());
        RuntimeException outcome = outcome(first, closeFailures);
        pool.queryEnded(this);
        handle.complete(outcome);
    }

    /** The exception the caller gets, or null for success. */
    private RuntimeException outcome(QueryContext.Problem first, List<Throwable> closeFailures) {
        QueryExecutionException e;
        List<Throwable> suppressed = new ArrayList<>(context.laterFailures());
        if (first == null) {
            // Failures recorded after the seal come from releasing the query's resources.
            suppressed.addAll(closeFailures);
            if (suppressed.isEmpty()) {
                return null;
            }
            Throwable cause = suppressed.remove(0);
            e = new QueryExecutionException(plan.name(), null, null, "query '" + plan.name()
                    + "' completed but failed to release its resources: " + cause, cause);
        } else if (first.cause() instanceof QueryCancelledException c) {
            e = c;
            suppressed.addAll(closeFailures);
        } else {
            StringBuilder msg = new StringBuilder("query '").append(plan.name()).append("' failed");
            if (first.pipeline() != null) {
                msg.append(" in pipeline '").append(first.pipeline()).append('\'');
            }
            if (first.operator() != null) {
                msg.append(" at operator '").append(first.operator()).append('\'');
            }
            msg.append(": ").append(first.cause());
            int dropped = context.laterFailuresDropped();
            if (dropped > 0) {
                msg.append(" (").append(dropped).append(" later failures not attached)");
            }
            e = new QueryExecutionException(plan.name(), first.pipeline(), first.operator(), msg.toString(), first.cause());
            suppressed.addAll(closeFailures);
        }
        for (Throwable t : suppressed) {
            if (t != e) {
                e.addSuppressed(t);
            }
        }
        return e;
    }

    private static void closeOnce(AutoCloseable c, Set<AutoCloseable> closed, List<Throwable> failures) {
        if (!closed.add(c)) {
            return;
        }
        try {
            c.close();
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    @Override
    public String toString() {
        return "QueryRun[" + plan.name() + "]";
    }
}
