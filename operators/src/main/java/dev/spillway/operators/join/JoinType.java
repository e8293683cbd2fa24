package dev.spillway.operators.join;

/** Equi-join types. The left input is the probe side, the right input the build side. */
public enum JoinType {
    /** Pairs of matching rows. */
    INNER(false, false),
    /** Every left row; right columns null where nothing matched. */
    LEFT(true, false),
    /** Every right row; left columns null where nothing matched (keys taken from the right). */
    RIGHT(false, true),
    /** Every row of both sides. */
    FULL(true, true),
    /** Left rows with at least one match, once each, left columns only. */
    SEMI(false, false),
    /** Left rows without a match, left columns only. */
    ANTI(false, false);

    private final boolean keepsUnmatchedLeft;
    private final boolean keepsUnmatchedRight;

    JoinType(boolean keepsUnmatchedLeft, boolean keepsUnmatchedRight) {
        this.keepsUnmatchedLeft = keepsUnmatchedLeft;
        this.keepsUnmatchedRight = keepsUnmatchedRight;
    }

    /** Whether left rows without a match appear in the result (with null right columns). */
    public boolean keepsUnmatchedLeft() {
        return keepsUnmatchedLeft;
    }

    /** Whether right rows without a match appear in the result (with null left columns). */
    public boolean keepsUnmatchedRight() {
        return keepsUnmatchedRight;
    }

    /** Whether the result has only the left columns. */
    public boolean leftColumnsOnly() {
        return this == SEMI || this == ANTI;
    }

    /** Whether matched pairs are emitted (not for SEMI and ANTI, which emit left rows). */
    public boolean emitsPairs() {
        return !leftColumnsOnly();
    }
}
