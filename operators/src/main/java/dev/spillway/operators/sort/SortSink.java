package dev.spillway.operators.sort;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

/** The pipeline breaker in front of an {@link ExternalSort}: each worker buffers and sorts its own runs. */
public final class SortSink implements Sink<ExternalSort.Local> {
    private final ExternalSort sort;

    /** Feeds {@code sort}. */
    public SortSink(ExternalSort sort) {
        this.sort = sort;
    }

    @Override
    public String name() {
        return "sort runs " + sort.spec().describe();
    }

    @Override
    public ExternalSort.Local createLocal(TaskContext ctx) {
        return sort.newLocal();
    }

    @Override
    public void consume(ExternalSort.Local local, Morsel morsel, TaskContext ctx) {
        sort.consume(local, morsel);
    }

    @Override
    public void combine(ExternalSort.Local local, TaskContext ctx) {
        sort.combine(local);
    }

    @Override
    public void finish(TaskContext ctx) {
        sort.finishInput();
    }

    @Override
    public void close() {
        sort.close();
    }
}
