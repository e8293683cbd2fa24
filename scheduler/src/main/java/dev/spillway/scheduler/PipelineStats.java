package dev.spillway.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Counters of one pipeline run: read at any time, exact once the query ended.
 *
 * <p>Layout: one row of counters per worker, each row on its own 128 bytes (its own cache lines,
 * clear of the adjacent-line prefetcher), plus one row for threads that are not workers. A worker
 * is the only writer of its row and publishes with {@code setRelease}; readers sum the rows with
 * {@code getAcquire}; the shared row is updated with {@code getAndAdd}. So counting a morsel costs
 * plain stores to a line the worker owns — no atomic read-modify-write, no contention. There is
 * deliberately no shared in-flight counter either; {@link #inFlight()} is derived.
 */
public final class PipelineStats {
    /** Longs per row: 128 bytes. */
    private static final int STRIDE = 16;
    private static final int MORSELS = 0;
    private static final int ROWS_IN = 1;
    private static final int ROWS_OUT = 2;
    private static final int LANDED = 3;
    private static final int BUSY_NANOS = 4;
    private static final int REFUSALS = 5;
    private static final int SOURCE_WAITS = 6;
    private static final int SKIPPED = 7;
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);

    private final String name;
    private final int maxInFlight;
    private final int sharedRow;
    /** Row r starts at (r + 1) * STRIDE: the leading stride keeps row 0 off the array header's line. */
    private final long[] cells;
    private volatile long startNanos;
    private volatile long endNanos;

    PipelineStats(String name, int maxInFlight, int workers) {
        this.name = name;
        this.maxInFlight = maxInFlight;
        this.sharedRow = workers;
        this.cells = new long[(workers + 2) * STRIDE];
    }

    /** Adds {@code delta} to counter {@code field} of {@code worker} (-1: a thread that is not a worker). */
    private void add(int worker, int field, long delta) {
        if (worker < 0 || worker >= sharedRow) {
            CELLS.getAndAdd(cells, (sharedRow + 1) * STRIDE + field, delta);
        } else {
            int i = (worker + 1) * STRIDE + field;
            CELLS.setRelease(cells, i, cells[i] + delta);
        }
    }

    private long sum(int field) {
        long n = 0;
        for (int r = 0; r <= sharedRow; r++) {
            n += (long) CELLS.getAcquire(cells, (r + 1) * STRIDE + field);
        }
        return n;
    }

    /** A morsel of {@code rows} rows left the source. */
    void pulled(int worker, int rows) {
        add(worker, MORSELS, 1);
        add(worker, ROWS_IN, rows);
    }

    /** A morsel left the pipeline: taken by the sink with {@code rows} rows, skipped, or closed. */
    void landed(int worker, int rows) {
        add(worker, ROWS_OUT, rows);
        add(worker, LANDED, 1);
    }

    void busy(int worker, long nanos) {
        add(worker, BUSY_NANOS, nanos);
    }

    void skipped(int worker) {
        add(worker, SKIPPED, 1);
    }

    void refused(int worker) {
        add(worker, REFUSALS, 1);
    }

    void waitedForSource(int worker) {
        add(worker, SOURCE_WAITS, 1);
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
        return sum(MORSELS);
    }

    /** Rows the source produced. */
    public long rowsIn() {
        return sum(ROWS_IN);
    }

    /** Rows delivered to the sink (after the operators). */
    public long rowsOut() {
        return sum(ROWS_OUT);
    }

    /** Worker time spent in source, operators and sink of this pipeline (combine and finish included), summed over workers. */
    public long busyNanos() {
        return sum(BUSY_NANOS);
    }

    /** Times the sink refused work: {@link Sink#ready()} false, or {@link Sink#offer} returned false. */
    public long refusals() {
        return sum(REFUSALS);
    }

    /** Times the source had nothing now but was not exhausted. */
    public long sourceWaits() {
        return sum(SOURCE_WAITS);
    }

    /** Morsels an operator filtered out entirely (returned null). */
    public long skippedMorsels() {
        return sum(SKIPPED);
    }

    /**
     * Morsels between source and sink now (including ones a refusing sink makes wait); never above
     * {@link #maxInFlight()}. Exact when no worker is between pulling and delivering a morsel,
     * e.g. once the query ended (then 0).
     */
    public long inFlight() {
        // landed first: a concurrent pull then only makes the difference larger, never negative
        long out = sum(LANDED);
        return Math.max(0, sum(MORSELS) - out);
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
