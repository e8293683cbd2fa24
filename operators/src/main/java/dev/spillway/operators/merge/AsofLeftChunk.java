package dev.spillway.operators.merge;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The rows of one left morsel of an {@link AsofJoin}, in order, with their answers: per row a
 * state ({@link #SETTLED}, {@link #WAITING} for a right row of its group, or {@link #HAS_FORWARD}
 * candidate), the matched right row and the backward candidate, as refs of {@link AsofRightRows}.
 * The answers grow with the morsel's rows, so they live in one native buffer charged to the
 * join's budget: {@code match} (8 bytes a row), then {@code back} (8), then {@code state} (1).
 * Rows {@code [emitted, added)} are in the join's hands; the join owns the chunk and closes it.
 */
final class AsofLeftChunk implements AutoCloseable {
    static final byte SETTLED = 0;
    static final byte WAITING = 1;
    static final byte HAS_FORWARD = 2;
    /** Native bytes of the answers of one row. */
    static final long BYTES_PER_ROW = 2L * Long.BYTES + 1;
    private static final ValueLayout.OfLong REF = ValueLayout.JAVA_LONG_UNALIGNED;

    final Morsel view;
    final Morsel source;
    private final NativeBuffer answers;
    private final MemorySegment segment;
    private final long backAt;
    private final long stateAt;
    long held;
    int added;
    int emitted;

    /** The chunk of {@code source} (not taken over: the chunk keeps a view), its answers charged to {@code budget}. */
    AsofLeftChunk(Morsel source, BlockPool pool, MemoryBudget budget) {
        this.source = source;
        int n = source.rowCount();
        this.answers = pool.allocate(budget, Math.max(1, BYTES_PER_ROW * n));
        this.segment = answers.segment();
        this.backAt = (long) Long.BYTES * n;
        this.stateAt = 2L * Long.BYTES * n;
        this.view = source.slice(0, n);
    }

    /** Native bytes of the answers (charged to the join's budget). */
    long answerBytes() {
        return answers.capacity();
    }

    /** The matched right row of {@code row}. */
    long match(int row) {
        return segment.getAtIndex(REF, row);
    }

    void setMatch(int row, long ref) {
        segment.setAtIndex(REF, row, ref);
    }

    /** The backward candidate of {@code row}. */
    long back(int row) {
        return segment.get(REF, backAt + (long) Long.BYTES * row);
    }

    void setBack(int row, long ref) {
        segment.set(REF, backAt + (long) Long.BYTES * row, ref);
    }

    /** The state of {@code row}. */
    byte state(int row) {
        return segment.get(ValueLayout.JAVA_BYTE, stateAt + row);
    }

    void setState(int row, byte state) {
        segment.set(ValueLayout.JAVA_BYTE, stateAt + row, state);
    }

    /** Frees the view and the answers. Not idempotent: the join closes each chunk once. */
    @Override
    public void close() {
        try {
            view.close();
        } finally {
            answers.close();
        }
    }

    /** A left row waiting for a right row of its group. */
    record Waiting(AsofLeftChunk chunk, int row) {
    }
}
