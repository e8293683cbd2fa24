package dev.spillway.operators.merge;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The rows of one left morsel of an {@link AsofJoin}, in order, with their answers: per row a
 * state ({@link #SETTLED}, {@link #WAITING} for a right row of its group, or {@link #HAS_FORWARD}
 * candidate), the matched right row and the backward candidate, as refs of {@link AsofRightRows}.
 * When rows may wait (FORWARD, NEAREST) each row also has a link of its group's list of waiting
 * rows ({@link AsofWaiting}): the next waiting row of its group (a left ref, {@link #ref}) and its
 * group id. The answers grow with the morsel's rows, so they live in one native buffer charged to
 * the join's budget: {@code match} (8 bytes a row), {@code back} (8), then {@code next} (8) and
 * {@code group} (4) when rows may wait, then {@code state} (1). Rows {@code [emitted, added)} are
 * in the join's hands; the join owns the chunk and closes it.
 *
 * <p>A chunk whose rows wait may be <i>spilled</i>: its rows go to a stream of the join's spill
 * store and {@link #view} is null until the join reads them back to emit them. What settles the
 * rows stays in memory: the answers and a view of the {@code on} column ({@link #on}), which is
 * all the join compares waiting rows by.
 */
final class AsofLeftChunk implements AutoCloseable {
    static final byte SETTLED = 0;
    static final byte WAITING = 1;
    static final byte HAS_FORWARD = 2;
    /** Native bytes of the answers of one row. */
    static final long BYTES_PER_ROW = 2L * Long.BYTES + 1;
    /** Native bytes of the waiting-list link of one row. */
    static final long LINK_BYTES_PER_ROW = Long.BYTES + Integer.BYTES;
    private static final ValueLayout.OfLong REF = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    /** The rows (a view of the source), or null while they are spilled. */
    Morsel view;
    /** The left {@code on} column: what settling a row compares, kept while the rows are spilled. */
    ColumnVector on;
    final Morsel source;
    /** The chunk's number: chunks of one join are numbered 0, 1, ... in left order. */
    final long seq;
    private final NativeBuffer answers;
    private final MemorySegment segment;
    private final long backAt;
    private final long nextAt;
    private final long groupAt;
    private final long stateAt;
    long held;
    /** Bytes of {@link #view} counted in the join's spillable bytes (held, in memory). */
    long spillable;
    /** The stream of the join's spill store that holds the rows while {@link #view} is null, or -1. */
    int stream = -1;
    int added;
    int emitted;

    /**
     * Chunk {@code seq} of {@code source} (not taken over: the chunk keeps a view), its answers
     * charged to {@code budget}, with waiting-list links when {@code links}; column
     * {@code onColumn} is the {@code on} column.
     */
    AsofLeftChunk(Morsel source, int onColumn, long seq, boolean links, BlockPool pool, MemoryBudget budget) {
        this.source = source;
        this.seq = seq;
        int n = source.rowCount();
        long perRow = BYTES_PER_ROW + (links ? LINK_BYTES_PER_ROW : 0);
        this.answers = pool.allocate(budget, Math.max(1, perRow * n));
        this.segment = answers.segment();
        this.backAt = (long) Long.BYTES * n;
        this.nextAt = 2L * Long.BYTES * n;
        this.groupAt = nextAt + (links ? (long) Long.BYTES * n : 0);
        this.stateAt = groupAt + (links ? (long) Integer.BYTES * n : 0);
        this.view = source.slice(0, n);
        ColumnVector o;
        try {
            o = source.column(onColumn).slice(0, n);
        } catch (RuntimeException e) {
            view.close();
            answers.close();
            throw e;
        }
        this.on = o;
    }

    /** The left ref of row {@code row} of chunk {@code seq}. */
    static long ref(long seq, int row) {
        return seq << 32 | row;
    }

    /** The chunk number of left ref {@code ref}. */
    static long seqOf(long ref) {
        return ref >>> 32;
    }

    /** The row of left ref {@code ref}. */
    static int rowOf(long ref) {
        return (int) ref;
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

    /** The next waiting row of {@code row}'s group (a left ref, or {@link AsofRightRows#NONE}). */
    long next(int row) {
        return segment.get(REF, nextAt + (long) Long.BYTES * row);
    }

    void setNext(int row, long ref) {
        segment.set(REF, nextAt + (long) Long.BYTES * row, ref);
    }

    /** The group of waiting row {@code row}. */
    int group(int row) {
        return segment.get(INT, groupAt + (long) Integer.BYTES * row);
    }

    void setGroup(int row, int group) {
        segment.set(INT, groupAt + (long) Integer.BYTES * row, group);
    }

    /** The state of {@code row}. */
    byte state(int row) {
        return segment.get(ValueLayout.JAVA_BYTE, stateAt + row);
    }

    void setState(int row, byte state) {
        segment.set(ValueLayout.JAVA_BYTE, stateAt + row, state);
    }

    /**
     * Replaces the view of the {@code on} column by a copy of just these rows, charged to
     * {@code budget}: a view keeps the whole buffer it shares with other morsels alive (a scan's
     * batch), a copy only this chunk's values. Keeps the view when the budget refuses the copy.
     */
    void compactOn(BlockPool pool, MemoryBudget budget) {
        int n = on.length();
        ColumnVector copy;
        try (ColumnBuilder b = ColumnBuilder.create(on, pool, budget, Math.max(1, n))) {
            for (int r = 0; r < n; r++) {
                b.appendFrom(on, r);
            }
            copy = b.build();
        } catch (MemoryLimitExceededException e) {
            return;
        }
        ColumnVector old = on;
        on = copy;
        old.close();
    }

    /** Whether the rows are in the spill store (not in {@link #view}). */
    boolean spilled() {
        return view == null;
    }

    /** Frees the view, the {@code on} column and the answers (a spilled stream is the join's to release). Not idempotent: the join closes each chunk once. */
    @Override
    public void close() {
        try {
            if (view != null) {
                view.close();
            }
            on.close();
        } finally {
            answers.close();
        }
    }
}
