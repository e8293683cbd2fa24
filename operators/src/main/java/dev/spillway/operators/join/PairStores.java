package dev.spillway.operators.join;

import dev.spillway.spill.PartitionedStore;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two stores the partitions of spilled pairs live in: the join's build and probe stores (owned
 * by the join), or the child stores of one re-partitioned pair, shared by its sub-pairs and closed
 * when the last of them is done.
 */
final class PairStores {
    private final PartitionedStore build;
    private final PartitionedStore probe;
    private final AtomicInteger users;
    private final FinalizeContext env;

    private PairStores(PartitionedStore build, PartitionedStore probe, AtomicInteger users, FinalizeContext env) {
        this.build = build;
        this.probe = probe;
        this.users = users;
        this.env = env;
    }

    /** The join's own stores; they outlive every pair. */
    static PairStores root(PartitionedStore build, PartitionedStore probe) {
        return new PairStores(build, probe, null, null);
    }

    /**
     * Child stores used by {@code users} sub-pairs; registered with {@code env} so that the memory
     * manager may evict their partitions, and closed when the last user is {@link #done}.
     *
     * @param probe may be null when the pair had no probe rows
     */
    static PairStores children(PartitionedStore build, PartitionedStore probe, int users, FinalizeContext env) {
        PairStores s = new PairStores(build, probe, new AtomicInteger(users), env);
        env.register(build);
        if (probe != null) {
            env.register(probe);
        }
        if (users == 0) {
            s.close();
        }
        return s;
    }

    PartitionedStore build() {
        return build;
    }

    /** The probe store, or null when the pair's parent had no probe rows. */
    PartitionedStore probe() {
        return probe;
    }

    long probeRows(int unit) {
        return probe == null ? 0 : probe.rows(unit);
    }

    /** Releases partition {@code unit} of both stores; closes child stores after their last user. */
    void done(int unit) {
        try {
            build.release(unit);
            if (probe != null) {
                probe.release(unit);
            }
        } finally {
            if (users != null && users.decrementAndGet() == 0) {
                close();
            }
        }
    }

    private void close() {
        env.unregister(build);
        try {
            build.close();
        } finally {
            if (probe != null) {
                env.unregister(probe);
                probe.close();
            }
        }
    }
}
