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
 */
public final class CollectSink implements Sink<List<Morsel>> {
    private final List<Morsel> collected = new ArrayList<>();
    private final Consumer<List<Morsel>> result;

    /** A sink that delivers the result to {@code result} when the input is complete. */
    public CollectSink(Consumer<List<Morsel>> result) {
        this.result = result;
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
