package dev.spillway.plan;

import dev.spillway.memory.MemoryBudget;

import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** How caches become multiplexers: counting their readers, sizing backlogs, labelling them in explain output. */
final class MultiplexerPlanning {
    /** Most memory the backlogs of one multiplexer hold before spilling, whatever the cap. */
    static final long MAX_BACKLOG_BYTES = 1L << 30;

    private MultiplexerPlanning() {
    }

    /**
     * Readers of each cache id in {@code roots}: the occurrences outside any cache, plus those in
     * each cache's input counted once (that input is planned once).
     */
    static Map<Long, Integer> readers(List<LogicalPlan> roots) {
        Map<Long, Integer> counts = new HashMap<>();
        for (LogicalPlan r : roots) {
            count(r, counts);
        }
        return counts;
    }

    private static void count(LogicalPlan node, Map<Long, Integer> counts) {
        if (node instanceof CacheNode c) {
            if (counts.merge(c.id(), 1, Integer::sum) > 1) {
                return;
            }
        }
        for (LogicalPlan in : node.inputs()) {
            count(in, counts);
        }
    }

    /** The memory of a multiplexer's backlogs together: a quarter of the query's cap, at most {@link #MAX_BACKLOG_BYTES}. */
    static long backlogBytes(MemoryBudget query) {
        return Math.min(MAX_BACKLOG_BYTES, query.effectiveCap() / 4);
    }

    /**
     * Caches of several plans that run as one query ({@code sinkAll}): every subplan instance that
     * more than one of {@code roots} shares, and that is not inside a larger shared subplan, is
     * wrapped in one {@link CacheNode}, so it is computed once for all of them. Sharing is by
     * object identity: frames derived from one {@code LazyFrame} share its plan object, while two
     * separately built but equal plans stay separate.
     */
    static List<LogicalPlan> cacheShared(List<LogicalPlan> roots) {
        Map<LogicalPlan, Set<Integer>> users = new IdentityHashMap<>();
        for (int i = 0; i < roots.size(); i++) {
            mark(roots.get(i), i, users, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        }
        Map<LogicalPlan, CacheNode> caches = new IdentityHashMap<>();
        return roots.stream().map(r -> wrap(r, users, caches)).toList();
    }

    private static void mark(LogicalPlan node, int root, Map<LogicalPlan, Set<Integer>> users, Set<LogicalPlan> seen) {
        if (!seen.add(node)) {
            return;
        }
        users.computeIfAbsent(node, k -> new HashSet<>()).add(root);
        for (LogicalPlan in : node.inputs()) {
            mark(in, root, users, seen);
        }
    }

    private static LogicalPlan wrap(LogicalPlan node, Map<LogicalPlan, Set<Integer>> users, Map<LogicalPlan, CacheNode> caches) {
        if (node instanceof CacheNode) {
            return node;
        }
        if (users.get(node).size() > 1) {
            return caches.computeIfAbsent(node, CacheNode::of);
        }
        if (node.inputs().isEmpty()) {
            return node;
        }
        List<LogicalPlan> in = node.inputs().stream().map(i -> wrap(i, users, caches)).toList();
        return node.withInputs(in);
    }

    /** What explain needs: the readers per cache and the caches whose input was already printed. */
    record Explain(Map<Long, Integer> readers, Set<Long> shown) {
        Explain(Map<Long, Integer> readers) {
            this(readers, new HashSet<>());
        }

        /** Whether {@code c} is read in several places (and so runs through a multiplexer). */
        boolean fannedOut(CacheNode c) {
            return readers.getOrDefault(c.id(), 1) > 1;
        }

        String label(CacheNode c) {
            return "STREAMING_MULTIPLEXER consumers=" + readers.get(c.id()) + " (input computed once; backlogs spill) [spillable]";
        }
    }
}
