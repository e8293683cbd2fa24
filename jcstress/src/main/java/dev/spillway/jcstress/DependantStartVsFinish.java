package dev.spillway.jcstress;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.MorselSource;
import dev.spillway.scheduler.Pipeline;
import dev.spillway.errors.QueryExecutionException;
import dev.spillway.scheduler.QueryPlan;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A pipeline's start races the finish of the pipeline it depends on. Two small queries run at
 * once on one shared pool, each a root pipeline with nothing to read followed by a dependant that
 * reads one morsel (the shape of a global aggregate feeding its result collector). The root can
 * finish on a worker, and start its dependant, while the submitting thread is still starting the
 * query's roots; the dependant must still start once: its sink sees the morsel once, is combined
 * once and finishes once. Result per query: (dependant's morsels × 10 + finishes, outcome), with
 * outcome 1 for success and 0 for a failed query.
 */
@JCStressTest
@Outcome(id = "11, 1, 11, 1", expect = ACCEPTABLE, desc = "each dependant started once and saw its morsel once")
@Outcome(expect = FORBIDDEN, desc = "a dependant started twice, lost its morsel, or the query failed")
@State
public class DependantStartVsFinish {
    private static final Morsel ROW = Fixtures.keyValue(1, i -> 1);

    private final Query left = new Query();
    private final Query right = new Query();

    /** One query: a root that reads nothing, then a dependant that reads one morsel. */
    private static final class Query {
        final CountingSink dependant = new CountingSink();
        final QueryPlan plan;

        Query() {
            Pipeline root = new Pipeline("root", new MorselSource("nothing", List.of()), List.of(), new CountingSink());
            Pipeline next = new Pipeline("dependant", new MorselSource("one row", List.of(ROW)), List.of(), dependant);
            next.dependsOn(root);
            plan = new QueryPlan("jcstress", List.of(root, next));
        }

        int run() {
            try {
                Fixtures.WORKERS.submit(plan).await();
                return 1;
            } catch (QueryExecutionException e) {
                return 0;
            }
        }
    }

    @Actor
    public void first(IIII_Result r) {
        r.r2 = left.run();
    }

    @Actor
    public void second(IIII_Result r) {
        r.r4 = right.run();
    }

    @Arbiter
    public void check(IIII_Result r) {
        r.r1 = left.dependant.morsels() * 10 + left.dependant.finishes();
        r.r3 = right.dependant.morsels() * 10 + right.dependant.finishes();
    }
}
