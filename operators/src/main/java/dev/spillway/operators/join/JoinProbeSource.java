package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.FinalizeQueue;
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
 * <p>Probing a morsel goes through a {@link ProbeCursor} that yields at most a morsel's worth of
 * result rows per pull; unfinished cursors wait in a queue for the next puller. The second phase
 * is the join's {@link FinalizeQueue}: every puller takes a unit (an in-memory partition's
 * unmatched build rows, a spilled partition pair), at most {@code workers} units at once, so all
 * workers join spilled partitions in parallel. An input that has nothing now but more later, or a
 * finalize queue whose remaining units are in other pullers' hands, makes this source return null
 * with {@link Source#isExhausted()} false.
 *
 * <h2>End of the probe phase</h2>
 * The second phase frees the in-memory partitions and closes the probe spill files, so it may
 * start only when no probe can happen any more. One counter, {@code live}, says so: it counts the
 * cursors that exist (queued or in a puller's hands) plus the pulls of the input in progress. A
 * puller increments it before it reads {@code inputDone} and pulls the input, and a cursor's
 * count is given back only when the cursor is closed. The puller that sees the input end sets
 * {@code inputDone} and then reads {@code live}; both sides use sequentially consistent
 * atomics (Dekker), so either that puller sees the other's count, or the other sees
 * {@code inputDone} and does not pull. Hence {@code inputDone && live == 0}, read in that order,
 * is stable: no cursor exists and none can be made. (An earlier version tested an in-flight count
 * and the queue's emptiness in two reads; a puller could take the last queued cursor between them,
 * and the second phase then freed the hash tables under a running probe: empty or partial join
 * results, leaked memory, {@code ConcurrentModificationException}s.)
 */
public final class JoinProbeSource implements Source {
    private final Source input;
    private final HashJoin join;
    private final AtomicLong sequence = new AtomicLong();
    /** Cursors that exist plus input pulls in progress; see the class comment. */
    private final AtomicInteger live = new AtomicInteger();
    private final ConcurrentLinkedQueue<ProbeCursor> cursors = new ConcurrentLinkedQueue<>();
    private final Object afterProbe = new Object();
    private final int workers;
    private volatile FinalizeQueue finalizeQueue;
    private volatile boolean inputDone;
    private volatile boolean finished;

    /**
     * Probes {@code input} (already including the probe side's own operators) against {@code join}.
     *
     * @param workers the pipeline's workers: after the probe, at most this many finalize units run at once
     */
    public JoinProbeSource(Source input, HashJoin join, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("a probe source needs at least one worker, got " + workers);
        }
        this.input = input;
        this.join = join;
        this.workers = workers;
    }

    @Override
    public String name() {
        return "equi-join probe (" + join.type() + ")";
    }

    @Override
    public Morsel next(TaskContext ctx) {
        ProbeCursor c = cursors.poll();
        if (c == null) {
            live.incrementAndGet();
            boolean holding = true;
            try {
                if (!inputDone) {
                    Morsel m = input.next(ctx);
                    if (m != null) {
                        c = join.startProbe(m);
                        // The pull's count passes to the cursor.
                        holding = false;
                    } else if (input.isExhausted()) {
                        inputDone = true;
                    } else {
                        return null;
                    }
                }
            } finally {
                if (holding) {
                    live.decrementAndGet();
                }
            }
        }
        if (c != null) {
            return step(c);
        }
        if (live.get() != 0 || ctx.isCancelled()) {
            // Other pullers still probe: a transient end (isExhausted() is false), so the
            // scheduler runs other work and pulls again instead of this worker parking.
            return null;
        }
        FinalizeQueue q = finalizeQueue;
        if (q == null) {
            synchronized (afterProbe) {
                q = finalizeQueue;
                if (q == null) {
                    q = join.finishProbe(workers, sequence);
                    finalizeQueue = q;
                }
            }
        }
        Morsel m = q.next();
        if (m == null && q.isDone()) {
            finished = true;
        }
        return m;
    }

    /** One pull of a cursor; it goes back to the queue unless it is done (then it gives back its count). */
    private Morsel step(ProbeCursor c) {
        boolean requeue = false;
        try {
            Morsel out = c.next(sequence.getAndIncrement());
            requeue = !c.done();
            return out;
        } finally {
            if (requeue) {
                cursors.add(c);
            } else {
                try {
                    c.close();
                } finally {
                    live.decrementAndGet();
                }
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
            ProbeCursor c;
            while ((c = cursors.poll()) != null) {
                c.close();
                live.decrementAndGet();
            }
            input.close();
        } finally {
            join.close();
        }
    }
}
