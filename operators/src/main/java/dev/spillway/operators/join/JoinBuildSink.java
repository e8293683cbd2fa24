package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

/** The pipeline breaker on the build side of a {@link HashJoin}: partitions and stores build rows. */
public final class JoinBuildSink implements Sink<Void> {
    private final HashJoin join;

    /** Feeds {@code join}. */
    public JoinBuildSink(HashJoin join) {
        this.join = join;
    }

    @Override
    public String name() {
        return "equi-join build (" + join.type() + ")";
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        join.addBuild(morsel);
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
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
