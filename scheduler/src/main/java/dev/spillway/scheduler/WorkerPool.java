package dev.spillway.scheduler;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Platform worker threads that pull tasks of many concurrent queries from one lock-free queue.
 *
 * <p>Morsel-driven (Leis et al., SIGMOD 2014): a worker takes a task — usually a pipeline ticket,
 * i.e. "pull one morsel and run it to the sink" — runs it to completion and takes the next. Tickets
 * go back to the tail of the queue, so the pipelines of all queries share the workers round-robin
 * and a small query submitted behind a large one still progresses. A worker with nothing to do
 * backs off (spin, yield, then park up to a millisecond, Agrona's {@link BackoffIdleStrategy});
 * new work unparks parked workers, so an idle pool costs no CPU.
 *
 * <p>The queue is JCTools' {@link MpmcAtomicArrayQueue}, which uses field updaters rather than
 * {@code sun.misc.Unsafe}. Workers may be pinned to CPUs ({@link CpuAffinity}).
 */
public final class WorkerPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerPool.class.getName());
    private static final int QUEUE_CAPACITY = 1 << 16;

    private final MpmcAtomicArrayQueue<Task> queue = new MpmcAtomicArrayQueue<>(QUEUE_CAPACITY);
    private final List<Worker> workers = new ArrayList<>();
    private final Set<QueryRun> active = ConcurrentHashMap.newKeySet();
    private final AtomicLong queriesRun = new AtomicLong();
    private final AtomicLong querySeq = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean closing;

    /** A pool of one worker per available processor, not pinned. */
    public WorkerPool() {
        this(Runtime.getRuntime().availableProcessors(), false);
    }

    /**
     * A pool of {@code threads} workers.
     *
     * @param pin whether to pin worker {@code i} to CPU {@code i % cpus} (Linux; elsewhere a no-op
     *            with one notice)
     */
    public WorkerPool(int threads, boolean pin) {
        if (threads < 1) {
            throw new IllegalArgumentException("a worker pool needs at least one thread, got " + threads);
        }
        boolean pinning = pin && CpuAffinity.isSupported();
        if (pin && !pinning) {
            LOG.log(System.Logger.Level.INFO, "[spillway] scheduler: cpu-pinning-unavailable os="
                    + System.getProperty("os.name") + " (workers run unpinned)");
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(i, pinning ? i % cpus : -1);
            workers.add(w);
        }
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    /** Number of worker threads. */
    public int threads() {
        return workers.size();
    }

    /**
     * Starts a query.
     *
     * @param context the query's context (its name is used in errors)
     * @return a handle to wait for or cancel the query
     * @throws IllegalStateException when the pool is closed
     */
    public QueryHandle submit(QueryPlan plan, QueryContext context) {
        if (closing) {
            throw new IllegalStateException("worker pool is closed; cannot run query '" + plan.name() + "'");
        }
        QueryRun run = new QueryRun(this, plan, context);
        active.add(run);
        querySeq.incrementAndGet();
        run.start();
        return run.handle();
    }

    /** Starts a query with a fresh context named after the plan. */
    public QueryHandle submit(QueryPlan plan) {
        return submit(plan, new QueryContext(plan.name()));
    }

    /** Runs a query and waits for it. */
    public void run(QueryPlan plan) {
        submit(plan).await();
    }

    void enqueue(Task task, boolean wake) {
        task.query.enqueued();
        while (!queue.offer(task)) {
            // Only reachable with more than QUEUE_CAPACITY tickets queued at once.
            Thread.onSpinWait();
        }
        if (wake) {
            for (Worker w : workers) {
                if (w.parked) {
                    LockSupport.unpark(w.thread);
                }
            }
        }
    }

    void queryEnded(QueryRun run) {
        active.remove(run);
        queriesRun.incrementAndGet();
    }

    /** A snapshot of the counters. */
    public SchedulerStats stats() {
        List<WorkerStats> ws = new ArrayList<>();
        for (Worker w : workers) {
            ws.add(new WorkerStats(w.index, w.cpu, w.tasks, w.busyNanos, w.idleNanos));
        }
        return new SchedulerStats(ws, queriesRun.get(), active.size());
    }

    /**
     * Cancels running queries, waits until they have released their resources, then stops and
     * joins the workers. Idempotent.
     */
    @Override
    public void close() {
        if (closing && !running) {
            return;
        }
        closing = true;
        List<QueryRun> toStop = new ArrayList<>(active);
        for (QueryRun r : toStop) {
            r.cancel(new QueryHandle.Cancellation("was cancelled: the worker pool is closing"));
        }
        for (QueryRun r : toStop) {
            r.handle().future().exceptionally(t -> null).join();
        }
        running = false;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
        boolean interrupted = false;
        for (Worker w : workers) {
            while (w.thread.isAlive()) {
                try {
                    w.thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** One worker thread. Its counters are written by itself only and read racily for stats. */
    final class Worker implements Runnable {
        private final int index;
        private final int cpu;
        private final Thread thread;
        private final IdleStrategy idle = new BackoffIdleStrategy(64, 16, TimeUnit.MICROSECONDS.toNanos(1),
                TimeUnit.MILLISECONDS.toNanos(1));
        volatile boolean parked;
        private volatile long tasks;
        private volatile long busyNanos;
        private volatile long idleNanos;

        Worker(int index, int cpu) {
            this.index = index;
            this.cpu = cpu;
            this.thread = new Thread(this, "spillway-worker-" + index);
            this.thread.setDaemon(true);
        }

        int index() {
            return index;
        }

        @Override
        public void run() {
            if (cpu >= 0 && !CpuAffinity.pinCurrentThread(cpu)) {
                LOG.log(System.Logger.Level.WARNING, "[spillway] scheduler: cpu-pinning-failed worker=" + index
                        + " cpu=" + cpu);
            }
            while (running) {
                Task t = queue.poll();
                if (t == null) {
                    long s = System.nanoTime();
                    parked = true;
                    // Re-check after announcing: an enqueue that missed the flag is seen here.
                    if (queue.isEmpty()) {
                        idle.idle();
                    }
                    parked = false;
                    idleNanos += System.nanoTime() - s;
                    continue;
                }
                long s = System.nanoTime();
                boolean progress = t.execute(this);
                busyNanos += System.nanoTime() - s;
                tasks++;
                if (progress) {
                    idle.reset();
                } else {
                    long i0 = System.nanoTime();
                    idle.idle();
                    idleNanos += System.nanoTime() - i0;
                }
            }
        }
    }
}
