package dev.spillway.operators.sort;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.function.LongFunction;

/**
 * The output of a sort or top-k as the source of the pipeline that consumes it: each pull returns
 * the next morsel in sorted order, numbered 0, 1, 2, ... so that order-sensitive sinks downstream
 * (slices, file writers, the collector) keep the sorted order whichever worker pulled it. Pulls
 * are serialised on a private lock, never on the sort, whose spilling must not wait for it.
 */
public final class SortedSource implements Source {
    private final String name;
    private final LongFunction<Morsel> next;
    private final Runnable closer;
    private final Object lock = new Object();
    private long sequence;
    private boolean done;

    /**
     * A source over {@code next} (called with the sequence number to give the morsel; null at the
     * end), running {@code closer} when the query ends.
     */
    public SortedSource(String name, LongFunction<Morsel> next, Runnable closer) {
        this.name = name;
        this.next = next;
        this.closer = closer;
    }

    /** The output of {@code sort}. */
    public static SortedSource of(ExternalSort sort) {
        return new SortedSource("sort output", sort::next, sort::close);
    }

    /** The output of {@code topK}. */
    public static SortedSource of(TopK topK) {
        return new SortedSource("top-k output", topK::next, topK::close);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Morsel next(TaskContext ctx) {
        synchronized (lock) {
            if (done || ctx.isCancelled()) {
                return null;
            }
            Morsel m;
            try {
                m = next.apply(sequence);
            } catch (RuntimeException e) {
                // The query fails with this error; later pulls must not report a second one.
                done = true;
                throw e;
            }
            if (m == null) {
                done = true;
            } else {
                sequence++;
            }
            return m;
        }
    }

    @Override
    public void close() {
        closer.run();
    }
}
