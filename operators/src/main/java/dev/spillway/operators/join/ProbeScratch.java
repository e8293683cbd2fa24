package dev.spillway.operators.join;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A probe cursor's heap working set (the batch arrays and the output that gathers its results,
 * whose row references are per thread), kept in a free list and reused by the next cursor, so
 * that probing allocates next to nothing per morsel.
 */
final class ProbeScratch {
    /** Probe rows walked together, so that their cache misses overlap. */
    static final int PROBE_BATCH = 1024;

    final int[] row = new int[PROBE_BATCH];
    final long[] hash = new long[PROBE_BATCH];
    final long[] key = new long[PROBE_BATCH];
    /** Each batch row's partition (an index into the cursor's tables), not the table itself: see ProbeCursor. */
    final int[] part = new int[PROBE_BATCH];
    final int[] chain = new int[PROBE_BATCH];
    final boolean[] hit = new boolean[PROBE_BATCH];
    final JoinOutput output;

    private ProbeScratch(JoinSpec spec) {
        this.output = spec.newOutput();
    }

    /** The free list of one join's scratches. Thread-safe. */
    static final class FreeList {
        private final JoinSpec spec;
        private final ConcurrentLinkedQueue<ProbeScratch> free = new ConcurrentLinkedQueue<>();

        FreeList(JoinSpec spec) {
            this.spec = spec;
        }

        /** A scratch from the list, or a new one. */
        ProbeScratch take() {
            ProbeScratch s = free.poll();
            return s != null ? s : new ProbeScratch(spec);
        }

        /** Returns a scratch, clearing its output's references to rows. */
        void give(ProbeScratch s) {
            s.output.clear();
            free.offer(s);
        }
    }
}
