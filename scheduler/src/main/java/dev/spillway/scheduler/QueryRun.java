package dev.spillway.scheduler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The execution state of one query: its pipeline runs, outstanding tasks and completion.
 *
 * <p>Release rule: the query's operators, sources, sinks and registered resources are closed
 * exactly once, by whichever thread sees the outstanding-task count reach zero after the query
 * completed or was cancelled. Tasks of a cancelled query that are still queued are dropped when a
 * worker polls them, so the count always reaches zero and nothing is closed while in use.
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
    private volatile String failedPipeline;
    private volatile String failedOperator;

    QueryRun(WorkerPool pool, QueryPlan plan, QueryContext context) {
        this.pool = pool;
        this.plan = plan;
        this.context = context;
        Map<Pipeline, PipelineRun<?>> byPipeline = new LinkedHashMap<>();
        for (Pipeline p : plan.pipelines()) {
            PipelineRun<?> run = newRun(p, p.sink());
            byPipeline.put(p, run);
            runs.add(run);
        }
        for (Pipeline p : plan.pipelines()) {
            for (Pipeline d : p.dependencies()) {
                byPipeline.get(d).dependants.add(byPipeline.get(p));
            }
        }
        this.unfinished = new AtomicInteger(runs.size());
        this.handle = new QueryHandle(this);
    }

    private <L> PipelineRun<L> newRun(Pipeline p, Sink<L> sink) {
        return new PipelineRun<>(p, sink, this, pool.threads());
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

    QueryPlan plan() {
        return plan;
    }

    List<PipelineStats> pipelineStats() {
        List<PipelineStats> out = new ArrayList<>();
        for (PipelineRun<?> r : runs) {
            out.add(r.stats);
        }
        return out;
    }

    /** Starts the pipelines without dependencies. The caller holds one outstanding count. */
    void start() {
        outstanding.incrementAndGet();
        try {
            for (PipelineRun<?> r : runs) {
                if (r.unfinishedDependencies.get() == 0) {
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

    /** Records a failure (the first one names the pipeline and operator) and cancels the query. */
    void fail(Throwable t, PipelineRun<?> run, String operator) {
        if (context.fail(t)) {
            failedPipeline = run == null ? null : run.pipeline.name();
            failedOperator = operator;
        }
    }

    /** Cancels the query; its tasks stop and its resources are released. */
    void cancel(Throwable reason) {
        context.fail(reason);
        outstanding.incrementAndGet();
        taskDone();
    }

    private void release() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        Throwable closeFailure = null;
        Set<AutoCloseable> closed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (PipelineRun<?> r : runs) {
            Pipeline p = r.pipeline;
            closeFailure = closeOnce(p.source(), closed, closeFailure);
            for (Operator op : p.operators()) {
                closeFailure = closeOnce(op, closed, closeFailure);
            }
            closeFailure = closeOnce(p.sink(), closed, closeFailure);
        }
        closeFailure = context.closeResources(closeFailure);
        Throwable failure = context.failure();
        if (failure == null && closeFailure != null) {
            failure = closeFailure;
            failedOperator = "release of resources";
        } else if (failure != null && closeFailure != null) {
            failure.addSuppressed(closeFailure);
        }
        pool.queryEnded(this);
        if (failure == null) {
            handle.complete(null);
        } else {
            handle.complete(wrap(failure));
        }
    }

    private RuntimeException wrap(Throwable failure) {
        if (failure instanceof QueryHandle.Cancellation c) {
            return new QueryExecutionException("query '" + plan.name() + "' " + c.getMessage(), null, failure);
        }
        StringBuilder msg = new StringBuilder("query '").append(plan.name()).append("' failed");
        if (failedPipeline != null) {
            msg.append(" in pipeline '").append(failedPipeline).append('\'');
        }
        if (failedOperator != null) {
            msg.append(" at operator '").append(failedOperator).append('\'');
        }
        msg.append(": ").append(failure);
        return new QueryExecutionException(msg.toString(), failedOperator, failure);
    }

    private static Throwable closeOnce(AutoCloseable c, Set<AutoCloseable> closed, Throwable acc) {
        if (!closed.add(c)) {
            return acc;
        }
        try {
            c.close();
            return acc;
        } catch (Throwable t) {
            if (acc == null) {
                return t;
            }
            acc.addSuppressed(t);
            return acc;
        }
    }
}
