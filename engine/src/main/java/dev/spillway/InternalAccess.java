package dev.spillway;

import dev.spillway.internal.EngineInternals;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryArbiter;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.plan.LogicalPlan;
import dev.spillway.scheduler.WorkerPool;
import dev.spillway.spill.SpillManager;

import java.util.List;

/** The package's side of {@link EngineInternals}: the internals the public classes keep to themselves. */
final class InternalAccess implements EngineInternals.Access {
    @Override
    public MemoryBudget budget(Spillway engine) {
        return engine.budget();
    }

    @Override
    public BlockPool pool(Spillway engine) {
        return engine.pool();
    }

    @Override
    public MemoryArbiter arbiter(Spillway engine) {
        return engine.arbiter();
    }

    @Override
    public SpillManager spills(Spillway engine) {
        return engine.spills();
    }

    @Override
    public WorkerPool workers(Spillway engine) {
        return engine.workers();
    }

    @Override
    public LogicalPlan logicalPlan(LazyFrame frame) {
        return frame.logicalPlan();
    }

    @Override
    public List<Morsel> morsels(DataFrame frame) {
        return frame.morsels();
    }
}
