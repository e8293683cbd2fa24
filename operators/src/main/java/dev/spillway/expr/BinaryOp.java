package dev.spillway.expr;

/** Binary operators of expressions. */
public enum BinaryOp {
    /** Addition. */
    PLUS,
    /** Subtraction. */
    MINUS,
    /** Multiplication. */
    TIMES,
    /** Division; always float64. */
    DIV,
    /** Remainder; integer remainder by zero is null. */
    MOD,
    /** Equality. */
    EQ,
    /** Inequality. */
    NE,
    /** Less than. */
    LT,
    /** Less than or equal. */
    LE,
    /** Greater than. */
    GT,
    /** Greater than or equal. */
    GE,
    /** Three-valued AND. */
    AND,
    /** Three-valued OR. */
    OR;

    /** Whether the operator is arithmetic. */
    public boolean isArithmetic() {
        return this == PLUS || this == MINUS || this == TIMES || this == DIV || this == MOD;
    }

    /**
     * For a comparison, whether it holds given {@code c}, the sign of comparing the left value with
     * the right one ({@link Comparable#compareTo} convention).
     */
    public boolean holds(int c) {
        return switch (this) {
            case EQ -> c == 0;
            case NE -> c != 0;
            case LT -> c < 0;
            case LE -> c <= 0;
            case GT -> c > 0;
            case GE -> c >= 0;
            default -> throw new IllegalStateException(this + " is not a comparison");
        };
    }

    /** Whether the operator is a comparison. */
    public boolean isComparison() {
        return this == EQ || this == NE || this == LT || this == LE || this == GT || this == GE;
    }

    /** The operator's symbol, e.g. {@code +}. */
    public String symbol() {
        return switch (this) {
            case PLUS -> "+";
            case MINUS -> "-";
            case TIMES -> "*";
            case DIV -> "/";
            case MOD -> "%";
            case EQ -> "==";
            case NE -> "!=";
            case LT -> "<";
            case LE -> "<=";
            case GT -> ">";
            case GE -> ">=";
            case AND -> "&";
            case OR -> "|";
        };
    }
}
