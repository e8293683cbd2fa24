package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;

import dev.spillway.event.CpuPinningFailed;
import dev.spillway.event.WorkerLoopError;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Platform worker threads that pull the tasks of many concurrent queries from one lock-free queue.
 *
 * <p>Morsel-driven (Leis et al., SIGMOD 2014): a worker takes a task — usually a pipeline ticket,
 * i.e. "pull one morsel and run it to the sink" — runs it to completion and takes the next. Tickets
 * go back to the tail of the queue, so the runnable pipelines of all queries share the workers
 * round-robin and a small query submitted behind a large one still progresses. A pipeline's share
 * is proportional to its tickets ({@link Pipeline#maxInFlight()}): equal bounds, equal shares.
 *
 * <p>Idle workers: a worker that finds the queue empty backs off with Agrona's
 * {@link BackoffIdleStrategy} (spin, then yield, then park for growing periods up to a
 * millisecond) and, when the queue stays empty, parks until new work wakes it: an idle pool
 * costs no CPU. A worker that only meets tickets that cannot progress (a refusing sink, a source
 * waiting for its producer) backs off the same way, but with a bounded park, so it retries within
 * a millisecond. Wake-ups are targeted: enqueueing new work unparks one sleeping worker, and a
 * worker that takes a task while more are queued passes the wake-up on.
 *
 * <p>The queue is JCTools' {@link MpmcAtomicArrayQueue} (field updaters, no {@code Unsafe}) of
 * {@value #QUEUE_CAPACITY} slots; tasks beyond that go to an unbounded overflow queue that
 * workers also drain, so a flood of queries can never deadlock workers that re-queue tickets.
 * Workers may be pinned to CPUs ({@link CpuAffinity}).
 *
 * <p>Lost wake-up freedom (Dekker style): a worker announces itself asleep (volatile write, then
 * an increment of the sleeper count) before it re-checks the queue; an enqueuer publishes the
 * task (a CAS on the queue's producer index) before it reads the sleeper count. Both sides use
 * sequentially consistent operations, so either the worker sees the task or the enqueuer sees
 * the sleeper and unparks it.
 */
public final class WorkerPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerPool.class.getName());
    /** Slots of the lock-free task queue. */
    static final int QUEUE_CAPACITY = 1 << 16;
    private static final int MAX_SPINS = 64;
    private static final int MAX_YIELDS = 16;
    private static final long MIN_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * Idle calls on an empty queue before a worker sleeps until woken: the spins and yields plus
     * 14 growing parks (1 µs doubling up to 1 ms; a few milliseconds in all).
     */
    private static final int IDLE_CALLS_BEFORE_SLEEP = MAX_SPINS + MAX_YIELDS + 14;
    /** Every this many polls a worker looks at the overflow queue first, so its tasks cannot starve. */
    private static final int OVERFLOW_POLL_MASK = 63;
    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private final int id = POOL_IDS.incrementAndGet();
    private final MpmcAtomicArrayQueue<Task> queue = new MpmcAtomicArrayQueue<>(QUEUE_CAPACITY);
    private final ConcurrentLinkedQueue<Task> overflow = new ConcurrentLinkedQueue<>();
    private final AtomicInteger overflowSize = new AtomicInteger();
    private final Worker[] workers;
    private final AtomicInteger sleepers = new AtomicInteger();
    private final AtomicInteger wakeCursor = new AtomicInteger();
    private final Set<QueryRun> active = ConcurrentHashMap.newKeySet();
    private final AtomicLong queriesRun = new AtomicLong();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closing;
    private volatile boolean running = true;
    private boolean closed;

    /** A pool of one worker per available processor, not pinned. */
    public WorkerPool() {
        this(Runtime.getRuntime().availableProcessors(), false);
    }

    /** A pool of {@code threads} workers, not pinned. */
    public WorkerPool(int threads) {
        this(threads, false);
    }

    /**
     * A pool of {@code threads} workers.
     *
     * @param pin whether to pin worker {@code i} to the {@code i}-th CPU (modulo their number) of
     *            the creating thread's allowed CPUs (Linux; elsewhere a no-op with one notice)
     * @throws IllegalArgumentException when {@code threads < 1}
     */
    public WorkerPool(int threads, boolean pin) {
        if (threads < 1) {
            throw new IllegalArgumentException("a worker pool needs at least one thread, got " + threads);
        }
        boolean pinning = pin && CpuAffinity.isSupported();
        if (pin && !pinning) {
            CpuAffinity.noticeUnsupported();
        }
        int[] cpus = pinning ? CpuAffinity.allowedCpus() : null;
        workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(i, pinning ? cpus[i % cpus.length] : -1);
        }
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    /** Number of worker threads. */
    public int threads() {
        return workers.length;
    }

    /**
     * Starts a query: the pipelines without dependencies become runnable at once.
     *
     * @param context the query's context (its name is used in errors; its timeout starts now)
     * @return a handle to wait for or cancel the query
     * @throws IllegalStateException when the pool is closed, or the plan or the context was
     *                               submitted before
     */
    public QueryHandle submit(QueryPlan plan, QueryContext context) {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(context, "context");
        // The read lock orders every submission before or after close() flips `closing`, so
        // close() sees (and cancels) every query that got in.
        lifecycle.readLock().lock();
        try {
            if (closing) {
                throw new IllegalStateException("worker pool is closed; cannot run query '" + plan.name() + "'");
            }
            QueryRun run = new QueryRun(this, plan, context, System.nanoTime());
            active.add(run);
            run.start();
            return run.handle();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Starts a query with a fresh context named after the plan. */
    public QueryHandle submit(QueryPlan plan) {
        return submit(plan, new QueryContext(plan.name()));
    }

    /**
     * Runs a query and waits for it.
     *
     * @throws QueryExecutionException when it fails or is cancelled
     */
    public void run(QueryPlan plan) {
        submit(plan).await();
    }

    /** The worker threads, by index (for tests that check thread states). */
    List<Thread> workerThreads() {
        List<Thread> out = new ArrayList<>(workers.length);
        for (Worker w : workers) {
            out.add(w.thread);
        }
        return out;
    }

    /** Whether {@code t} is one of this pool's worker threads. */
    public boolean isWorker(Thread t) {
        for (Worker w : workers) {
            if (w.thread == t) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closing;
    }

    // ------------------------------------------------------------------ queue and wake-ups

    /** Queues a new task of a query, counting it as outstanding; {@code wake} unparks a sleeping worker. */
    void enqueue(Task task, boolean wake) {
        task.query.enqueued();
        offer(task);
        if (wake) {
            wakeOne();
        }
    }

    /**
     * Puts the task {@code worker} is running back at the tail of the queue. Its outstanding count
     * carries over (saving two contended atomic updates per morsel), and no one is woken: the
     * worker itself polls again, and passes a wake-up on if more is queued.
     */
    void requeue(Task task, Worker worker) {
        worker.requeued = true;
        offer(task);
    }

    private void offer(Task task) {
        // Once something overflowed, later tasks queue behind it to keep rough FIFO order.
        if (overflowSize.get() > 0 || !queue.offer(task)) {
            overflow.offer(task);
            overflowSize.incrementAndGet();
        }
    }

    private Task poll(Worker w) {
        Task t = null;
        if (overflowSize.get() > 0 && (++w.polls & OVERFLOW_POLL_MASK) == 0) {
            t = pollOverflow();
        }
        if (t == null) {
            t = queue.poll();
        }
        if (t == null && overflowSize.get() > 0) {
            t = pollOverflow();
        }
        return t;
    }

    private Task pollOverflow() {
        Task t = overflow.poll();
        if (t != null) {
            overflowSize.decrementAndGet();
        }
        return t;
    }

    private boolean isEmpty() {
        return queue.isEmpty() && overflowSize.get() == 0;
    }

    private int queuedTasks() {
        return queue.size() + overflowSize.get();
    }

    /** Unparks one sleeping worker, if any. */
    private void wakeOne() {
        if (sleepers.get() == 0) {
            return;
        }
        int n = workers.length;
        int start = Math.floorMod(wakeCursor.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            Worker w = workers[(start + i) % n];
            if (w.asleep.get() && w.asleep.compareAndSet(true, false)) {
                sleepers.decrementAndGet();
                LockSupport.unpark(w.thread);
                return;
            }
        }
    }

    void queryEnded(QueryRun run) {
        active.remove(run);
        queriesRun.incrementAndGet();
    }

    /** A snapshot of the counters. */
    public SchedulerStats stats() {
        List<WorkerStats> ws = new ArrayList<>(workers.length);
        for (Worker w : workers) {
            ws.add(w.snapshot());
        }
        return new SchedulerStats(ws, queriesRun.get(), active.size(), queuedTasks());
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Cancels the running queries, waits until they have released their resources, then stops
     * and joins the workers. Idempotent; concurrent callers all return after the shutdown.
     *
     * @throws IllegalStateException when called from one of this pool's workers (a task cannot
     *                               wait for its own query to end)
     */
    @Override
    public synchronized void close() {
        for (Worker w : workers) {
            if (Thread.currentThread() == w.thread) {
                throw new IllegalStateException("worker pool cannot be closed from its own worker thread "
                        + w.thread.getName());
            }
        }
        if (closed) {
            return;
        }
        lifecycle.writeLock().lock();
        closing = true;
        lifecycle.writeLock().unlock();
        for (QueryRun r : new ArrayList<>(active)) {
            r.cancel(new QueryCancelledException(r.name(), "query '" + r.name()
                    + "' was cancelled: the worker pool is closing"));
        }
        for (QueryRun r : new ArrayList<>(active)) {
            // join() cannot be interrupted: the pool must not stop while a query holds resources.
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
        // Nothing should be left; if a task is, its query learns of it and releases.
        for (Task t; (t = pollAny()) != null; ) {
            t.abandon();
        }
        closed = true;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private Task pollAny() {
        Task t = queue.poll();
        return t != null ? t : pollOverflow();
    }

    // ------------------------------------------------------------------ workers

    /**
     * One worker thread. Its counters have a single writer, the worker itself, which publishes
     * them with {@code setRelease}; {@link #stats()} reads them with {@code getAcquire}.
     */
    final class Worker implements Runnable {
        private static final VarHandle TASKS;
        private static final VarHandle BUSY_NANOS;
        private static final VarHandle IDLE_NANOS;
        private static final VarHandle SLEEPS;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                TASKS = l.findVarHandle(Worker.class, "tasks", long.class);
                BUSY_NANOS = l.findVarHandle(Worker.class, "busyNanos", long.class);
                IDLE_NANOS = l.findVarHandle(Worker.class, "idleNanos", long.class);
                SLEEPS = l.findVarHandle(Worker.class, "sleeps", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final int index;
        private final int cpu;
        private final Thread thread;
        private final IdleStrategy idle = new BackoffIdleStrategy(MAX_SPINS, MAX_YIELDS, MIN_PARK_NANOS,
                MAX_PARK_NANOS);
        /** True while parked until woken; cleared by whoever wakes it (or by itself). */
        final AtomicBoolean asleep = new AtomicBoolean();
        private int polls;
        /** Set by {@link #requeue} while this worker runs a task; read and cleared by the same worker. */
        private boolean requeued;
        private long tasks;
        private long busyNanos;
        private long idleNanos;
        private long sleeps;

        Worker(int index, int cpu) {
            this.index = index;
            this.cpu = cpu;
            this.thread = new Thread(this, "spillway-worker-" + id + "-" + index);
            // A pool the application forgot to close must not keep the JVM alive.
            this.thread.setDaemon(true);
        }

        int index() {
            return index;
        }

        /** Whether the task just run put itself back on the queue; clears the flag. */
        boolean takeRequeued() {
            boolean r = requeued;
            requeued = false;
            return r;
        }

        @Override
        public void run() {
            if (cpu >= 0 && !CpuAffinity.pinCurrentThread(cpu)) {
                LOG.log(System.Logger.Level.WARNING, new CpuPinningFailed(index, cpu).line());
            }
            int emptyPolls = 0;
            int fruitless = 0;
            while (running) {
                try {
                    Task t = poll(this);
                    if (t == null) {
                        fruitless = 0;
                        long s = System.nanoTime();
                        if (emptyPolls++ < IDLE_CALLS_BEFORE_SLEEP) {
                            idle.idle();
                        } else {
                            emptyPolls = 0;
                            idle.reset();
                            sleep();
                        }
                        add(IDLE_NANOS, System.nanoTime() - s);
                        continue;
                    }
                    emptyPolls = 0;
                    if (sleepers.get() > 0 && !isEmpty()) {
                        // More work than running workers: pass the wake-up on.
                        wakeOne();
                    }
                    // Counted before it runs: a query can end inside execute(), and its caller
                    // may read the stats at once.
                    add(TASKS, 1);
                    long s = System.nanoTime();
                    boolean progress = t.execute(this, s);
                    long e = System.nanoTime();
                    add(BUSY_NANOS, e - s);
                    t.owner.stats.busy(index, e - s);
                    if (progress) {
                        fruitless = 0;
                        idle.reset();
                    } else if (++fruitless > queuedTasks()) {
                        // Every queued task was tried and none could progress: back off.
                        idle.idle();
                        add(IDLE_NANOS, System.nanoTime() - e);
                    }
                } catch (Throwable t) {
                    // Task.execute never throws; this guards the loop itself so a worker never dies.
                    WorkerLoopError error = new WorkerLoopError(index, t);
                    LOG.log(System.Logger.Level.ERROR, error.line(), error.error());
                }
            }
        }

        private void sleep() {
            asleep.set(true);
            sleepers.incrementAndGet();
            if (running && isEmpty()) {
                add(SLEEPS, 1);
                LockSupport.park(WorkerPool.this);
            }
            if (asleep.compareAndSet(true, false)) {
                sleepers.decrementAndGet();
            }
        }

        private void add(VarHandle counter, long delta) {
            counter.setRelease(this, (long) counter.get(this) + delta);
        }

        WorkerStats snapshot() {
            return new WorkerStats(index, cpu, (long) TASKS.getAcquire(this), (long) BUSY_NANOS.getAcquire(this),
                    (long) IDLE_NANOS.getAcquire(this), (long) SLEEPS.getAcquire(this));
        }
    }

    @Override
    public String toString() {
        return "WorkerPool[" + id + ", " + workers.length + " workers" + (closing ? ", closed" : "") + "]";
    }
}
