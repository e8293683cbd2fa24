package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps rows {@code [offset, offset + length)} of its input in source order — the pipeline
 * breaker behind {@code head}, {@code limit} and {@code slice}.
 *
 * <p>Morsels are put back in order with a {@link ReorderBuffer}; rows before the offset are
 * skipped, the kept rows are zero-copy slices. Once the last wanted row has arrived
 * {@link #isSatisfied()} turns true, which the planner wires to the pipeline's source so that
 * it stops reading ({@link EarlyStopSource}). Memory held: the kept rows plus the morsels waiting
 * in the reorder buffer (at most the pipeline's morsels in flight).
 */
public final class SliceSink implements Sink<Void> {
    private final long offset;
    private final long length;
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    private final List<Morsel> kept = new ArrayList<>();
    private long seen;
    private long taken;
    private volatile boolean satisfied;

    /** Keeps {@code length} rows after skipping {@code offset}. */
    public SliceSink(long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("slice offset and length must be >= 0");
        }
        this.offset = offset;
        this.length = length;
        this.satisfied = length == 0;
    }

    @Override
    public String name() {
        return "slice offset=" + offset + " length=" + length;
    }

    /** Whether every wanted row has arrived (the source may stop). */
    public boolean isSatisfied() {
        return satisfied;
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
        try (m) {
            long start = seen;
            seen += m.rowCount();
            if (taken >= length) {
                return;
            }
            long from = Math.max(0, offset - start);
            if (from >= m.rowCount()) {
                return;
            }
            long count = Math.min(m.rowCount() - from, length - taken);
            if (count > 0) {
                kept.add(m.slice((int) from, (int) count));
                taken += count;
            }
            if (taken >= length) {
                satisfied = true;
            }
        }
    }

    /** A morsel an operator dropped whole still advances the order. */
    @Override
    public void skip(Void local, long sequence, TaskContext ctx) {
        reorder.skip(sequence, this::inOrder);
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    @Override
    public void finish(TaskContext ctx) {
        // Morsels past the last wanted row may wait behind a gap left by the early stop.
        reorder.drain().forEach(Morsel::close);
    }

    /**
     * A source over the kept rows, for the pipeline that consumes the slice; it reads them when
     * first pulled, which the pipeline dependency places after {@link #finish}.
     */
    public Source output() {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        return new Source() {
            @Override
            public String name() {
                return "slice output";
            }

            @Override
            public Morsel next(TaskContext ctx) {
                int i = next.getAndIncrement();
                return i < kept.size() ? kept.get(i).withSequence(i) : null;
            }
        };
    }

    /** Rows kept. */
    public long rowsKept() {
        return taken;
    }

    @Override
    public void close() {
        reorder.drain().forEach(Morsel::close);
        synchronized (reorder) {
            kept.forEach(Morsel::close);
            kept.clear();
        }
    }
}
