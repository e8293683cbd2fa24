package dev.spillway.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Projection pushdown across {@link CacheNode}s. A cache is computed once for all its readers, so
 * it must keep the <em>union</em> of the columns its readers need: the readers are pruned first
 * while every cache they meet records what it was asked for; then each cache's input is pruned
 * with that union (outer caches first: their pruning decides what nested caches are asked for);
 * finally every occurrence of a cache gets the same pruned input.
 */
final class CachePruning {
    /** What the caches of the plans being pruned were asked for. */
    private static final class Needs {
        final Map<Long, LogicalPlan> inputs = new HashMap<>();
        final Map<Long, Set<String>> columns = new HashMap<>();
        final Set<Long> everything = new HashSet<>();
    }

    private static final ScopedValue<Needs> NEEDS = ScopedValue.newInstance();

    private CachePruning() {
    }

    /** Prunes the columns of several plans run together (one query), caches shared between them. */
    static List<LogicalPlan> pushDownProjections(List<LogicalPlan> roots) {
        Needs needs = new Needs();
        return ScopedValue.where(NEEDS, needs).call(() -> {
            List<LogicalPlan> pruned = new ArrayList<>();
            for (LogicalPlan r : roots) {
                pruned.add(Optimizer.pushDownProjections(r, null));
            }
            Map<Long, LogicalPlan> prunedInputs = new HashMap<>();
            while (true) {
                long id = Long.MIN_VALUE;
                for (long k : needs.inputs.keySet()) {
                    if (!prunedInputs.containsKey(k) && k > id) {
                        id = k;
                    }
                }
                if (id == Long.MIN_VALUE) {
                    break;
                }
                LogicalPlan input = needs.inputs.get(id);
                Set<String> need = needs.everything.contains(id) ? null : needs.columns.get(id);
                LogicalPlan p = Optimizer.pushDownProjections(input, need);
                if (need != null) {
                    List<String> names = new ArrayList<>();
                    for (String n : input.schema().names()) {
                        if (need.contains(n)) {
                            names.add(n);
                        }
                    }
                    p = Optimizer.selectExactly(p, names);
                }
                prunedInputs.put(id, p);
            }
            Map<Long, CacheNode> rebuilt = new HashMap<>();
            List<LogicalPlan> out = new ArrayList<>();
            for (LogicalPlan r : pruned) {
                out.add(replace(r, prunedInputs, rebuilt));
            }
            return out;
        });
    }

    /**
     * The projection pushdown of {@code Optimizer} at a cache: records what this reader needs and
     * leaves the cache as it is (its input is pruned once all readers are known). Outside
     * {@link #pushDownProjections(List)} the cache keeps all its columns.
     */
    static LogicalPlan atCache(CacheNode c, Set<String> required) {
        if (!NEEDS.isBound()) {
            return new CacheNode(c.id(), Optimizer.pushDownProjections(c.input(), null));
        }
        Needs needs = NEEDS.get();
        needs.inputs.putIfAbsent(c.id(), c.input());
        if (required == null) {
            needs.everything.add(c.id());
        } else {
            needs.columns.computeIfAbsent(c.id(), k -> new LinkedHashSet<>()).addAll(required);
        }
        return c;
    }

    private static LogicalPlan replace(LogicalPlan p, Map<Long, LogicalPlan> inputs, Map<Long, CacheNode> rebuilt) {
        if (p instanceof CacheNode c) {
            CacheNode done = rebuilt.get(c.id());
            if (done == null) {
                done = new CacheNode(c.id(), replace(inputs.get(c.id()), inputs, rebuilt));
                rebuilt.put(c.id(), done);
            }
            return done;
        }
        if (p.inputs().isEmpty()) {
            return p;
        }
        List<LogicalPlan> in = new ArrayList<>();
        for (LogicalPlan i : p.inputs()) {
            in.add(replace(i, inputs, rebuilt));
        }
        return p.withInputs(in);
    }
}
