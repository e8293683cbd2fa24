package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The execution state of one pipeline of one query.
 *
 * <p>Parallelism and backpressure come from tickets: a running pipeline has
 * {@link Pipeline#maxInFlight()} tickets on the pool's queue; a worker that takes one pulls one
 * morsel, pushes it through the operators into the sink and puts the ticket back at the tail of
 * the queue. A ticket carries at most one morsel, so at most that many morsels are in flight, and
 * all pipelines of all queries share the workers round-robin. A ticket whose sink is not
 * {@link Sink#ready() ready}, or whose source has nothing now, goes back without pulling; a ticket
 * whose morsel the sink {@linkplain Sink#offer refused} keeps it and offers it again on its next
 * turn. When the source is exhausted each ticket retires; the last one schedules a combine per
 * worker-local state, and the last combine schedules the finish.
 *
 * <p>Memory ordering: a ticket's fields are touched only by the worker running it; the queue's
 * release/acquire hand-off orders one run before the next. Worker {@code i} alone writes
 * {@code locals[i]} while the pipeline runs; every such write precedes that worker's later
 * decrement of {@code liveTickets} (or of another ticket it runs), and the worker whose decrement
 * reaches zero reads all locals after it, so it sees every state (the decrements form one
 * release sequence). The same holds for {@code pendingCombines} and the finish.
 */
final class PipelineRun<L> {
    /** Phases of a pipeline run. */
    enum State {
        /** Waiting for the pipelines it depends on to finish. */
        WAITING,
        /** Tickets are pulling morsels from the source into the sink. */
        RUNNING,
        /** The source is exhausted; worker-local sink states are being combined. */
        COMBINING,
        /** The sink's finish phase is running. */
        FINISHING,
        /** The sink finished; dependants may start. */
        FINISHED
    }

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(PipelineRun.class, "state", State.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Stored for a worker whose {@code createLocal} returned null (a sink without local state). */
    private static final Object NULL_LOCAL = new Object();

    final Pipeline pipeline;
    final Sink<L> sink;
    final QueryRun query;
    final PipelineStats stats;
    final List<PipelineRun<?>> dependants = new ArrayList<>();
    final AtomicInteger unfinishedDependencies;
    private final Object[] locals;
    private final TaskContext[] contexts;
    private final AtomicInteger liveTickets = new AtomicInteger();
    private final AtomicInteger pendingCombines = new AtomicInteger();
    private volatile State state = State.WAITING;

    PipelineRun(Pipeline pipeline, Sink<L> sink, QueryRun query, int dependencies, int workers) {
        this.pipeline = pipeline;
        this.sink = sink;
        this.query = query;
        this.stats = new PipelineStats(pipeline.name(), pipeline.maxInFlight(), workers);
        this.unfinishedDependencies = new AtomicInteger(dependencies);
        this.locals = new Object[workers];
        this.contexts = new TaskContext[workers];
        for (int i = 0; i < workers; i++) {
            contexts[i] = new TaskContext(i, query.context());
        }
    }

    State state() {
        return state;
    }

    /**
     * Puts the tickets on the queue. A pipeline starts once: a second start would put a second set
     * of tickets on the queue whose retirements no longer add up, so that the sink is combined and
     * finished while morsels are still in flight. It is refused as an internal error.
     *
     * @throws IllegalStateException when the pipeline was started before
     */
    void start() {
        if (!STATE.compareAndSet(this, State.WAITING, State.RUNNING)) {
            throw new IllegalStateException("pipeline '" + pipeline.name() + "' of query '" + query.name()
                    + "' started twice (state " + state + ")");
        }
        stats.markStarted();
        int tickets = pipeline.maxInFlight();
        liveTickets.set(tickets);
        for (int i = 0; i < tickets; i++) {
            query.pool().enqueue(new Ticket(), true);
        }
    }

    private L local(TaskContext ctx) {
        if (state != State.RUNNING) {
            // A morsel reaching the sink after its input ended would be silently lost.
            throw new IllegalStateException("internal error: a morsel reached the sink of pipeline '" + pipeline.name()
                    + "' in state " + state);
        }
        Object l = locals[ctx.worker()];
        if (l == null) {
            L created = sink.createLocal(ctx);
            locals[ctx.worker()] = created == null ? NULL_LOCAL : created;
            return created;
        }
        return unmask(l);
    }

    @SuppressWarnings("unchecked") // locals[i] only ever holds NULL_LOCAL or an L created by createLocal
    private L unmask(Object stored) {
        return stored == NULL_LOCAL ? null : (L) stored;
    }

    /** One permission to have a morsel in flight. */
    final class Ticket extends Task {
        /** A processed morsel the sink refused; offered again before anything new is pulled. */
        private Morsel pending;

        Ticket() {
            super(PipelineRun.this);
        }

        @Override
        boolean run(WorkerPool.Worker worker) {
            TaskContext ctx = contexts[worker.index()];
            boolean ready;
            try {
                ready = sink.ready();
            } catch (Throwable t) {
                query.fail(t, pipeline.name(), sink.name());
                return true;
            }
            if (!ready) {
                stats.refused(ctx.worker());
                query.pool().requeue(this, worker);
                return false;
            }
            if (pending != null) {
                Morsel m = pending;
                pending = null;
                return deliver(m, ctx, worker) != Delivery.REFUSED;
            }
            Source source = pipeline.source();
            Morsel m;
            try {
                m = source.next(ctx);
                if (m == null) {
                    if (source.isExhausted()) {
                        retire();
                        return true;
                    }
                    stats.waitedForSource(ctx.worker());
                    query.pool().requeue(this, worker);
                    return false;
                }
            } catch (Throwable t) {
                query.fail(t, pipeline.name(), source.name());
                return true;
            }
            stats.pulled(ctx.worker(), m.rowCount());
            m = applyOperators(m, ctx, worker);
            if (m != null) {
                deliver(m, ctx, worker);
            }
            return true;
        }

        /** Runs the operators; null when the morsel was skipped or the query stopped (the ticket is then handled). */
        private Morsel applyOperators(Morsel m, TaskContext ctx, WorkerPool.Worker worker) {
            for (Operator op : pipeline.operators()) {
                if (ctx.isCancelled()) {
                    // Stop promptly: the query is failing or cancelled; the ticket is dropped.
                    drop(m, ctx.worker());
                    return null;
                }
                long sequence = m.sequence();
                Morsel out;
                try {
                    out = op.process(m, ctx);
                } catch (Throwable t) {
                    query.fail(t, pipeline.name(), op.name());
                    // The operator owned its input; closing it again is harmless (close is
                    // idempotent) and frees whatever the operator did not.
                    drop(m, ctx.worker());
                    return null;
                }
                if (out == null) {
                    skip(sequence, ctx, worker);
                    return null;
                }
                m = out;
            }
            return m;
        }

        private void skip(long sequence, TaskContext ctx, WorkerPool.Worker worker) {
            try {
                sink.skip(local(ctx), sequence, ctx);
            } catch (Throwable t) {
                stats.landed(ctx.worker(), 0);
                query.fail(t, pipeline.name(), sink.name());
                return;
            }
            stats.skipped(ctx.worker());
            stats.landed(ctx.worker(), 0);
            query.pool().requeue(this, worker);
        }

        private Delivery deliver(Morsel m, TaskContext ctx, WorkerPool.Worker worker) {
            int rows = m.rowCount();
            try {
                if (!sink.offer(local(ctx), m, ctx)) {
                    pending = m;
                    stats.refused(ctx.worker());
                    query.pool().requeue(this, worker);
                    return Delivery.REFUSED;
                }
            } catch (Throwable t) {
                query.fail(t, pipeline.name(), sink.name());
                // Whether or not the sink had taken the morsel, closing it is safe (idempotent)
                // and prevents a leak when it had not.
                drop(m, ctx.worker());
                return Delivery.FAILED;
            }
            stats.landed(ctx.worker(), rows);
            query.pool().requeue(this, worker);
            return Delivery.TAKEN;
        }

        /**
         * Closes a morsel that leaves the pipeline without reaching the sink ({@code worker} -1 off
         * the workers). A failure to close is recorded like any other (suppressed when the query
         * already failed), never attached to the user's exception.
         */
        private void drop(Morsel m, int worker) {
            stats.landed(worker, 0);
            try {
                m.close();
            } catch (Throwable t) {
                query.fail(t, pipeline.name(), "close of a morsel");
            }
        }

        @Override
        void discard() {
            Morsel m = pending;
            if (m != null) {
                pending = null;
                // May run on a thread that is not a worker (a pool that closes drains its queue).
                drop(m, -1);
            }
        }
    }

    /** What became of a morsel offered to the sink. */
    private enum Delivery {
        /** The sink took it. */
        TAKEN,
        /** The sink refused it for now; the ticket keeps it. */
        REFUSED,
        /** The sink threw; the query is failing. */
        FAILED
    }

    private void retire() {
        if (liveTickets.decrementAndGet() != 0 || query.context().isCancelled()) {
            return;
        }
        // Every ticket has retired, and a ticket carries at most one morsel, so every morsel the
        // source handed out has landed (taken, skipped or closed). Checked because a morsel that
        // lands after the combines would be lost from the result without any error.
        long inFlight = stats.inFlight();
        if (inFlight != 0) {
            query.fail(new IllegalStateException("internal error: pipeline '" + pipeline.name() + "' ended its input with "
                    + inFlight + " morsel(s) still in flight"), pipeline.name(), null);
            return;
        }
        state = State.COMBINING;
        List<Combine> combines = new ArrayList<>();
        for (int i = 0; i < locals.length; i++) {
            Object stored = locals[i];
            if (stored != null) {
                locals[i] = null;
                combines.add(new Combine(unmask(stored)));
            }
        }
        if (combines.isEmpty()) {
            query.pool().enqueue(new Finish(), true);
            return;
        }
        pendingCombines.set(combines.size());
        for (Combine c : combines) {
            query.pool().enqueue(c, true);
        }
    }

    /** Merges one worker-local state into the sink. */
    final class Combine extends Task {
        private L local;

        Combine(L local) {
            super(PipelineRun.this);
            this.local = local;
        }

        @Override
        boolean run(WorkerPool.Worker worker) {
            L l = local;
            // From here on the sink owns the state, whether combine succeeds or not.
            local = null;
            try {
                sink.combine(l, contexts[worker.index()]);
            } catch (Throwable t) {
                query.fail(t, pipeline.name(), sink.name());
                return true;
            }
            if (pendingCombines.decrementAndGet() == 0) {
                query.pool().enqueue(new Finish(), true);
            }
            return true;
        }

        @Override
        void discard() {
            L l = local;
            local = null;
            closeLocal(l);
        }
    }

    /** Runs the sink's finish phase, then lets dependants start. */
    final class Finish extends Task {
        Finish() {
            super(PipelineRun.this);
        }

        @Override
        boolean run(WorkerPool.Worker worker) {
            state = State.FINISHING;
            try {
                sink.finish(contexts[worker.index()]);
            } catch (Throwable t) {
                query.fail(t, pipeline.name(), sink.name());
                return true;
            }
            state = State.FINISHED;
            stats.markEnded();
            query.pipelineFinished(PipelineRun.this);
            return true;
        }
    }

    /**
     * Closes local states that never reached combine (the query failed or was cancelled). Runs
     * when no task of the query runs any more.
     */
    void closeLocals() {
        for (int i = 0; i < locals.length; i++) {
            Object l = locals[i];
            locals[i] = null;
            closeLocal(l);
        }
    }

    private void closeLocal(Object l) {
        if (l instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Throwable t) {
                query.fail(t, pipeline.name(), sink.name() + " (closing a worker-local state)");
            }
        }
    }
}
