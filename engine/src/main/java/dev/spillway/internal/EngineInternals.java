package dev.spillway.internal;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryArbiter;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.plan.LogicalPlan;
import dev.spillway.scheduler.WorkerPool;
import dev.spillway.spill.SpillManager;

import java.util.List;
import java.util.Objects;

/**
 * The engine's internals for the other Spillway modules, its tests and its benchmarks: the memory
 * budget, spill manager and worker pool of an engine, the plan of a lazy frame and the morsels of a
 * collected frame. None of these are part of the API, so the public classes do not hand them out;
 * {@code dev.spillway} registers the one implementation when {@link Spillway} is initialised, and
 * this package is not exported from the {@code dev.spillway} module.
 */
public final class EngineInternals {
    /** What the {@code dev.spillway} package implements. */
    public interface Access {
        /** The engine's process budget (all queries' memory). */
        MemoryBudget budget(Spillway engine);

        /** The engine's block pool. */
        BlockPool pool(Spillway engine);

        /** The engine's memory arbiter. */
        MemoryArbiter arbiter(Spillway engine);

        /** The engine's spill manager. */
        SpillManager spills(Spillway engine);

        /** The engine's worker pool. */
        WorkerPool workers(Spillway engine);

        /** The plan of a frame as built (before optimisation). */
        LogicalPlan logicalPlan(LazyFrame frame);

        /** The morsels of a collected frame in row order, owned by the frame. */
        List<Morsel> morsels(DataFrame frame);
    }

    private static volatile Access access;

    private EngineInternals() {
    }

    /** Called once, by {@code dev.spillway}. */
    public static void register(Access implementation) {
        if (access != null) {
            throw new IllegalStateException("engine internals are registered already");
        }
        access = Objects.requireNonNull(implementation);
    }

    private static Access access() {
        Access a = access;
        if (a == null) {
            try {
                Class.forName(Spillway.class.getName(), true, Spillway.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = access;
        }
        return a;
    }

    /** See {@link Access#budget}. */
    public static MemoryBudget budget(Spillway engine) {
        return access().budget(engine);
    }

    /** See {@link Access#pool}. */
    public static BlockPool pool(Spillway engine) {
        return access().pool(engine);
    }

    /** See {@link Access#arbiter}. */
    public static MemoryArbiter arbiter(Spillway engine) {
        return access().arbiter(engine);
    }

    /** See {@link Access#spills}. */
    public static SpillManager spills(Spillway engine) {
        return access().spills(engine);
    }

    /** See {@link Access#workers}. */
    public static WorkerPool workers(Spillway engine) {
        return access().workers(engine);
    }

    /** See {@link Access#logicalPlan}. */
    public static LogicalPlan logicalPlan(LazyFrame frame) {
        return access().logicalPlan(frame);
    }

    /** See {@link Access#morsels}. */
    public static List<Morsel> morsels(DataFrame frame) {
        return access().morsels(frame);
    }
}
