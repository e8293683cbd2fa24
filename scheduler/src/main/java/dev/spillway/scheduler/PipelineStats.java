package dev.spillway.scheduler;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one pipeline run; read at any time, exact once the query ended. */
public final class PipelineStats {
    private final String name;
    private final LongAdder morsels = new LongAdder();
    private final LongAdder rowsIn = new LongAdder();
    private final LongAdder rowsOut = new LongAdder();
    private final LongAdder busyNanos = new LongAdder();
    private final LongAdder refusals = new LongAdder();
    private volatile long startNanos;
    private volatile long endNanos;

    PipelineStats(String name) {
        this.name = name;
    }

    void morsel(long in, long out, long nanos) {
        morsels.increment();
        rowsIn.add(in);
        rowsOut.add(out);
        busyNanos.add(nanos);
    }

    void refused() {
        refusals.increment();
    }

    void started() {
        startNanos = System.nanoTime();
    }

    void ended() {
        endNanos = System.nanoTime();
    }

    /** The pipeline's name. */
    public String name() {
        return name;
    }

    /** Morsels pulled from the source and delivered to the sink. */
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

    /** Worker time spent in source, operators and sink, summed over workers. */
    public long busyNanos() {
        return busyNanos.sum();
    }

    /** Times a worker found the sink not ready (spilling) and pulled nothing. */
    public long refusals() {
        return refusals.sum();
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
        return name + ": morsels=" + morsels() + " rowsIn=" + rowsIn() + " rowsOut=" + rowsOut() + " busyMs="
                + busyNanos() / 1_000_000 + " wallMs=" + wallNanos() / 1_000_000;
    }
}
