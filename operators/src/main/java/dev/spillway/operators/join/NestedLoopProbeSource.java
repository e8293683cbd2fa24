package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The probe side of a {@link NestedLoopJoin} as the source of the pipeline that consumes the
 * join's result. Each pull advances one {@link NestedLoopJoin.Step} by one step (at most a morsel
 * of result rows); an unfinished step goes back to a queue for the next puller, and a new probe
 * morsel is pulled only when no step is waiting. At most {@code maxCursors} steps exist at once,
 * each holding one probe morsel and at most one build block, which bounds the memory of the probe
 * phase and the number of spilled blocks read back at the same time. Rows are produced only when
 * pulled: a consumer that stops pulling (a satisfied {@code head}) stops the join.
 *
 * <p>RIGHT and FULL joins end with a second phase: once the probe input is exhausted and every
 * probe cursor has closed, the pullers claim the build blocks one at a time and emit their
 * unmatched rows ({@link NestedLoopJoin#startUnmatched}). The counter of probe cursors orders the
 * two phases: a cursor sets its build rows' bits before it closes and then decrements the counter,
 * and a puller starts the second phase only after reading zero from it.
 */
public final class NestedLoopProbeSource implements Source {
    private final Source input;
    private final NestedLoopJoin join;
    private final int maxCursors;
    private final AtomicLong sequence = new AtomicLong();
    /** Steps in progress (queued or in a puller's hand), plus pullers reserving a place for one. */
    private final AtomicInteger alive = new AtomicInteger();
    /** Probe cursors in progress, plus pullers about to pull a probe morsel. */
    private final AtomicInteger probing = new AtomicInteger();
    /** The next build block whose unmatched rows no step has claimed (RIGHT, FULL). */
    private final AtomicInteger nextBlock = new AtomicInteger();
    private final ConcurrentLinkedQueue<NestedLoopJoin.Step> steps = new ConcurrentLinkedQueue<>();
    private volatile boolean inputDone;

    /**
     * Joins {@code input} (already including the probe side's own operators) against {@code join}.
     *
     * @param maxCursors most steps in progress at once (normally the worker count)
     */
    public NestedLoopProbeSource(Source input, NestedLoopJoin join, int maxCursors) {
        this.input = input;
        this.join = join;
        this.maxCursors = Math.max(1, maxCursors);
    }

    @Override
    public String name() {
        return "nested-loop-join probe (" + join.type() + ")";
    }

    @Override
    public Morsel next(TaskContext ctx) {
        while (true) {
            NestedLoopJoin.Step c = steps.poll();
            if (c == null) {
                c = startStep(ctx);
            }
            if (c != null) {
                Morsel out;
                try {
                    out = c.next(0);
                } catch (RuntimeException e) {
                    release(c);
                    throw e;
                }
                if (c.done()) {
                    release(c);
                } else {
                    steps.add(c);
                }
                if (out.rowCount() > 0) {
                    try (out) {
                        return out.withSequence(sequence.getAndIncrement());
                    }
                }
                out.close();
                if (ctx.isCancelled()) {
                    return null;
                }
                continue;
            }
            if (finished()) {
                return null;
            }
            if (ctx.isCancelled()) {
                return null;
            }
            LockSupport.parkNanos(10_000);
        }
    }

    /** A new step when there is room for one: a probe cursor while the input lasts, then a block's unmatched rows. */
    private NestedLoopJoin.Step startStep(TaskContext ctx) {
        if (!inputDone) {
            if (alive.incrementAndGet() > maxCursors) {
                alive.decrementAndGet();
                return null;
            }
            probing.incrementAndGet();
            Morsel m = null;
            try {
                m = input.next(ctx);
                if (m != null) {
                    return join.startProbe(m);
                }
            } catch (RuntimeException | Error e) {
                probing.decrementAndGet();
                alive.decrementAndGet();
                throw e;
            }
            probing.decrementAndGet();
            alive.decrementAndGet();
            if (input.isExhausted()) {
                inputDone = true;
            }
            return null;
        }
        // Every probe cursor closed (the read of zero orders their bits before this) and the input
        // is exhausted, so no cursor can start any more.
        if (!join.emitsUnmatchedBuild() || probing.get() != 0 || nextBlock.get() >= join.blockCount()) {
            return null;
        }
        if (alive.incrementAndGet() > maxCursors) {
            alive.decrementAndGet();
            return null;
        }
        int b = nextBlock.getAndIncrement();
        if (b >= join.blockCount()) {
            alive.decrementAndGet();
            return null;
        }
        try {
            return join.startUnmatched(b);
        } catch (RuntimeException e) {
            alive.decrementAndGet();
            throw e;
        }
    }

    /** Closes a finished (or failed) step and gives its place back. */
    private void release(NestedLoopJoin.Step c) {
        try {
            c.close();
        } finally {
            if (c instanceof NestedLoopJoin.Cursor) {
                probing.decrementAndGet();
            }
            alive.decrementAndGet();
        }
    }

    /** Finished once the input is, no step is alive, and every block's unmatched rows were claimed (RIGHT, FULL). */
    private boolean finished() {
        return inputDone && alive.get() == 0 && steps.isEmpty() && probing.get() == 0
                && (!join.emitsUnmatchedBuild() || nextBlock.get() >= join.blockCount());
    }

    /** Nobody pulls this join any more, so nobody pulls its probe input either. */
    @Override
    public void detach() {
        input.detach();
    }

    @Override
    public void close() {
        try {
            NestedLoopJoin.Step c;
            while ((c = steps.poll()) != null) {
                c.close();
            }
            input.close();
        } finally {
            join.close();
        }
    }
}
