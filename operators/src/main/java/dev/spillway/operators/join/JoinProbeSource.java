package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The probe side of a {@link HashJoin} as the source of the pipeline that consumes the join's
 * result: each pull probes one morsel of the probe input; when that input is exhausted, pulls
 * produce the rest of the result (unmatched build rows, spilled partitions), one morsel each.
 *
 * <p>Probing a morsel goes through a {@link HashJoin.ProbeCursor} that yields at most
 * a morsel's worth of result rows per pull; unfinished cursors wait in a queue for the
 * next puller. The second phase may start only when no cursor is left or in use (their spilled
 * rows must all be in the probe files): a puller that finds the input exhausted while others still
 * probe returns null with {@link #isExhausted()} false, and pulls again later. Second-phase pulls are serialised (one spilled partition is joined at a time, which
 * bounds memory). An input that has nothing now but more later (null with
 * {@link Source#isExhausted()} false) makes this source return null the same way.
 */
public final class JoinProbeSource implements Source {
    private final Source input;
    private final HashJoin join;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentLinkedQueue<HashJoin.ProbeCursor> cursors = new ConcurrentLinkedQueue<>();
    private final Object afterProbe = new Object();
    private volatile boolean inputDone;
    private volatile boolean finished;

    /** Probes {@code input} (already including the probe side's own operators) against {@code join}. */
    public JoinProbeSource(Source input, HashJoin join) {
        this.input = input;
        this.join = join;
    }

    @Override
    public String name() {
        return "equi-join probe (" + join.type() + ")";
    }

    @Override
    public Morsel next(TaskContext ctx) {
        while (true) {
            // In flight from before taking a cursor until after putting it back, so that a puller
            // that sees no cursor and nothing in flight knows the probe phase is over.
            inFlight.incrementAndGet();
            try {
                HashJoin.ProbeCursor c = cursors.poll();
                if (c == null && !inputDone) {
                    Morsel m = input.next(ctx);
                    if (m != null) {
                        c = join.startProbe(m);
                    } else if (input.isExhausted()) {
                        inputDone = true;
                    } else {
                        return null;
                    }
                }
                if (c != null) {
                    try {
                        Morsel out = c.next(sequence.getAndIncrement());
                        if (c.done()) {
                            c.close();
                        } else {
                            cursors.add(c);
                        }
                        return out;
                    } catch (RuntimeException e) {
                        c.close();
                        throw e;
                    }
                }
            } finally {
                inFlight.decrementAndGet();
            }
            if (inFlight.get() == 0 && cursors.isEmpty()) {
                synchronized (afterProbe) {
                    Morsel m = join.nextAfterProbe(sequence.getAndIncrement());
                    if (m == null) {
                        finished = true;
                    }
                    return m;
                }
            }
            if (ctx.isCancelled() || cursors.isEmpty()) {
                // Other pullers still probe: a transient end (isExhausted() is false), so the
                // scheduler runs other work and pulls again instead of this worker parking.
                return null;
            }
        }
    }

    @Override
    public boolean isExhausted() {
        return finished;
    }

    @Override
    public void close() {
        try {
            HashJoin.ProbeCursor c;
            while ((c = cursors.poll()) != null) {
                c.close();
            }
            input.close();
        } finally {
            join.close();
        }
    }
}
