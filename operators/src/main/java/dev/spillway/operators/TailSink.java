package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps the last {@code n} rows of its input in source order — the pipeline breaker behind
 * {@code tail}. Morsels are put back in order with a {@link ReorderBuffer}; a morsel is dropped
 * as soon as the morsels after it hold {@code n} rows, so memory stays at about {@code n} rows
 * plus the morsels in flight.
 */
public final class TailSink implements Sink<Void> {
    private final long n;
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    private final ArrayDeque<Morsel> kept = new ArrayDeque<>();
    private final List<Morsel> output = new ArrayList<>();
    private long keptRows;

    /** Keeps the last {@code n} rows. */
    public TailSink(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("tail needs n >= 0, got " + n);
        }
        this.n = n;
    }

    @Override
    public String name() {
        return "tail n=" + n;
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        reorder.add(morsel.sequence(), morsel, this::inOrder);
    }

    /** Runs under the reorder buffer's lock, one morsel at a time in source order. */
    private void inOrder(Morsel m) {
        if (n == 0 || m.rowCount() == 0) {
            m.close();
            return;
        }
        kept.addLast(m);
        keptRows += m.rowCount();
        while (keptRows - kept.peekFirst().rowCount() >= n) {
            Morsel first = kept.pollFirst();
            keptRows -= first.rowCount();
            first.close();
        }
    }

    @Override
    public void skip(Void local, long sequence, TaskContext ctx) {
        reorder.skip(sequence, this::inOrder);
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    @Override
    public void finish(TaskContext ctx) {
        synchronized (reorder) {
            long drop = keptRows - n;
            int seq = 0;
            while (!kept.isEmpty()) {
                Morsel m = kept.pollFirst();
                // Only the oldest morsel can hold rows before the last n.
                int from = (int) Math.max(0, drop);
                drop = 0;
                try (m; Morsel rest = m.slice(from, m.rowCount() - from)) {
                    output.add(rest.withSequence(seq++));
                }
            }
            keptRows = 0;
        }
    }

    /** A source over the kept rows, for the pipeline that consumes the tail (it runs after {@link #finish}). */
    public Source output() {
        AtomicInteger next = new AtomicInteger();
        return new Source() {
            @Override
            public String name() {
                return "tail output";
            }

            @Override
            public Morsel next(TaskContext ctx) {
                int i = next.getAndIncrement();
                if (i >= output.size()) {
                    return null;
                }
                Morsel m = output.get(i);
                output.set(i, null);
                return m;
            }
        };
    }

    @Override
    public void close() {
        reorder.drain().forEach(Morsel::close);
        synchronized (reorder) {
            kept.forEach(Morsel::close);
            kept.clear();
            for (Morsel m : output) {
                if (m != null) {
                    m.close();
                }
            }
            output.clear();
        }
    }
}
