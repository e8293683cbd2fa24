package dev.spillway.memory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * Turns memory pressure into spilling for one budget subtree, normally a query.
 *
 * <p>Parties that hold spillable state {@link #register} themselves. When a
 * {@link MemoryBudget#reserve reservation} in the subtree cannot be met, the {@link MemoryArbiter}
 * of the root budget asks parties to spill, largest first — the registered parties of every
 * manager under that root, so one query's pressure can make another query spill (the arbiter's
 * class comment gives the order and the fairness rule). Without an arbiter on the root, the
 * manager works alone with a private one: only its own parties spill.
 *
 * <p>Deadlock freedom: reclamation is serialised by the arbiter's re-entrant lock, taken by the
 * thread that needs memory. A party whose own lock is held elsewhere must answer 0 at once (see
 * {@link Spillable}) instead of waiting, so the reclaiming thread never waits on another worker,
 * of its own query or of another. A party that asks for memory while it is itself the largest is
 * asked to spill on its own thread, which its re-entrant lock allows. Nested reclamation on one
 * thread (a spill that reserves) frees nothing, so it cannot recurse.
 *
 * <p>Counters are written under the arbiter's lock and read without it (volatile).
 */
public final class MemoryManager implements AutoCloseable {
    private final MemoryBudget budget;
    private final MemoryArbiter arbiter;
    private final List<Spillable> parties = new CopyOnWriteArrayList<>();
    private final List<PressureListener> listeners = new CopyOnWriteArrayList<>();
    private volatile BooleanSupplier cancelled = () -> false;
    private volatile SpillFailureHandler onSpillFailure;
    private volatile long reclaimCalls;
    private volatile long bytesReclaimed;
    private volatile long bytesFromOthers;
    private volatile long spillsForOthers;
    private volatile long bytesSpilledForOthers;

    /** Observes pressure events, for verbose logs and profiles. */
    @FunctionalInterface
    public interface PressureListener {
        /**
         * Called after a party of this manager spilled on request.
         *
         * @param party     the party that spilled
         * @param requested bytes the reservation needed
         * @param freed     bytes the party released
         */
        void onSpill(Spillable party, long requested, long freed);

        /**
         * Called after a party of this manager spilled on request; by default
         * {@link #onSpill(Spillable, long, long)}.
         *
         * @param askedBy the name of the manager (query) whose reservation needed the memory: this
         *                manager's own, another query's, or {@code "-"} for a budget outside any query
         */
        default void onSpill(Spillable party, String askedBy, long requested, long freed) {
            onSpill(party, requested, freed);
        }
    }

    /** Told when a party of this manager failed while spilling for another query. */
    @FunctionalInterface
    public interface SpillFailureHandler {
        /**
         * @param party   the party that failed
         * @param askedBy the query whose reservation asked it to spill
         * @param failure what it threw
         */
        void spillFailed(Spillable party, String askedBy, RuntimeException failure);
    }

    /**
     * Attaches a manager to {@code budget}; closing the manager detaches it. It joins the
     * {@link MemoryArbiter} of the budget's root, if the root has one.
     */
    public MemoryManager(MemoryBudget budget) {
        this.budget = budget;
        budget.attach(this);
        MemoryArbiter shared = budget.root().arbiter();
        this.arbiter = shared != null ? shared : MemoryArbiter.lone();
        arbiter.join(this);
    }

    /** The arbiter that decides who spills (shared by the root's queries, or this manager's own). */
    public MemoryArbiter arbiter() {
        return arbiter;
    }

    /** This manager's name in events: its budget's name (the query's name in the engine). */
    public String name() {
        return budget.name();
    }

    /**
     * Makes a reservation that waits for memory stop waiting once {@code cancelled} answers true
     * (the query was cancelled); it then fails at once.
     */
    public void cancelWhen(BooleanSupplier cancelled) {
        this.cancelled = Objects.requireNonNull(cancelled, "cancelled");
    }

    /**
     * Sets who is told when a party of this manager fails while spilling for another query's
     * reservation (that query goes on; this one should fail). Without a handler the failure is
     * only latched by the party itself.
     */
    public void onSpillFailure(SpillFailureHandler handler) {
        this.onSpillFailure = handler;
    }

    boolean isCancelled() {
        return cancelled.getAsBoolean();
    }

    /** The registered parties, in registration order. */
    List<Spillable> parties() {
        return parties;
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
     * Bytes freed by other queries' parties for this manager's reservations (part of
     * {@link #bytesReclaimed}).
     */
    public long bytesFromOtherQueries() {
        return bytesFromOthers;
    }

    /** How many times a party of this manager spilled for another query's reservation. */
    public long spillsForOtherQueries() {
        return spillsForOthers;
    }

    /** Bytes this manager's parties freed for other queries' reservations. */
    public long bytesSpilledForOtherQueries() {
        return bytesSpilledForOthers;
    }

    /**
     * Asks parties to spill until the reservation of {@code bytesWanted} on {@code requester}
     * would fit, or nobody can free more (through the arbiter, see there).
     *
     * @return bytes freed, or {@code bytesWanted} when the memory became available meanwhile
     *         (0 when nothing could be freed)
     */
    long reclaim(long bytesWanted, MemoryBudget requester) {
        return arbiter.reclaim(bytesWanted, requester, this);
    }

    /** The arbiter's reclamation for one of this manager's reservations freed {@code freed} bytes (arbiter lock held). */
    void reclaimed(long freed) {
        reclaimCalls++;
        bytesReclaimed += freed;
    }

    /** A party of this manager freed {@code freed} bytes for {@code asker}'s reservation (arbiter lock held). */
    void spilled(Spillable party, MemoryManager asker, long requested, long freed) {
        if (asker != this) {
            spillsForOthers++;
            bytesSpilledForOthers += freed;
            if (asker != null) {
                asker.bytesFromOthers += freed;
            }
        }
        String askedBy = asker == null ? "-" : asker.name();
        for (PressureListener l : listeners) {
            l.onSpill(party, askedBy, requested, freed);
        }
    }

    /** A party of this manager threw while spilling for {@code asker} (arbiter lock held). */
    void spillFailed(Spillable party, MemoryManager asker, RuntimeException failure) {
        SpillFailureHandler h = onSpillFailure;
        if (h != null) {
            h.spillFailed(party, asker == null ? "-" : asker.name(), failure);
        }
    }

    /** Detaches from the budget. Idempotent. */
    @Override
    public void close() {
        arbiter.leave(this);
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
