package dev.spillway.operators.join;

import dev.spillway.event.EventSink;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.PartitionedStore;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the finalize units of one join share: the spec, the context, the probe scratches, the
 * debug settings, the memory share of a unit, and the child stores of re-partitioned pairs (so
 * that the join's {@code spill} reaches them too).
 */
final class FinalizeContext {
    private final JoinSpec spec;
    private final OperatorContext ctx;
    private final ProbeScratch.FreeList scratches;
    private final int maxStarted;
    private final int forcedSplits;
    private final long reloadLimit;
    private final HashJoin join;
    private final Set<PartitionedStore> children = ConcurrentHashMap.newKeySet();

    /**
     * @param maxStarted   units started at once (the workers): each gets that share of the memory
     * @param forcedSplits re-partition spilled partitions {@code 0 .. forcedSplits - 1} whatever their size
     * @param reloadLimit  most bytes of a build side loaded at once (0: the memory share decides)
     */
    FinalizeContext(JoinSpec spec, OperatorContext ctx, ProbeScratch.FreeList scratches, int maxStarted, int forcedSplits,
            long reloadLimit, HashJoin join) {
        this.spec = spec;
        this.ctx = ctx;
        this.scratches = scratches;
        this.maxStarted = maxStarted;
        this.forcedSplits = forcedSplits;
        this.reloadLimit = reloadLimit;
        this.join = join;
    }

    JoinSpec spec() {
        return spec;
    }

    OperatorContext ctx() {
        return ctx;
    }

    EventSink events() {
        return ctx.events();
    }

    ProbeScratch.FreeList scratches() {
        return scratches;
    }

    /** Whether top-level spilled partition {@code partition} is re-partitioned whatever its size. */
    boolean forcedSplit(int partition) {
        return partition < forcedSplits;
    }

    /**
     * Bytes one unit may load now (build rows plus their table): a third of its share of what is
     * free or could be freed by other operators spilling (a group-by downstream fills the memory
     * the join left; loading against what is free alone would re-partition small partitions over
     * and over). The probe block being read and the output morsels in flight downstream share the
     * rest.
     */
    long chunkLimit() {
        MemoryBudget budget = ctx.budget();
        long others = Math.max(0, budget.spillable() - (join == null ? 0 : join.spillableBytes()));
        long limit = FinalizeQueue.memoryShare(budget, others, 3, maxStarted);
        return reloadLimit > 0 ? Math.min(limit, reloadLimit) : limit;
    }

    void register(PartitionedStore store) {
        children.add(store);
    }

    void unregister(PartitionedStore store) {
        children.remove(store);
    }

    /** Bytes the child stores could evict. */
    long spillableBytes() {
        long n = 0;
        for (PartitionedStore s : children) {
            n += s.spillableBytes();
        }
        return n;
    }

    /** Evicts child-store partitions until {@code bytesWanted} were freed. */
    long spill(long bytesWanted) {
        long freed = 0;
        for (PartitionedStore s : children) {
            if (freed >= bytesWanted) {
                break;
            }
            freed += s.spill(bytesWanted - freed);
        }
        return freed;
    }
}
