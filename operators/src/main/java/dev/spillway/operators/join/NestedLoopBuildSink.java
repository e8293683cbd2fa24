package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

/** The pipeline breaker on the build side of a {@link NestedLoopJoin}: copies build rows into blocks. */
public final class NestedLoopBuildSink implements Sink<NestedLoopJoin.BuildBuffer> {
    private final NestedLoopJoin join;

    /** Feeds {@code join}. */
    public NestedLoopBuildSink(NestedLoopJoin join) {
        this.join = join;
    }

    @Override
    public String name() {
        return "nested-loop-join build (" + join.type() + ")";
    }

    @Override
    public NestedLoopJoin.BuildBuffer createLocal(TaskContext ctx) {
        return join.newBuildBuffer();
    }

    @Override
    public void consume(NestedLoopJoin.BuildBuffer local, Morsel morsel, TaskContext ctx) {
        local.add(morsel);
    }

    @Override
    public void combine(NestedLoopJoin.BuildBuffer local, TaskContext ctx) {
        try (local) {
            local.flush();
        }
    }

    @Override
    public void finish(TaskContext ctx) {
        join.finishBuild();
    }

    @Override
    public void close() {
        join.close();
    }
}
