package dev.spillway.scheduler;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one pipeline run: read at any time, exact once the query ended.
 *
 * <p>Workers update the counters concurrently; the sums are {@link LongAdder}s, whose cells sit on
 * their own cache lines, so workers do not contend on them.
 */
public final class PipelineStats {
    private final String name;
    private final int maxInFlight;
    private final LongAdder morsels = new LongAdder();
    private final LongAdder rowsIn = new LongAdder();
    private final LongAdder rowsOut = new LongAdder();
    private final LongAdder busyNanos = new LongAdder();
    private final LongAdder refusals = new LongAdder();
    private final LongAdder sourceWaits = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private volatile long startNanos;
    private volatile long endNanos;

    PipelineStats(String name, int maxInFlight) {
        this.name = name;
        this.maxInFlight = maxInFlight;
    }

    /** A morsel of {@code rows} rows left the source. */
    void pulled(int rows) {
        morsels.increment();
        rowsIn.add(rows);
        int now = inFlight.incrementAndGet();
        if (now > peakInFlight.get()) {
            peakInFlight.accumulateAndGet(now, Math::max);
        }
    }

    /** A morsel left the pipeline: taken by the sink with {@code rows} rows, skipped, or closed. */
    void landed(int rows) {
        rowsOut.add(rows);
        inFlight.decrementAndGet();
    }

    void busy(long nanos) {
        busyNanos.add(nanos);
    }

    void skipped() {
        skipped.increment();
    }

    void refused() {
        refusals.increment();
    }

    void waitedForSource() {
        sourceWaits.increment();
    }

    void markStarted() {
        startNanos = System.nanoTime();
    }

    void markEnded() {
        endNanos = System.nanoTime();
    }

    /** The pipeline's name. */
    public String name() {
        return name;
    }

    /** Morsels pulled from the source. */
    public long morsels() {
        return morsels.sum();
    }

    /** Rows the source produced. */
    public long rowsIn() {
        return rowsIn.sum();
    }

    /** Rows delivered to the sink (after the operators). */
    public long rowsOut() {
        return rowsOut.sum();
    }

    /** Worker time spent in source, operators and sink of this pipeline (combine and finish included), summed over workers. */
    public long busyNanos() {
        return busyNanos.sum();
    }

    /** Times the sink refused work: {@link Sink#ready()} false, or {@link Sink#offer} returned false. */
    public long refusals() {
        return refusals.sum();
    }

    /** Times the source had nothing now but was not exhausted. */
    public long sourceWaits() {
        return sourceWaits.sum();
    }

    /** Morsels an operator filtered out entirely (returned null). */
    public long skippedMorsels() {
        return skipped.sum();
    }

    /** Morsels between source and sink now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The most morsels that were between source and sink at once; never above {@link #maxInFlight()}. */
    public int peakInFlight() {
        return peakInFlight.get();
    }

    /** The pipeline's bound on morsels in flight. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Whether the pipeline started (its dependencies finished). */
    public boolean started() {
        return startNanos != 0;
    }

    /** Whether its sink finished. */
    public boolean finished() {
        return endNanos != 0;
    }

    /** Wall time from start to finish (so far, while running; 0 before start). */
    public long wallNanos() {
        long s = startNanos;
        if (s == 0) {
            return 0;
        }
        long e = endNanos;
        return (e == 0 ? System.nanoTime() : e) - s;
    }

    @Override
    public String toString() {
        return name + ": morsels=" + morsels() + " rowsIn=" + rowsIn() + " rowsOut=" + rowsOut() + " skipped="
                + skippedMorsels() + " refusals=" + refusals() + " sourceWaits=" + sourceWaits() + " peakInFlight="
                + peakInFlight() + "/" + maxInFlight + " busyMs=" + busyNanos() / 1_000_000 + " wallMs="
                + wallNanos() / 1_000_000;
    }
}
