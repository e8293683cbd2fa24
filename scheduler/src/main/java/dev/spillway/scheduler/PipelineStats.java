package dev.spillway.scheduler;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one pipeline run: read at any time, exact once the query ended.
 *
 * <p>Workers update the counters concurrently; they are {@link LongAdder}s, whose cells sit on
 * their own cache lines, so workers do not contend on them. There is deliberately no shared
 * in-flight counter: two contended atomic updates per morsel would cost more than the rest of the
 * scheduling; {@link #inFlight()} is derived from the adders instead.
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
    private final LongAdder landed = new LongAdder();
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
    }

    /** A morsel left the pipeline: taken by the sink with {@code rows} rows, skipped, or closed. */
    void landed(int rows) {
        rowsOut.add(rows);
        landed.increment();
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

    /**
     * Morsels between source and sink now (including ones a refusing sink makes wait); never above
     * {@link #maxInFlight()}. Exact when no worker is between pulling and delivering a morsel,
     * e.g. once the query ended (then 0).
     */
    public long inFlight() {
        // landed first: a concurrent pull then only makes the difference larger, never negative
        long out = landed.sum();
        return Math.max(0, morsels.sum() - out);
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
                + skippedMorsels() + " refusals=" + refusals() + " sourceWaits=" + sourceWaits() + " inFlight="
                + inFlight() + "/" + maxInFlight + " busyMs=" + busyNanos() / 1_000_000 + " wallMs="
                + wallNanos() / 1_000_000;
    }
}
