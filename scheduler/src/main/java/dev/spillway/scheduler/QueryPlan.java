package dev.spillway.scheduler;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A physical plan: a DAG of pipelines. A pipeline becomes runnable when every pipeline it
 * {@link Pipeline#dependsOn depends on} has finished.
 */
public final class QueryPlan {
    private final String name;
    private final List<Pipeline> pipelines;

    /**
     * Creates a plan.
     *
     * @throws IllegalArgumentException when a dependency is not part of the plan or the
     *                                  dependencies form a cycle
     */
    public QueryPlan(String name, List<Pipeline> pipelines) {
        this.name = name;
        this.pipelines = List.copyOf(new LinkedHashSet<>(pipelines));
        if (this.pipelines.isEmpty()) {
            throw new IllegalArgumentException("query '" + name + "' has no pipeline");
        }
        Set<Pipeline> all = new HashSet<>(this.pipelines);
        for (Pipeline p : this.pipelines) {
            for (Pipeline d : p.dependencies()) {
                if (!all.contains(d)) {
                    throw new IllegalArgumentException("pipeline '" + p.name() + "' depends on '" + d.name()
                            + "', which is not part of query '" + name + "'");
                }
            }
        }
        checkAcyclic();
    }

    private void checkAcyclic() {
        Set<Pipeline> done = new HashSet<>();
        Set<Pipeline> onPath = new HashSet<>();
        for (Pipeline p : pipelines) {
            visit(p, done, onPath, new ArrayList<>());
        }
    }

    private void visit(Pipeline p, Set<Pipeline> done, Set<Pipeline> onPath, List<String> path) {
        if (done.contains(p)) {
            return;
        }
        path.add(p.name());
        if (!onPath.add(p)) {
            throw new IllegalArgumentException("pipelines of query '" + name + "' depend on each other in a cycle: "
                    + String.join(" -> ", path));
        }
        for (Pipeline d : p.dependencies()) {
            visit(d, done, onPath, path);
        }
        onPath.remove(p);
        path.remove(path.size() - 1);
        done.add(p);
    }

    /** The query's name. */
    public String name() {
        return name;
    }

    /** The pipelines. */
    public List<Pipeline> pipelines() {
        return pipelines;
    }
}
