package dev.spillway.operators;

import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The units of an operator's finalize phase — spilled partition pairs of a join, partitions of a
 * group-by — claimed by every worker that pulls, so that after the inputs end all workers merge
 * and emit in parallel instead of one working while the others idle.
 *
 * <p>A unit is driven by one thread at a time: a puller takes a started unit (or starts a pending
 * one), asks it for one morsel and puts it back, so a unit with a lot of output is shared by the
 * pullers in turn. At most {@code maxStarted} units are started at once (each holds its share of
 * the memory: a loaded hash table, a merge table); pending units wait their turn. A unit may add
 * units while it runs (a partition split on further hash bits adds its sub-partitions).
 *
 * <h2>Knowing the end</h2>
 * One counter, {@code outstanding}, counts units added and not yet finished; it is incremented
 * before a unit is queued and decremented only after a unit has finished, and only a running unit
 * (itself still counted) adds units. So once it reads zero no unit exists and none can appear:
 * {@link #isDone()} is stable. A puller that finds no unit to take while units are outstanding
 * got a transient end (others hold them); it returns null and the scheduler pulls again later.
 *
 * <p>Thread-safe. {@link #close()} closes every unit still queued; call it once no puller runs.
 */
public final class FinalizeQueue implements AutoCloseable {
    /** One unit of finalize work, driven by one thread at a time. */
    public interface Unit extends AutoCloseable {
        /**
         * The next output morsel, or null when this unit has nothing more (it is then closed).
         *
         * @param sequence the sequence number to give the morsel (the queue renumbers it when
         *                 another puller took that number meanwhile)
         * @param queue    the queue, to {@link FinalizeQueue#add} further units
         */
        Morsel next(long sequence, FinalizeQueue queue);

        /** Frees what the unit holds (tables, readers, its spilled data). Idempotent. */
        @Override
        void close();
    }

    private final int maxStarted;
    private final AtomicLong sequence;
    private final ConcurrentLinkedDeque<Unit> pending = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedQueue<Unit> started = new ConcurrentLinkedQueue<>();
    private final AtomicInteger startedCount = new AtomicInteger();
    private final AtomicInteger outstanding = new AtomicInteger();

    /**
     * @param maxStarted most units started at once, normally the number of workers
     * @param sequence   where output sequence numbers come from (shared with the phase before, if any)
     */
    public FinalizeQueue(int maxStarted, AtomicLong sequence) {
        if (maxStarted < 1) {
            throw new IllegalArgumentException("at least one unit must be allowed to start, got " + maxStarted);
        }
        this.maxStarted = maxStarted;
        this.sequence = sequence;
    }

    /** Most units started at once. */
    public int maxStarted() {
        return maxStarted;
    }

    /**
     * One started unit's share of the memory: what is free in {@code budget} plus
     * {@code reclaimable} (what spilling could free), bounded by the cap, over {@code parts} times
     * the {@code maxStarted} units started at once; at least 64 KiB. Unbounded (a quarter of
     * {@code Long.MAX_VALUE}) without a cap.
     */
    public static long memoryShare(MemoryBudget budget, long reclaimable, int parts, int maxStarted) {
        long cap = budget.effectiveCap();
        if (cap == MemoryBudget.UNLIMITED) {
            return Long.MAX_VALUE / 4;
        }
        return Math.max(64L << 10, Math.min(cap, budget.available() + reclaimable) / ((long) parts * maxStarted));
    }

    /** Queues a unit; it is started after the units queued before it. */
    public void add(Unit unit) {
        outstanding.incrementAndGet();
        pending.addLast(unit);
    }

    /** Queues a unit to start before the other pending ones (a sub-partition of the unit being split). */
    public void addFirst(Unit unit) {
        outstanding.incrementAndGet();
        pending.addFirst(unit);
    }

    /**
     * One morsel of output from some unit, or null when no unit can be taken now: either every
     * unit finished ({@link #isDone()}) or the outstanding ones are in other pullers' hands.
     *
     * @throws RuntimeException what a unit threw; that unit is closed and counted as finished
     */
    public Morsel next() {
        while (true) {
            Unit u = started.poll();
            if (u == null) {
                u = startPending();
                if (u == null) {
                    return null;
                }
            }
            Morsel m;
            try {
                // A unit that ends returns null and a puller may find no unit after it: numbers are
                // taken only for morsels produced, so they stay contiguous. The unit gets the likely
                // number; a morsel that another puller's overtook is renumbered (zero-copy).
                m = u.next(sequence.get(), this);
            } catch (RuntimeException | Error e) {
                finish(u, e);
                throw e;
            }
            if (m == null) {
                finish(u, null);
                continue;
            }
            started.add(u);
            long seq = sequence.getAndIncrement();
            if (m.sequence() == seq) {
                return m;
            }
            try (m) {
                return m.withSequence(seq);
            }
        }
    }

    /** Takes a pending unit if fewer than {@code maxStarted} are started, counting it as started. */
    private Unit startPending() {
        while (true) {
            int n = startedCount.get();
            if (n >= maxStarted) {
                return null;
            }
            if (startedCount.compareAndSet(n, n + 1)) {
                break;
            }
        }
        Unit u = pending.pollFirst();
        if (u == null) {
            startedCount.decrementAndGet();
        }
        return u;
    }

    private void finish(Unit u, Throwable failure) {
        try {
            u.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                throw e;
            }
            failure.addSuppressed(e);
        } finally {
            startedCount.decrementAndGet();
            outstanding.decrementAndGet();
        }
    }

    /** Whether every unit added so far finished; once true, stays true unless {@link #add} is called from outside a unit. */
    public boolean isDone() {
        return outstanding.get() == 0;
    }

    /** Closes every unit still queued (started or pending). Call once no puller runs. */
    @Override
    public void close() {
        RuntimeException failure = null;
        Unit u;
        while ((u = started.poll()) != null) {
            failure = closeQuietly(u, failure);
        }
        while ((u = pending.pollFirst()) != null) {
            failure = closeQuietly(u, failure);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException closeQuietly(Unit u, RuntimeException failure) {
        try {
            u.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
        }
        return failure;
    }
}
