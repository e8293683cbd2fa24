package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.TestPipelines.SumSink;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class QueryPlanTest {
    private static final Source NONE = new Source() {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public Morsel next(TaskContext ctx) {
            return null;
        }
    };

    @Test
    void cycleIsRejectedWithItsPath() {
        Pipeline a = new Pipeline("a", NONE, List.of(), new SumSink(null));
        Pipeline b = new Pipeline("b", NONE, List.of(), new SumSink(null)).dependsOn(a);
        Pipeline c = new Pipeline("c", NONE, List.of(), new SumSink(null)).dependsOn(b);
        a.dependsOn(c);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QueryPlan("q", List.of(a, b, c)));
        assertEquals("pipelines of query 'q' depend on each other in a cycle: a -> c -> b -> a", e.getMessage());
    }

    @Test
    void dependencyOutsideThePlanIsRejected() {
        Pipeline x = new Pipeline("x", NONE, List.of(), new SumSink(null));
        Pipeline c = new Pipeline("c", NONE, List.of(), new SumSink(null)).dependsOn(x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QueryPlan("q", List.of(c)));
        assertEquals("pipeline 'c' depends on 'x', which is not part of query 'q'", e.getMessage());
    }

    @Test
    void sinkEndingTwoPipelinesIsRejected() {
        SumSink shared = new SumSink(null);
        Pipeline a = new Pipeline("a", NONE, List.of(), shared);
        Pipeline b = new Pipeline("b", NONE, List.of(), shared);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QueryPlan("q", List.of(a, b)));
        assertEquals("sink 'sum' ends both pipelines 'a' and 'b' of query 'q'; a sink ends exactly one pipeline"
                + " (feed several inputs through one source instead)", e.getMessage());
    }

    @Test
    void badPipelinesAreRejected() {
        assertEquals("query 'q' has no pipeline",
                assertThrows(IllegalArgumentException.class, () -> new QueryPlan("q", List.of())).getMessage());
        assertEquals("max morsels in flight of pipeline 'p' must be in [1, 65536], got 0",
                assertThrows(IllegalArgumentException.class,
                        () -> new Pipeline("p", NONE, List.of(), new SumSink(null), 0)).getMessage());
        Pipeline p = new Pipeline("p", NONE, List.of(), new SumSink(null));
        assertEquals("pipeline 'p' cannot depend on itself",
                assertThrows(IllegalArgumentException.class, () -> p.dependsOn(p)).getMessage());
    }

    @Test
    void dependenciesAreCapturedWhenThePlanIsCreated() {
        Pipeline a = new Pipeline("a", NONE, List.of(), new SumSink(null));
        Pipeline b = new Pipeline("b", NONE, List.of(), new SumSink(null)).dependsOn(a).dependsOn(a);
        QueryPlan plan = new QueryPlan("q", List.of(a, b, a));
        assertEquals(List.of(a, b), plan.pipelines(), "duplicates removed, order kept");
        assertEquals(List.of(a), plan.dependenciesOf(b), "a repeated dependency counts once");
        Pipeline late = new Pipeline("late", NONE, List.of(), new SumSink(null));
        a.dependsOn(late);
        assertEquals(List.of(), plan.dependenciesOf(a));
        assertThrows(IllegalArgumentException.class, () -> plan.dependenciesOf(late));
    }
}
