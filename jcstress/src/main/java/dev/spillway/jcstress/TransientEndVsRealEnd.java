package dev.spillway.jcstress;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.ChainSource;
import dev.spillway.operators.ConcatSource;
import dev.spillway.operators.EarlyStopSource;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A transient end races the real end through the source wrappers a plan stacks on a concurrently
 * fed input (operators chained onto it, a concat, an early stop): the producer publishes its last
 * morsel and ends while a puller pulls and, finding nothing, asks whether the input has ended.
 * The scheduler retires a puller that is told "ended", so "ended" must never be said while a
 * morsel is still to come: the morsel is then taken by the puller or found later, exactly once.
 *
 * <p>Result: (morsels the puller took, whether it was told "ended", morsels found afterwards).
 */
@JCStressTest
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the puller took the last morsel")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "transient end: the morsel came later")
@Outcome(expect = FORBIDDEN, desc = "told 'ended' with a morsel still to come, or the morsel lost or doubled")
@State
public class TransientEndVsRealEnd {
    private static final Morsel LAST = Fixtures.keyValue(1, i -> 7);

    private final HandOffSource input = new HandOffSource();
    private final Source stacked = new EarlyStopSource(
            new ConcatSource(List.of(new ChainSource(input, List.of(new Identity())))), () -> false);
    private final TaskContext ctx = Fixtures.context();

    /** Passes morsels through, as a projection that keeps every column would. */
    private static final class Identity implements Operator {
        @Override
        public String name() {
            return "identity";
        }

        @Override
        public Morsel process(Morsel input, TaskContext ctx) {
            return input;
        }
    }

    @Actor
    public void producer() {
        input.publish(LAST.withSequence(0));
        input.end();
    }

    @Actor
    public void puller(III_Result r) {
        try (Morsel m = stacked.next(ctx)) {
            if (m != null) {
                r.r1 = 1;
            } else {
                r.r2 = stacked.isExhausted() ? 1 : 0;
            }
        }
    }

    @Arbiter
    public void drain(III_Result r) {
        int found = 0;
        for (Morsel m; (m = stacked.next(ctx)) != null; ) {
            m.close();
            found++;
        }
        r.r3 = found;
        stacked.close();
    }
}
