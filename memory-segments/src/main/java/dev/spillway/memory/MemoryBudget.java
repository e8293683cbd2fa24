package dev.spillway.memory;

import dev.spillway.errors.MemoryLeakException;
import dev.spillway.errors.MemoryLimitExceededException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A hard cap on native memory, and the only way native memory is obtained.
 *
 * <p>Budgets form a tree — process, query, operator — like Arrow's root and child allocators.
 * A reservation on a budget is charged to it and to every ancestor, so the process cap bounds the
 * sum of all queries and a query cap bounds the sum of its operators. Reservation is lock-free: a
 * compare-and-set loop on a counter alone on its cache line, per level, with roll-back when a
 * higher level refuses.
 *
 * <p>{@link #tryReserve} never blocks and never spills. {@link #reserve} also asks the
 * {@link MemoryArbiter} of the root (through the nearest {@link MemoryManager}, usually the
 * query's) to free memory by spilling — parties of any query under the root, see the arbiter's
 * policy — and fails with {@link MemoryLimitExceededException} only when nothing more can be
 * freed and no memory was released in time: within the arbiter's bounded wait when other queries
 * hold memory, else within a quarter of a second.
 *
 * <p>Closing a budget with bytes still reserved throws {@link MemoryLeakException} naming the
 * holders; closing is idempotent. Every byte obtained must be {@link #release released} by its
 * owner, normally through {@link NativeBuffer#close()}.
 */
public final class MemoryBudget implements AutoCloseable {
    /** Cap value meaning "no cap of its own" (the ancestors' caps still apply). */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private final String name;
    private final MemoryBudget parent;
    private final MemoryBudget root;
    private final long cap;
    /** The smallest cap from here to the root: what this budget's reservations can really reach. */
    private final long effectiveCap;
    private final PaddedCounter reserved = new PaddedCounter();
    private final Set<MemoryBudget> children = ConcurrentHashMap.newKeySet();
    private volatile MemoryManager manager;
    /** On a root: the pool whose retained memory counts against the cap, or null. */
    private volatile BlockPool idlePool;
    /** On a root: the arbiter of the managers below it, or null. */
    private volatile MemoryArbiter arbiter;
    private volatile boolean closed;

    private MemoryBudget(String name, MemoryBudget parent, long cap) {
        if (cap < 0) {
            throw new IllegalArgumentException("memory cap of '" + name + "' must be >= 0, got " + cap);
        }
        this.name = name;
        this.parent = parent;
        this.root = parent == null ? this : parent.root;
        this.cap = cap;
        this.effectiveCap = parent == null ? cap : Math.min(cap, parent.effectiveCap);
    }

    /** Creates a root (process-level) budget with the given hard cap in bytes. */
    public static MemoryBudget root(String name, long capBytes) {
        return new MemoryBudget(name, null, capBytes);
    }

    /** Creates a child without a cap of its own. */
    public MemoryBudget child(String childName) {
        return child(childName, UNLIMITED);
    }

    /** Creates a child whose reservations count against this budget and its own {@code capBytes}. */
    public MemoryBudget child(String childName, long capBytes) {
        ensureOpen();
        MemoryBudget child = new MemoryBudget(childName, this, capBytes);
        children.add(child);
        return child;
    }

    // ------------------------------------------------------------------ reservation

    /**
     * Reserves {@code bytes} on this budget and all its ancestors if every cap allows it.
     *
     * @return whether the reservation was made; nothing is reserved when false
     */
    public boolean tryReserve(long bytes) {
        return tryReserveOrRefuser(bytes) == null;
    }

    /**
     * Reserves {@code bytes}, spilling through the root's {@link MemoryArbiter} (or the nearest
     * {@link MemoryManager}'s own) when a cap is in the way, and waiting a bounded time for memory
     * other queries release. Spilling and waiting happen on the calling thread.
     *
     * @throws MemoryLimitExceededException when the reservation cannot be met even after every
     *                                      registered consumer freed what it could and the wait
     *                                      ran out
     */
    public void reserve(long bytes) {
        MemoryBudget refuser = tryReserveOrRefuser(bytes);
        if (refuser == null) {
            return;
        }
        MemoryManager mm = nearestManager();
        MemoryArbiter a = mm != null ? mm.arbiter() : root.arbiter;
        if (a == null) {
            throw Refusals.refusal(this, refuser, bytes, null, null, -1, null);
        }
        a.reserve(this, bytes, mm);
    }

    /** Returns {@code bytes} to this budget and its ancestors. */
    public void release(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot release a negative amount: " + bytes);
        }
        long current;
        do {
            current = reserved.getAcquire();
            if (current < bytes) {
                throw new IllegalStateException("budget '" + path() + "' cannot release " + bytes
                        + " bytes: it released more than it reserved (only " + current + " reserved)");
            }
        } while (!reserved.compareAndSet(current, current - bytes));
        // An ancestor's count always includes this budget's, so it cannot go negative.
        for (MemoryBudget b = parent; b != null; b = b.parent) {
            b.reserved.getAndAdd(-bytes);
        }
        MemoryArbiter a = root.arbiter;
        if (a != null) {
            a.onRelease();
        }
    }

    /** Returns null on success, else the budget whose cap refused (nothing stays reserved). */
    MemoryBudget tryReserveOrRefuser(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot reserve a negative amount: " + bytes);
        }
        ensureOpen();
        return reservePath(this, bytes);
    }

    /**
     * Reserves on {@code b} and then its ancestors; rolls {@code b} back if an ancestor refuses.
     * Peaks are raised on the way back, once every level above accepted, so a rolled-back attempt
     * never counts towards a high-water mark. Another thread's attempt may still be inside
     * {@code b}'s count while an ancestor refuses it, so a peak is clamped to what the caps above
     * allow: a budget under a capped root never reports a peak above that cap. Recursion depth is
     * the tree's depth (3 or 4).
     */
    private static MemoryBudget reservePath(MemoryBudget b, long bytes) {
        long after = b.tryAdd(bytes);
        if (after < 0) {
            return b;
        }
        MemoryBudget refuser = b.parent == null ? null : reservePath(b.parent, bytes);
        if (refuser != null) {
            b.reserved.getAndAdd(-bytes);
            return refuser;
        }
        b.reserved.raisePeak(Math.min(after, b.effectiveCap));
        return null;
    }

    /**
     * Adds {@code bytes} under the cap; returns the new count, or -1 when the cap refuses. On a
     * root that {@link #countIdle counts a pool}, the pool's retained memory shares the cap: when
     * it is in the way, the pool gives pages back to the OS once and the reservation is tried again.
     */
    private long tryAdd(long bytes) {
        BlockPool pool = idlePool;
        boolean trimmed = false;
        while (true) {
            long current;
            long next;
            long idle = 0;
            boolean fits;
            do {
                current = reserved.getAcquire();
                next = current + bytes;
                if (next < 0) {
                    return -1;
                }
                idle = pool == null ? 0 : pool.retainedBytes();
                fits = next <= cap && next <= cap - Math.max(0, idle);
                if (!fits) {
                    break;
                }
            } while (!reserved.compareAndSet(current, next));
            if (fits) {
                return next;
            }
            if (pool == null || trimmed || next > cap || idle <= 0) {
                return -1;
            }
            pool.trim(cap - next);
            trimmed = true;
        }
    }

    /** The pool whose retained memory counts against this root's cap, or null. */
    BlockPool idlePool() {
        return idlePool;
    }

    /**
     * Makes {@code pool}'s retained memory count against this root's cap (see
     * {@link BlockPool#chargeIdleTo}).
     */
    void countIdle(BlockPool pool) {
        if (parent != null) {
            throw new IllegalArgumentException("only a root budget can count a pool's retained memory, not '" + path() + "'");
        }
        if (idlePool != null && idlePool != pool) {
            throw new IllegalStateException("budget '" + name + "' already counts another pool's retained memory");
        }
        idlePool = pool;
    }

    /** The root of this budget's tree (itself for a root). */
    public MemoryBudget root() {
        return root;
    }

    /** On a root: its {@link MemoryArbiter}, or null; null on any other budget. */
    public MemoryArbiter arbiter() {
        return arbiter;
    }

    void attachArbiter(MemoryArbiter a) {
        if (arbiter != null) {
            throw new IllegalStateException("budget '" + path() + "' already has a memory arbiter");
        }
        arbiter = a;
    }

    private MemoryManager nearestManager() {
        for (MemoryBudget b = this; b != null; b = b.parent) {
            MemoryManager mm = b.manager;
            if (mm != null) {
                return mm;
            }
        }
        return null;
    }

    void attach(MemoryManager mm) {
        if (manager != null) {
            throw new IllegalStateException("budget '" + path() + "' already has a memory manager");
        }
        manager = mm;
    }

    void detach(MemoryManager mm) {
        if (manager == mm) {
            manager = null;
        }
    }

    // ------------------------------------------------------------------ queries

    /** This budget's name. */
    public String name() {
        return name;
    }

    /** Names from the root down to this budget, separated by '/'. */
    public String path() {
        return parent == null ? name : parent.path() + "/" + name;
    }

    /** The parent, or null for a root. */
    public MemoryBudget parent() {
        return parent;
    }

    /** This budget's own cap ({@link #UNLIMITED} when it has none). */
    public long cap() {
        return cap;
    }

    /** The smallest cap on the path from this budget to the root. */
    public long effectiveCap() {
        return effectiveCap;
    }

    /** Bytes currently reserved here, including the children's reservations. */
    public long reserved() {
        return reserved.getAcquire();
    }

    /** The highest value {@link #reserved()} has reached. */
    public long peak() {
        return reserved.peak();
    }

    /** Bytes that could still be reserved here, considering every ancestor's cap and the retained memory of a pool it counts. */
    public long available() {
        long a = Long.MAX_VALUE;
        for (MemoryBudget b = this; b != null; b = b.parent) {
            a = Math.min(a, b.cap - b.reserved.getAcquire());
            BlockPool pool = b.idlePool;
            if (pool != null) {
                // Retained pages are given back before a reservation fails; what remains of them
                // by the time anyone asks (pieces below a page) is not available.
                a = Math.min(a, b.cap - b.reserved.getAcquire() - pool.retainedBytes());
            }
        }
        return Math.max(0, a);
    }

    /**
     * Bytes the spillable parties registered with the nearest memory manager could free (0
     * without a manager): beyond {@link #available()}, a reservation can still get this much by
     * making them spill.
     */
    public long spillable() {
        MemoryManager mm = nearestManager();
        return mm == null ? 0 : mm.spillableBytes();
    }

    /** A snapshot of the open children. */
    public List<MemoryBudget> children() {
        return List.copyOf(children);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ close

    /**
     * Closes this budget. Idempotent.
     *
     * @throws MemoryLeakException when bytes are still reserved here, naming every holder in the
     *                             subtree; the budget stays attached to its parent so the parent's
     *                             own close reports the leak too
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long left = reserved();
        if (left != 0) {
            throw new MemoryLeakException(leakReport());
        }
        if (parent != null) {
            parent.children.remove(this);
        }
    }

    /** A multi-line report of every budget in this subtree that holds bytes. */
    public String leakReport() {
        StringBuilder sb = new StringBuilder();
        sb.append("Memory was leaked: ").append(Bytes.format(reserved())).append(" (").append(reserved())
                .append(" bytes) still reserved in '").append(path()).append("'");
        appendHolders(sb, 1);
        return sb.toString();
    }

    private void appendHolders(StringBuilder sb, int depth) {
        List<MemoryBudget> holders = new ArrayList<>();
        for (MemoryBudget c : children) {
            if (c.reserved() != 0) {
                holders.add(c);
            }
        }
        holders.sort(Comparator.comparingLong(MemoryBudget::reserved).reversed());
        for (MemoryBudget c : holders) {
            sb.append('\n').append("  ".repeat(depth)).append("- ").append(c.name).append(": ")
                    .append(Bytes.format(c.reserved())).append(" (").append(c.reserved()).append(" bytes)");
            c.appendHolders(sb, depth + 1);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("memory budget '" + path() + "' is closed");
        }
    }

    @Override
    public String toString() {
        return "MemoryBudget[" + path() + ", reserved=" + Bytes.format(reserved()) + ", peak="
                + Bytes.format(peak()) + ", cap=" + (cap == UNLIMITED ? "none" : Bytes.format(cap)) + "]";
    }
}
