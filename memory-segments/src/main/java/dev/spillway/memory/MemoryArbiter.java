package dev.spillway.memory;

import dev.spillway.errors.MemoryLimitExceededException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Decides who spills when a reservation under one root budget fails, across every query (every
 * {@link MemoryManager}) below that root, and lets a reservation that still cannot be met wait a
 * bounded time for other queries to release memory.
 *
 * <p><b>Victims.</b> With {@code n} queries registered, a query's fair share is the root's cap
 * divided by {@code n}. The parties are asked to spill in three tiers, largest spillable first
 * within a tier (sizes sampled once per reclamation):
 * <ol>
 *   <li>the requesting query's own parties, when that query holds at least its fair share — a
 *       query over its share pays for its own growth;</li>
 *   <li>parties of other queries that hold more than their fair share — the largest holders
 *       elsewhere give memory to a query below its share, so one big query cannot starve the
 *       others;</li>
 *   <li>every other party, the requester's included, largest first.</li>
 * </ol>
 * When the cap that refuses is the query's own (a cap below the root), only its own parties are
 * asked, and the reservation does not wait for other queries to release: their memory would not
 * help.
 *
 * <p><b>Deadlock freedom.</b> Reclamation is serialised by one lock per arbiter, taken by the
 * thread that needs memory; the {@link MemoryManager} rules hold unchanged across queries: a party
 * whose lock is held elsewhere answers 0 at once ({@link Spillable}), so the reclaiming thread
 * never waits on another worker, whichever query that worker runs. A nested reservation on the
 * reclaiming thread (a spill that reserves) frees nothing. A party of another query that throws
 * while spilling (a full disk) fails that query through its manager's failure handler; the
 * requester goes on with the next party.
 *
 * <p><b>Waiting.</b> When nothing more can be spilled and other queries hold memory, the
 * reservation waits up to the release wait for them to give memory back (the root signals every
 * release while someone waits), retrying reclamation as it goes, and never holding the
 * reclamation lock while it sleeps. At most {@code maxWaiters} threads wait at once — the engine
 * passes its worker count minus one, so a worker is always left to run the work that releases
 * memory; a further reservation, or one when no other query holds memory, only gets the short
 * grace period a single query always had (a quarter of a second: another worker's morsel reaching
 * its sink). A wait ends early when the thread is interrupted (the flag is kept) or the
 * requesting query is cancelled; then, or at the deadline, the reservation fails with
 * {@link MemoryLimitExceededException}, whose message says how long it waited.
 *
 */
public final class MemoryArbiter {
    /** The default of the bounded wait for other queries' memory. */
    public static final Duration DEFAULT_RELEASE_WAIT = Duration.ofSeconds(5);
    /** How long a reservation retries when no other query could release memory. */
    static final long GRACE_NANOS = 250_000_000L;
    /** Longest sleep between two attempts while waiting (a release also wakes the waiters). */
    private static final long POLL_NANOS = 2_000_000L;

    /** The root this arbiter serves, or null for the private arbiter of a lone manager. */
    private final MemoryBudget root;
    private final long waitNanos;
    private final int maxWaiters;
    private final List<MemoryManager> managers = new CopyOnWriteArrayList<>();
    private final ReentrantLock reclaimLock = new ReentrantLock();
    private final ThreadLocal<Boolean> reclaiming = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private final ReentrantLock signalLock = new ReentrantLock();
    private final Condition released = signalLock.newCondition();
    private final AtomicInteger waiters = new AtomicInteger();
    private final AtomicLong waits = new AtomicLong();
    private final AtomicLong waitsSatisfied = new AtomicLong();

    /**
     * Attaches an arbiter to the root budget {@code root}: every {@link MemoryManager} created
     * afterwards below it joins this arbiter.
     *
     * @param releaseWait how long a reservation that nothing can be spilled for waits for other
     *                    queries to release memory (zero: only the short grace period)
     * @param maxWaiters  most threads waiting at once (0: nobody waits beyond the grace period)
     * @throws IllegalArgumentException when {@code root} is not a root, already has an arbiter, or
     *                                  a setting is negative
     */
    public MemoryArbiter(MemoryBudget root, Duration releaseWait, int maxWaiters) {
        if (root.parent() != null) {
            throw new IllegalArgumentException("a memory arbiter serves a root budget, not '" + root.path() + "'");
        }
        if (releaseWait.isNegative()) {
            throw new IllegalArgumentException("the release wait must not be negative, got " + releaseWait);
        }
        if (maxWaiters < 0) {
            throw new IllegalArgumentException("the number of waiting threads must be >= 0, got " + maxWaiters);
        }
        this.root = root;
        this.waitNanos = releaseWait.compareTo(Duration.ofDays(1)) > 0 ? TimeUnit.DAYS.toNanos(1) : releaseWait.toNanos();
        this.maxWaiters = maxWaiters;
        root.attachArbiter(this);
    }

