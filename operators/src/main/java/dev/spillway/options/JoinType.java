package dev.spillway.options;

/**
 * Equi-join types, named from the user's view: LEFT keeps unmatched rows of the left input. The
 * operator itself always probes with its first input and builds its second; the planner swaps the
 * inputs (and flips LEFT and RIGHT) when it builds the left one.
 */
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

    /** The same join with the inputs swapped: LEFT becomes RIGHT and back; not for SEMI and ANTI. */
    public JoinType flipped() {
        return switch (this) {
            case LEFT -> RIGHT;
            case RIGHT -> LEFT;
            case INNER, FULL -> this;
            case SEMI, ANTI -> throw new IllegalStateException(this + " joins cannot swap their inputs");
        };
    }

    /** Whether the inputs can be swapped (every type but SEMI and ANTI). */
    public boolean canSwapInputs() {
        return !leftColumnsOnly();
    }

    /** Whether matched pairs are emitted (not for SEMI and ANTI, which emit left rows). */
    public boolean emitsPairs() {
        return !leftColumnsOnly();
    }
}
