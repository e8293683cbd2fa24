package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Collects a query's result: every morsel, put back in source order at the end. Morsels with no
 * rows are dropped. {@link #finish} hands the ordered morsels to the consumer given at
 * construction, which owns them from then on; anything not handed over is freed on close.
 *
 * <p>When the plan fixes the number of result rows (a global aggregate has exactly one), the sink
 * checks it at the finish and fails the query on a mismatch: a morsel lost between the source and
 * the sink then becomes an error instead of a silently wrong answer.
 */
public final class CollectSink implements Sink<List<Morsel>> {
    /** {@link #CollectSink(Consumer, long) expectedRows} for a result whose size the plan does not fix. */
    public static final long ANY_ROWS = -1;

    private final List<Morsel> collected = new ArrayList<>();
    private final Consumer<List<Morsel>> result;
    private final long expectedRows;

    /** A sink that delivers the result to {@code result} when the input is complete. */
    public CollectSink(Consumer<List<Morsel>> result) {
        this(result, ANY_ROWS);
    }

    /**
     * A sink that delivers the result to {@code result} when the input is complete, after checking
     * that it has {@code expectedRows} rows ({@link #ANY_ROWS}: no check).
     */
    public CollectSink(Consumer<List<Morsel>> result, long expectedRows) {
        this.result = result;
        this.expectedRows = expectedRows;
    }

    @Override
    public String name() {
        return "collect";
    }

    @Override
    public List<Morsel> createLocal(TaskContext ctx) {
        return new Local();
    }

    /** A worker's morsels; closeable, so that the scheduler frees them when the query fails before combine. */
    private static final class Local extends ArrayList<Morsel> implements AutoCloseable {
        private static final long serialVersionUID = 1L;

        @Override
        public void close() {
            forEach(Morsel::close);
            clear();
        }
    }

    @Override
    public void consume(List<Morsel> local, Morsel morsel, TaskContext ctx) {
        if (morsel.rowCount() == 0) {
            morsel.close();
        } else {
            local.add(morsel);
        }
    }

    @Override
    public void combine(List<Morsel> local, TaskContext ctx) {
        synchronized (collected) {
            collected.addAll(local);
        }
        local.clear();
    }

    @Override
    public void finish(TaskContext ctx) {
        List<Morsel> ordered;
        synchronized (collected) {
            if (expectedRows != ANY_ROWS) {
                long rows = 0;
                for (Morsel m : collected) {
                    rows += m.rowCount();
                }
                if (rows != expectedRows) {
                    // The morsels stay here and are freed on close.
                    throw new IllegalStateException("internal error: the result has " + rows + " rows where the plan fixes "
                            + expectedRows + " (a global aggregate has exactly one row)");
                }
            }
            collected.sort(Comparator.comparingLong(Morsel::sequence));
            ordered = new ArrayList<>(collected);
            collected.clear();
        }
        result.accept(ordered);
    }

    @Override
    public void close() {
        synchronized (collected) {
            collected.forEach(Morsel::close);
            collected.clear();
        }
    }
}
