package dev.spillway.memory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns memory pressure into spilling for one budget subtree, normally a query.
 *
 * <p>Parties that hold spillable state {@link #register} themselves. When a
 * {@link MemoryBudget#reserve reservation} in the subtree cannot be met, the manager asks the
 * registered parties to spill, largest first, until what is missing was freed or nobody can free
 * more.
 *
 * <p>Deadlock freedom: reclamation is serialised by one re-entrant lock, taken by the thread that
 * needs memory. A party whose own lock is held elsewhere must answer 0 at once (see
 * {@link Spillable}) instead of waiting, so the reclaiming thread never waits on another worker.
 * A party that asks for memory while it is itself the largest is asked to spill on its own thread,
 * which its re-entrant lock allows. Nested reclamation on one thread (a spill that reserves) frees
 * nothing, so it cannot recurse.
 */
public final class MemoryManager implements AutoCloseable {
    private final MemoryBudget budget;
    private final List<Spillable> parties = new CopyOnWriteArrayList<>();
    private final ReentrantLock reclaimLock = new ReentrantLock();
    private final ThreadLocal<Boolean> reclaiming = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private final List<PressureListener> listeners = new CopyOnWriteArrayList<>();
    private volatile long reclaimCalls;
    private volatile long bytesReclaimed;

    /** Observes pressure events, for verbose logs and profiles. */
    @FunctionalInterface
    public interface PressureListener {
        /**
         * Called after a party spilled on request.
         *
         * @param party     the party that spilled
         * @param requested bytes the reservation needed
         * @param freed     bytes the party released
         */
        void onSpill(Spillable party, long requested, long freed);
    }

    /** Attaches a manager to {@code budget}; closing the manager detaches it. */
    public MemoryManager(MemoryBudget budget) {
        this.budget = budget;
        budget.attach(this);
    }

    /** The budget this manager serves. */
    public MemoryBudget budget() {
        return budget;
    }

    /**
     * Registers a spillable party.
     *
     * @return a handle whose {@code close()} deregisters it
     */
    public Registration register(Spillable party) {
        parties.add(party);
        return new Registration(party);
    }

    /** Adds a listener told about every spill that pressure caused. */
    public void addListener(PressureListener listener) {
        listeners.add(listener);
    }

    /** Bytes the registered parties could free by spilling now (a sample; parties change on other threads). */
    public long spillableBytes() {
        long n = 0;
        for (Spillable p : parties) {
            n += Math.max(0, p.spillableBytes());
        }
        return n;
    }

    /** The registered parties, largest spillable first (sizes as sampled once by this call). */
    public List<Spillable> partiesBySize() {
        // Sample each size once: parties grow and shrink on other threads while we sort, and a
        // comparator whose answers change mid-sort makes TimSort throw "Comparison method
        // violates its general contract!".
        List<Sized> sized = new ArrayList<>(parties.size());
        for (Spillable p : parties) {
            sized.add(new Sized(p, p.spillableBytes()));
        }
        sized.sort(Comparator.comparingLong(Sized::bytes).reversed());
        List<Spillable> sorted = new ArrayList<>(sized.size());
        for (Sized s : sized) {
            sorted.add(s.party());
        }
        return sorted;
    }

    private record Sized(Spillable party, long bytes) {
    }

    /** How many times pressure made this manager reclaim memory. */
    public long reclaimCalls() {
        return reclaimCalls;
    }

    /** Total bytes freed by spilling on this manager's request. */
    public long bytesReclaimed() {
        return bytesReclaimed;
    }

    /**
     * Asks registered parties to spill until the reservation of {@code bytesWanted} on
     * {@code requester} would fit, or nobody can free more. Called by {@link MemoryBudget#reserve}.
     *
     * @return bytes freed, or {@code bytesWanted} when the memory became available meanwhile
     *         (0 when nothing could be freed)
     */
    long reclaim(long bytesWanted, MemoryBudget requester) {
        if (reclaiming.get()) {
            return 0;
        }
        reclaimLock.lock();
        reclaiming.set(Boolean.TRUE);
        try {
            // Memory may have been freed while this thread waited for the lock. Only the part that
            // is missing is spilled: a spill costs disk I/O and later read-back, so freeing the
            // whole request when most of it is available would spill more parties than needed.
            long shortfall = bytesWanted - requester.available();
            if (shortfall <= 0) {
                return bytesWanted;
            }
            long freed = 0;
            for (Spillable party : partiesBySize()) {
                if (party.spillableBytes() <= 0) {
                    continue;
                }
                long got = party.spill(shortfall - freed);
                if (got > 0) {
                    freed += got;
                    for (PressureListener l : listeners) {
                        l.onSpill(party, bytesWanted, got);
                    }
                }
                if (freed >= shortfall) {
                    break;
                }
            }
            if (freed > 0) {
                reclaimCalls++;
                bytesReclaimed += freed;
            }
            return freed;
        } finally {
            reclaiming.set(Boolean.FALSE);
            reclaimLock.unlock();
        }
    }

    /** Detaches from the budget. Idempotent. */
    @Override
    public void close() {
        budget.detach(this);
        parties.clear();
    }

    /** A registration of one party; closing it deregisters the party. */
    public final class Registration implements AutoCloseable {
        private final Spillable party;

        private Registration(Spillable party) {
            this.party = party;
        }

        @Override
        public void close() {
            parties.remove(party);
        }
    }
}
