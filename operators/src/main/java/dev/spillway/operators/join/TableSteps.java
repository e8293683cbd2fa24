package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;

/**
 * The steps of the finalize units that join against one build table, a bounded morsel each:
 * stepping the cursor of the probe morsel being joined ({@link SpilledPairJoin}, and
 * {@link SkewChunkJoin} chunk after chunk), and emitting the table's build rows no probe row
 * matched, for RIGHT and FULL joins (those two and {@link UnmatchedBuild}). Holds the current
 * cursor and the output of the unmatched rows. Not thread-safe.
 */
final class TableSteps implements AutoCloseable {
    private final JoinSpec spec;
    private ProbeCursor cursor;
    private JoinOutput out;
    private int unmatchedRow;

    TableSteps(JoinSpec spec) {
        this.spec = spec;
    }

    /** Whether a probe morsel's cursor is being stepped. */
    boolean probing() {
        return cursor != null;
    }

    /** Steps {@code next} (taken over) from now on; no other cursor may be open. */
    void probe(ProbeCursor next) {
        cursor = next;
    }

    /** The next output morsel of the current cursor, which is closed once it is done. */
    Morsel probeStep(long sequence) {
        Morsel m = cursor.next(sequence);
        if (cursor.done()) {
            cursor.close();
            cursor = null;
        }
        return m;
    }

    /**
     * The next morsel of the build rows of {@code table} that no probe row matched (the table has
     * match flags), or null when all were emitted; the call after that starts on a new table.
     */
    Morsel unmatchedStep(BuildTable table, long sequence) {
        if (out == null) {
            out = spec.newOutput();
        }
        out.start(null);
        while (unmatchedRow < table.table().rows()) {
            unmatchedRow = table.emitUnmatched(unmatchedRow, out);
            if (out.rows() > 0) {
                return out.finish(sequence);
            }
        }
        out.clear();
        unmatchedRow = 0;
        return null;
    }

    /** Closes the current cursor, if any. */
    void closeCursor() {
        if (cursor != null) {
            cursor.close();
            cursor = null;
        }
    }

    /** Closes the current cursor and drops the unmatched rows not yet emitted. Idempotent. */
    @Override
    public void close() {
        closeCursor();
        if (out != null) {
            out.clear();
        }
    }
}
