package dev.spillway.jcstress;

import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.operators.MorselSource;
import dev.spillway.scheduler.TaskContext;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A source hands out its last slices to racing pullers: of four one-row slices two are taken
 * before the race; two pullers then pull twice each. Each remaining slice must go to exactly one
 * of them, with its own sequence number and its own row, and the other two pulls must see the end.
 */
@JCStressTest
@Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "each of the last two slices went to one puller, with its own row")
@Outcome(expect = FORBIDDEN, desc = "a slice lost, handed out twice, or with another slice's row")
@State
public class MorselSourceLastSlices {
    private static final Morsel FRAME = Fixtures.keyValue(4, i -> i);
    private static final long END = -1;

    private final MorselSource source = new MorselSource("frame", List.of(FRAME), 1);
    private final TaskContext ctx = Fixtures.context();
    private final long[] got = new long[4];

    /** Takes slices 0 and 1 before the race. */
    public MorselSourceLastSlices() {
        pull();
        pull();
    }

    /** The sequence of the pulled slice (checked to hold its own row), or {@link #END}. */
    private long pull() {
        try (Morsel m = source.next(ctx)) {
            if (m == null) {
                return source.isExhausted() ? END : -2;
            }
            long value = ((Int64Vector) m.column(1)).get(0);
            return m.rowCount() == 1 && value == m.sequence() ? m.sequence() : -3;
        }
    }

    @Actor
    public void first() {
        got[0] = pull();
        got[1] = pull();
    }

    @Actor
    public void second() {
        got[2] = pull();
        got[3] = pull();
    }

    @Arbiter
    public void check(II_Result r) {
        int slices = 0;
        int seen = 0;
        boolean valid = true;
        for (long g : got) {
            if (g >= 0) {
                slices++;
                seen |= 1 << g;
            } else if (g != END) {
                valid = false;
            }
        }
        r.r1 = slices;
        r.r2 = valid && seen == 0b1100 ? 1 : 0;
    }
}
