package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The execution state of one pipeline of one query.
 *
 * <p>Parallelism and backpressure come from tickets: a running pipeline has
 * {@link Pipeline#maxInFlight()} tickets on the pool's queue; a worker that takes one pulls one
 * morsel, pushes it through the operators into the sink and puts the ticket back at the tail of
 * the queue. So at most that many morsels are in flight, and all pipelines of all queries share the
 * workers round-robin. A ticket whose sink is not {@link Sink#ready() ready} goes back without
 * pulling. When the source is exhausted, each ticket retires; the last one schedules a combine per
 * worker-local state, and the last combine schedules the finish.
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

    final Pipeline pipeline;
    final Sink<L> sink;
    final QueryRun query;
    final PipelineStats stats;
    final List<PipelineRun<?>> dependants = new ArrayList<>();
    final AtomicInteger unfinishedDependencies;
    private final List<L> locals;
    private final TaskContext[] contexts;
    private final AtomicInteger liveTickets = new AtomicInteger();
    private final AtomicInteger pendingCombines = new AtomicInteger();
    private volatile State state = State.WAITING;

    PipelineRun(Pipeline pipeline, Sink<L> sink, QueryRun query, int workers) {
        this.pipeline = pipeline;
        this.sink = sink;
        this.query = query;
        this.stats = new PipelineStats(pipeline.name());
        this.unfinishedDependencies = new AtomicInteger(pipeline.dependencies().size());
        this.locals = new ArrayList<>(workers);
        this.contexts = new TaskContext[workers];
        for (int i = 0; i < workers; i++) {
            contexts[i] = new TaskContext(i, query.context());
            locals.add(null);
        }
    }

    State state() {
        return state;
    }

    void start() {
        state = State.RUNNING;
        stats.started();
        int tickets = pipeline.maxInFlight();
        liveTickets.set(tickets);
        for (int i = 0; i < tickets; i++) {
            query.pool().enqueue(new Ticket(), true);
        }
    }

    /** One permission to have a morsel in flight. */
    final class Ticket extends Task {
        Ticket() {
            super(PipelineRun.this.query);
        }

        @Override
        boolean run(WorkerPool.Worker worker) {
            if (!sink.ready()) {
                stats.refused();
                query.pool().enqueue(this, false);
                return false;
            }
            TaskContext ctx = contexts[worker.index()];
            long t0 = System.nanoTime();
            Morsel m = null;
            String stage = pipeline.source().name();
            try {
                m = pipeline.source().next(ctx);
                if (m == null) {
                    retire();
                    return true;
                }
                int in = m.rowCount();
                for (Operator op : pipeline.operators()) {
                    stage = op.name();
                    Morsel out = op.process(m, ctx);
                    m = out;
                }
                stage = sink.name();
                L local = locals.get(worker.index());
                if (local == null) {
                    local = sink.createLocal(ctx);
                    locals.set(worker.index(), local);
                }
                int out = m.rowCount();
                Morsel handed = m;
                m = null;
                sink.consume(local, handed, ctx);
                stats.morsel(in, out, System.nanoTime() - t0);
            } catch (Throwable t) {
                if (m != null) {
                    closeQuietly(m, t);
                }
                query.fail(t, PipelineRun.this, stage);
                retire();
                return true;
            }
            query.pool().enqueue(this, false);
            return true;
        }
    }

    private void retire() {
        if (liveTickets.decrementAndGet() == 0 && !query.context().isCancelled()) {
            state = State.COMBINING;
            List<L> states = new ArrayList<>();
            for (L l : locals) {
                if (l != null) {
                    states.add(l);
                }
            }
            if (states.isEmpty()) {
                query.pool().enqueue(new Finish(), true);
                return;
            }
            pendingCombines.set(states.size());
            for (L l : states) {
                query.pool().enqueue(new Combine(l), true);
            }
        }
    }

    /** Merges one worker-local state into the sink. */
    final class Combine extends Task {
        private final L local;

        Combine(L local) {
            super(PipelineRun.this.query);
            this.local = local;
        }

        @Override
        boolean run(WorkerPool.Worker worker) {
            try {
                sink.combine(local, contexts[worker.index()]);
            } catch (Throwable t) {
                query.fail(t, PipelineRun.this, sink.name());
                return true;
            }
            if (pendingCombines.decrementAndGet() == 0) {
                query.pool().enqueue(new Finish(), true);
            }
            return true;
        }
    }

    /** Runs the sink's finish phase, then lets dependants start. */
    final class Finish extends Task {
        Finish() {
            super(PipelineRun.this.query);
        }

        @Override
        boolean run(WorkerPool.Worker worker) {
            state = State.FINISHING;
            try {
                sink.finish(contexts[worker.index()]);
            } catch (Throwable t) {
                query.fail(t, PipelineRun.this, sink.name());
                return true;
            }
            state = State.FINISHED;
            stats.ended();
            query.pipelineFinished(PipelineRun.this);
            return true;
        }
    }

    private static void closeQuietly(Morsel m, Throwable primary) {
        try {
            m.close();
        } catch (Throwable t) {
            primary.addSuppressed(t);
        }
    }
}
