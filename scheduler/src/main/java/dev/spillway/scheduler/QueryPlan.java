package dev.spillway.scheduler;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A physical plan: a DAG of pipelines. A pipeline becomes runnable when every pipeline it
 * {@link Pipeline#dependsOn depends on} has finished; pipelines without a path between them run
 * at the same time.
 *
 * <p>The dependencies are captured when the plan is created. A plan runs once: its sources,
 * operators and sinks are closed when the run ends.
 */
public final class QueryPlan {
    private final String name;
    private final List<Pipeline> pipelines;
    private final Map<Pipeline, List<Pipeline>> dependencies = new IdentityHashMap<>();
    private final AtomicBoolean submitted = new AtomicBoolean();

    /**
     * Creates a plan.
     *
     * @throws IllegalArgumentException when there is no pipeline, a dependency is not part of the
     *                                  plan, the dependencies form a cycle, or one sink ends two
     *                                  pipelines (its combine and finish phases would run twice)
     */
    public QueryPlan(String name, List<Pipeline> pipelines) {
        this.name = Objects.requireNonNull(name, "name");
        this.pipelines = List.copyOf(new LinkedHashSet<>(pipelines));
        if (this.pipelines.isEmpty()) {
            throw new IllegalArgumentException("query '" + name + "' has no pipeline");
        }
        Set<Pipeline> all = new HashSet<>(this.pipelines);
        Map<Sink<?>, Pipeline> sinks = new IdentityHashMap<>();
        for (Pipeline p : this.pipelines) {
            List<Pipeline> deps = p.dependencies();
            for (Pipeline d : deps) {
                if (!all.contains(d)) {
                    throw new IllegalArgumentException("pipeline '" + p.name() + "' depends on '" + d.name()
                            + "', which is not part of query '" + name + "'");
                }
            }
            dependencies.put(p, deps);
            Pipeline other = sinks.putIfAbsent(p.sink(), p);
            if (other != null) {
                throw new IllegalArgumentException("sink '" + p.sink().name() + "' ends both pipelines '" + other.name()
                        + "' and '" + p.name() + "' of query '" + name + "'; a sink ends exactly one pipeline"
                        + " (feed several inputs through one source instead)");
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
        for (Pipeline d : dependencies.get(p)) {
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

    /** The pipelines, in the order given (duplicates removed). */
    public List<Pipeline> pipelines() {
        return pipelines;
    }

    /** The pipelines {@code p} waits for, as captured when the plan was created. */
    public List<Pipeline> dependenciesOf(Pipeline p) {
        List<Pipeline> deps = dependencies.get(p);
        if (deps == null) {
            throw new IllegalArgumentException("pipeline '" + p.name() + "' is not part of query '" + name + "'");
        }
        return deps;
    }

    /** Marks the plan as submitted; a plan runs once. */
    void submitted() {
        if (!submitted.compareAndSet(false, true)) {
            throw new IllegalStateException("query plan '" + name
                    + "' was already submitted; its sources and sinks are closed after a run, build a new plan");
        }
    }

    @Override
    public String toString() {
        return "QueryPlan[" + name + ", " + pipelines.size() + " pipelines]";
    }
}
