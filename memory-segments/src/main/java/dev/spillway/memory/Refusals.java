package dev.spillway.memory;

import dev.spillway.errors.MemoryLimitExceededException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The message of a refused reservation: the budget that asked, the cap that refused, the biggest
 * consumers and what was still spillable.
 */
final class Refusals {
    private Refusals() {
    }

    /**
     * @param manager  the requester's manager, or null
     * @param arbiter  the arbiter that reclaimed and waited, or null
     * @param waitedNanos how long the reservation waited for other queries' memory, or -1 when it
     *                 had only the short grace period
     * @param stopped  why the wait ended early (interrupt, cancellation), or null
     */
    static MemoryLimitExceededException refusal(MemoryBudget requester, MemoryBudget refuser, long bytes,
            MemoryManager manager, MemoryArbiter arbiter, long waitedNanos, String stopped) {
        StringBuilder sb = new StringBuilder();
        sb.append("memory limit exceeded: '").append(requester.path()).append("' needs ")
                .append(Bytes.format(bytes)).append(" but '").append(refuser.path()).append("' has ")
                .append(Bytes.format(refuser.reserved())).append(" of its cap of ")
                .append(Bytes.format(refuser.cap())).append(" reserved");
        BlockPool pool = refuser.idlePool();
        if (pool != null && pool.retainedBytes() > 0) {
            sb.append(" and its block pool holds ").append(Bytes.format(pool.retainedBytes()))
                    .append(" of free pieces it could not give back (pieces below a page share pages with live ones)");
        }
        List<Consumer> consumers = new ArrayList<>();
        collect(refuser, consumers);
        // Sorted on one snapshot per consumer: other threads keep reserving while this runs.
        consumers.sort(Comparator.comparingLong(Consumer::bytes).reversed());
        if (!consumers.isEmpty()) {
            sb.append("; biggest consumers: ");
            for (int i = 0; i < Math.min(5, consumers.size()); i++) {
                Consumer c = consumers.get(i);
                sb.append(i == 0 ? "" : ", ").append(c.label()).append(" ").append(Bytes.format(c.bytes()));
            }
        }
        boolean shared = arbiter != null && arbiter.root() != null;
        if (manager == null && !shared) {
            sb.append("; no memory manager could spill");
        } else {
            List<Party> parties = new ArrayList<>();
            for (MemoryManager m : shared ? arbiter.managers() : List.of(manager)) {
                for (Spillable p : m.parties()) {
                    long b = p.spillableBytes();
                    if (b > 0) {
                        parties.add(new Party(shared ? m.name() + "/" + p.name() : p.name(), b));
                    }
                }
            }
            parties.sort(Comparator.comparingLong(Party::bytes).reversed());
            if (parties.isEmpty()) {
                sb.append(shared ? "; nothing spillable is left in any query" : "; nothing spillable is registered");
            } else {
                sb.append("; spillable state left: ");
                for (int i = 0; i < Math.min(5, parties.size()); i++) {
                    Party p = parties.get(i);
                    sb.append(i == 0 ? "" : ", ").append(p.label()).append(" ").append(Bytes.format(p.bytes()));
                }
            }
        }
        if (waitedNanos >= 0) {
            sb.append("; waited ").append(TimeUnit.NANOSECONDS.toMillis(waitedNanos))
                    .append(" ms for other queries to release memory");
            if (stopped == null) {
                sb.append(" (the memory wait is ").append(arbiter.releaseWait().toMillis()).append(" ms)");
            }
        }
        if (stopped != null) {
            sb.append("; stopped waiting because ").append(stopped);
        }
        sb.append(". Raise the memory limit or reduce the working set (fewer threads, smaller morsels).");
        return new MemoryLimitExceededException(sb.toString(), bytes, refuser.cap());
    }

    /**
     * Leaf-most holders below {@code b}: a budget with no holding children stands for itself; one
     * with children also stands for what it holds directly, beyond its children's share.
     */
    private static void collect(MemoryBudget b, List<Consumer> out) {
        long children = 0;
        for (MemoryBudget c : b.children()) {
            long r = c.reserved();
            if (r > 0) {
                children += r;
                collect(c, out);
            }
        }
        long own = b.reserved() - children;
        if (own > 0) {
            out.add(new Consumer(b, own, children > 0));
        }
    }

    private record Party(String label, long bytes) {
    }

    private record Consumer(MemoryBudget budget, long bytes, boolean direct) {
        String label() {
            return direct ? budget.path() + " (itself)" : budget.path();
        }
    }
}