    /** The private arbiter of a manager whose root has none: its parties only, the grace period only. */
    private MemoryArbiter() {
        this.root = null;
        this.waitNanos = 0;
        this.maxWaiters = 0;
    }

    static MemoryArbiter lone() {
        return new MemoryArbiter();
    }

    /** The root budget this arbiter serves, or null for a lone manager's own. */
    public MemoryBudget root() {
        return root;
    }

    /** The bounded wait for other queries' memory. */
    public Duration releaseWait() {
        return Duration.ofNanos(waitNanos);
    }

    /** The managers (queries) that take part now. */
    public List<MemoryManager> managers() {
        return List.copyOf(managers);
    }

    /** How many reservations waited for other queries to release memory. */
    public long waits() {
        return waits.get();
    }

    /** How many of those {@link #waits} got their memory before the deadline. */
    public long waitsSatisfied() {
        return waitsSatisfied.get();
    }

    void join(MemoryManager m) {
        managers.add(m);
    }

    void leave(MemoryManager m) {
        managers.remove(m);
    }

    /** Called by the root on every release: wakes the waiters, if any (a volatile read otherwise). */
    void onRelease() {
        if (waiters.get() == 0) {
            return;
        }
        signalLock.lock();
        try {
            released.signalAll();
        } finally {
            signalLock.unlock();
        }
    }

    // ------------------------------------------------------------------ reservation

    /**
     * Makes room for a reservation of {@code bytes} on {@code requester} that its caps refused,
     * then reserves it: spills, then waits (see the class comment).
     *
     * @param asker the requester's manager (its query), or null for a budget outside any query
     * @throws MemoryLimitExceededException when the memory could not be found in time
     */
    void reserve(MemoryBudget requester, long bytes, MemoryManager asker) {
        while (true) {
            long freed = reclaim(bytes, requester, asker);
            MemoryBudget refuser = requester.tryReserveOrRefuser(bytes);
            if (refuser == null) {
                return;
            }
            if (freed <= 0) {
                awaitRelease(requester, bytes, asker);
                return;
            }
        }
    }

