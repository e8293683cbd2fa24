package dev.spillway.operators.merge;

import dev.spillway.memory.Morsel;

/**
 * The rows of one left morsel of an {@link AsofJoin}, in order, with their answers: per row a
 * state ({@link #SETTLED}, {@link #WAITING} for a right row of its group, or {@link #HAS_FORWARD}
 * candidate), the matched right row and the backward candidate, as refs of {@link AsofRightRows}.
 * Rows {@code [emitted, added)} are in the join's hands; the join owns the view.
 */
final class AsofLeftChunk {
    static final byte SETTLED = 0;
    static final byte WAITING = 1;
    static final byte HAS_FORWARD = 2;

    final Morsel view;
    final long[] match;
    final long[] back;
    final byte[] state;
    final Morsel source;
    long held;
    int added;
    int emitted;

    AsofLeftChunk(Morsel source) {
        this.source = source;
        this.view = source.slice(0, source.rowCount());
        int n = source.rowCount();
        this.match = new long[n];
        this.back = new long[n];
        this.state = new byte[n];
    }

    /** A left row waiting for a right row of its group. */
    record Waiting(AsofLeftChunk chunk, int row) {
    }
}
