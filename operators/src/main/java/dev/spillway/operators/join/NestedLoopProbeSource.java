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
 * join's result. Each pull advances one {@link NestedLoopJoin.Cursor} by one step (at most a
 * morsel of result rows); an unfinished cursor goes back to a queue for the next puller, and a
 * new probe morsel is pulled only when no cursor is waiting. At most {@code maxCursors} cursors
 * exist at once, each holding one probe morsel and at most one build block, which bounds the
 * memory of the probe phase and the number of spilled blocks read back at the same time. Rows
 * are produced only when pulled: a consumer that stops pulling (a satisfied {@code head}) stops
 * the join.
 */
public final class NestedLoopProbeSource implements Source {
    private final Source input;
    private final NestedLoopJoin join;
    private final int maxCursors;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicInteger alive = new AtomicInteger();
    private final ConcurrentLinkedQueue<NestedLoopJoin.Cursor> cursors = new ConcurrentLinkedQueue<>();
    private volatile boolean inputDone;

    /**
     * Joins {@code input} (already including the probe side's own operators) against {@code join}.
     *
     * @param maxCursors most probe morsels in progress at once (normally the worker count)
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
            NestedLoopJoin.Cursor c = cursors.poll();
            boolean mayPull = c == null && !inputDone;
            if (mayPull && alive.incrementAndGet() <= maxCursors) {
                Morsel m;
                try {
                    m = input.next(ctx);
                } catch (RuntimeException e) {
                    alive.decrementAndGet();
                    throw e;
                }
                if (m != null) {
                    c = join.startProbe(m);
                } else {
                    alive.decrementAndGet();
                    if (input.isExhausted()) {
                        inputDone = true;
                    }
                }
            } else if (mayPull) {
                alive.decrementAndGet();
            }
            if (c != null) {
                Morsel out;
                try {
                    out = c.next(0);
                } catch (RuntimeException e) {
                    c.close();
                    alive.decrementAndGet();
                    throw e;
                }
                if (c.done()) {
                    c.close();
                    alive.decrementAndGet();
                } else {
                    cursors.add(c);
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
            // Nothing to do now: finished once the input is and no cursor is alive (queued or in hand).
            if (inputDone && alive.get() == 0 && cursors.isEmpty()) {
                return null;
            }
            if (ctx.isCancelled()) {
                return null;
            }
            LockSupport.parkNanos(10_000);
        }
    }

    @Override
    public void close() {
        try {
            NestedLoopJoin.Cursor c;
            while ((c = cursors.poll()) != null) {
                c.close();
            }
            input.close();
        } finally {
            join.close();
        }
    }
}
