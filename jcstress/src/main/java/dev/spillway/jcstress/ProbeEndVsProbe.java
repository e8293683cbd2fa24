package dev.spillway.jcstress;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.MorselSource;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.join.HashJoin;
import dev.spillway.operators.join.JoinProbeSource;
import dev.spillway.options.JoinType;
import dev.spillway.scheduler.TaskContext;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The end of a join's probe phase races the probe steps. The probe input is one morsel whose
 * result takes 16 pulls (every probe row matches 16 build rows, 16 result rows per pull); after
 * the first pull its cursor waits in the queue, and two pullers pull four times each. Whenever one
 * holds the cursor, the other finds the queue empty and the input exhausted, and must not start
 * the second phase (which frees the hash tables) while the cursor is being stepped, nor take the
 * cursor's return to the queue between two of its checks for the end. Then everything left is
 * drained. Result: (result rows in all, failures).
 */
@JCStressTest
@Outcome(id = "256, 0", expect = ACCEPTABLE, desc = "every result row, once")
@Outcome(expect = FORBIDDEN, desc = "rows lost or doubled, or a probe ran into the second phase")
@State
public class ProbeEndVsProbe {
    /** 16 probe rows, all with key 3. */
    private static final Morsel PROBE = Fixtures.keyValue(16, i -> 3);
    /** 64 build rows, keys 0..3, 16 rows each. */
    private static final Morsel BUILD = Fixtures.keyValue(64, i -> i % 4);
    private static final int EXPECTED_ROWS = 16 * 16;

    private final JoinProbeSource source;
    private final TaskContext ctx = Fixtures.context();
    /** Per puller (0: set-up and drain, 1 and 2: the actors): rows taken and pulls that threw. */
    private final long[] rows = new long[3];
    private final long[] failures = new long[3];

    /** Builds the join and makes the first pull, which leaves the cursor queued. */
    public ProbeEndVsProbe() {
        HashJoin join = new HashJoin(Fixtures.KEY_VALUE, Fixtures.KEY_VALUE, new int[] {0}, new int[] {0}, JoinType.INNER,
                false, OperatorContext.of(Fixtures.POOL, Fixtures.BUDGET, Fixtures.spills()).child("join").withOutputRows(16));
        join.addBuild(BUILD.withSequence(0));
        join.finishBuild();
        source = new JoinProbeSource(new MorselSource("probe", List.of(PROBE)), join, 2);
        pull(0);
    }

    private void pull(int who) {
        try (Morsel m = source.next(ctx)) {
            rows[who] += m == null ? 0 : m.rowCount();
        } catch (RuntimeException e) {
            failures[who]++;
        }
    }

    @Actor
    public void first() {
        for (int i = 0; i < 4; i++) {
            pull(1);
        }
    }

    @Actor
    public void second() {
        for (int i = 0; i < 4; i++) {
            pull(2);
        }
    }

    @Arbiter
    public void drain(JJ_Result r) {
        // Bounded: a correct source ends within 16 more pulls.
        for (int i = 0; i < 64 && !source.isExhausted(); i++) {
            pull(0);
        }
        r.r1 = rows[0] + rows[1] + rows[2];
        r.r2 = failures[0] + failures[1] + failures[2] + (source.isExhausted() ? 0 : 1);
        source.close();
    }
}
