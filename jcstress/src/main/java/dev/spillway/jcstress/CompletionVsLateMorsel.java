package dev.spillway.jcstress;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Pipeline;
import dev.spillway.errors.QueryExecutionException;
import dev.spillway.scheduler.QueryHandle;
import dev.spillway.scheduler.QueryPlan;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A pipeline's completion races its late morsels. The pipeline runs on the shared pool from the
 * start of each iteration, its tickets finding a transient end (a source fed by another
 * pipeline); two producers each publish a morsel, and the one that publishes last ends the input.
 * The pipeline must not complete before both morsels reached its sink, and must complete once.
 * Result: (morsels the sink took, finishes, 1 when the query succeeded).
 */
@JCStressTest
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "both late morsels taken, then one finish")
@Outcome(expect = FORBIDDEN, desc = "a morsel lost or the pipeline finished twice")
@State
public class CompletionVsLateMorsel {
    private static final Morsel ROW = Fixtures.keyValue(1, i -> 5);

    private final HandOffSource input = new HandOffSource();
    private final CountingSink sink = new CountingSink();
    private final AtomicInteger producing = new AtomicInteger(2);
    private final QueryHandle handle;

    /** Submits the pipeline: its tickets start pulling at once and find nothing yet. */
    public CompletionVsLateMorsel() {
        Pipeline p = new Pipeline("late", input, List.of(), sink);
        handle = Fixtures.WORKERS.submit(new QueryPlan("jcstress", List.of(p)));
    }

    private void produce(long sequence) {
        input.publish(ROW.withSequence(sequence));
        if (producing.decrementAndGet() == 0) {
            input.end();
        }
    }

    @Actor
    public void first() {
        produce(0);
    }

    @Actor
    public void second() {
        produce(1);
    }

    @Arbiter
    public void check(III_Result r) {
        try {
            handle.await();
            r.r3 = 1;
        } catch (QueryExecutionException e) {
            r.r3 = 0;
        }
        r.r1 = sink.morsels();
        r.r2 = sink.finishes();
    }
}