    /** Nothing could be spilled: waits as the class comment says; returns once reserved, else throws. */
    private void awaitRelease(MemoryBudget requester, long bytes, MemoryManager asker) {
        boolean nested = reclaiming.get();
        // Other queries' releases cannot help a reservation its own query's cap refuses (a
        // per-query quota): it gets the grace period only.
        boolean others = root != null && root.reserved() - (asker == null ? 0 : asker.budget().reserved()) > 0
                && !(asker != null && ownCapRefuses(requester, bytes, asker));
        boolean longWait = false;
        if (!nested && others && waitNanos > 0) {
            if (waiters.incrementAndGet() <= maxWaiters) {
                longWait = true;
            } else {
                waiters.decrementAndGet();
            }
        }
        long start = System.nanoTime();
        long deadline = start + (longWait ? Math.max(waitNanos, GRACE_NANOS) : GRACE_NANOS);
        String stopped = null;
        MemoryBudget refuser;
        try {
            if (longWait) {
                waits.incrementAndGet();
            }
            while (true) {
                refuser = requester.tryReserveOrRefuser(bytes);
                if (refuser == null) {
                    if (longWait) {
                        waitsSatisfied.incrementAndGet();
                    }
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                if (asker != null && asker.isCancelled()) {
                    stopped = "its query was cancelled";
                    break;
                }
                if (!longWait) {
                    // The grace period (also of a nested reservation, whose thread holds the
                    // reclamation lock): short pauses; other workers may release meanwhile.
                    LockSupport.parkNanos(Math.min(left, 200_000L));
                } else if (!sleep(Math.min(left, POLL_NANOS))) {
                    stopped = "the thread was interrupted";
                    break;
                }
                // Parties only try-lock when asked to spill: one whose lock another worker held a
                // moment ago (writing a block) may spill now.
                reclaim(bytes, requester, asker);
            }
        } finally {
            if (longWait) {
                waiters.decrementAndGet();
            }
        }
        throw Refusals.refusal(requester, refuser, bytes, asker, this,
                longWait ? System.nanoTime() - start : -1, stopped);
    }

    /** Sleeps until a release or {@code nanos}; false (interrupt flag kept) when interrupted. */
    private boolean sleep(long nanos) {
        signalLock.lock();
        try {
            released.awaitNanos(nanos);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            signalLock.unlock();
        }
    }

    // ------------------------------------------------------------------ reclamation

    /**
     * Asks parties to spill, in the order of the class comment, until the reservation of
     * {@code bytesWanted} on {@code requester} would fit or nobody can free more.
     *
     * @return bytes freed, or {@code bytesWanted} when the memory became available meanwhile
     *         (0 when nothing could be freed, or when called from inside a reclamation)
     */
    long reclaim(long bytesWanted, MemoryBudget requester, MemoryManager asker) {
        if (reclaiming.get()) {
            return 0;
        }
        reclaimLock.lock();
        reclaiming.set(Boolean.TRUE);
        try {
            // Memory may have been freed while this thread waited for the lock. Only the part that
            // is missing is spilled: a spill costs disk I/O and later read-back.
            long shortfall = bytesWanted - requester.available();
            if (shortfall <= 0) {
                return bytesWanted;
            }
            long freed = 0;
            for (Candidate c : candidates(requester, bytesWanted, asker)) {
                if (c.party().spillableBytes() <= 0) {
                    continue;
                }
                long got;
                if (c.owner() == asker) {
                    got = c.party().spill(shortfall - freed);
                } else {
                    try {
                        got = c.party().spill(shortfall - freed);
                    } catch (RuntimeException e) {
                        // The party's own query fails; the requester is not to blame.
                        c.owner().spillFailed(c.party(), asker, e);
                        continue;
                    }
                }
                if (got > 0) {
                    freed += got;
                    c.owner().spilled(c.party(), asker, bytesWanted, got);
                }
                if (freed >= shortfall) {
                    break;
                }
            }
            if (freed > 0 && asker != null) {
                asker.reclaimed(freed);
            }
            return freed;
        } finally {
            reclaiming.set(Boolean.FALSE);
            reclaimLock.unlock();
        }
    }

    /** A party, the manager (query) it belongs to, its tier and its size as sampled once. */
    private record Candidate(Spillable party, MemoryManager owner, int tier, long bytes) {
    }

    private List<Candidate> candidates(MemoryBudget requester, long bytesWanted, MemoryManager asker) {
        List<MemoryManager> all = new ArrayList<>(managers);
        if (asker != null && !all.contains(asker)) {
            all.add(asker);
        }
        if (asker != null && (root == null || ownCapRefuses(requester, bytesWanted, asker))) {
            all = List.of(asker);
        }
        long fairShare = root == null ? Long.MAX_VALUE : root.effectiveCap() / Math.max(1, all.size());
        boolean askerOverShare = asker != null && asker.budget().reserved() >= fairShare;
        List<Candidate> out = new ArrayList<>();
        for (MemoryManager m : all) {
            int tier;
            if (m == asker) {
                tier = askerOverShare ? 0 : 2;
            } else {
                tier = m.budget().reserved() > fairShare ? 1 : 2;
            }
            for (Spillable p : m.parties()) {
                out.add(new Candidate(p, m, tier, p.spillableBytes()));
            }
        }
        // Sizes were sampled once: parties change on other threads, and a comparator whose
        // answers change mid-sort makes TimSort throw.
        out.sort(Comparator.comparingInt(Candidate::tier).thenComparing(Comparator.comparingLong(Candidate::bytes).reversed()));
        return out;
    }

    /** Whether a cap between {@code requester} and the asker's budget (inclusive) refuses the reservation. */
    private static boolean ownCapRefuses(MemoryBudget requester, long bytes, MemoryManager asker) {
        for (MemoryBudget b = requester; b != null; b = b.parent()) {
            if (b.cap() != MemoryBudget.UNLIMITED && b.cap() - b.reserved() < bytes) {
                return true;
            }
            if (b == asker.budget()) {
                return false;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "MemoryArbiter[" + (root == null ? "lone" : root.path()) + ", " + managers.size() + " queries, wait="
                + Duration.ofNanos(waitNanos).toMillis() + " ms, waiters=" + waiters.get() + "/" + maxWaiters + "]";
    }
}
