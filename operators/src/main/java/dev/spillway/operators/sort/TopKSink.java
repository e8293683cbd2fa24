package dev.spillway.operators.sort;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

/** The pipeline breaker in front of a {@link TopK}: each worker keeps its own bounded buffer. */
public final class TopKSink implements Sink<TopK.Local> {
    private final TopK topK;

    /** Feeds {@code topK}. */
    public TopKSink(TopK topK) {
        this.topK = topK;
    }

    @Override
    public String name() {
        return "top-k k=" + topK.k() + " " + topK.spec().describe();
    }

    @Override
    public TopK.Local createLocal(TaskContext ctx) {
        return topK.newLocal();
    }

    @Override
    public void consume(TopK.Local local, Morsel morsel, TaskContext ctx) {
        topK.consume(local, morsel);
    }

    @Override
    public void combine(TopK.Local local, TaskContext ctx) {
        topK.combine(local);
    }

    @Override
    public void finish(TaskContext ctx) {
        topK.finishInput();
    }

    @Override
    public void close() {
        topK.close();
    }
}
