package dev.spillway.expr;

import java.util.Locale;

/** The aggregate functions of {@code Expr.Agg}: what a group's rows fold into. */
public enum Aggregate {
    /** The number of rows, nulls included; takes no input. */
    ROW_COUNT(false),
    /** The sum of the non-null values. */
    SUM(true),
    /** The number of non-null values. */
    COUNT(true),
    /** The smallest non-null value. */
    MIN(true),
    /** The largest non-null value. */
    MAX(true),
    /** The arithmetic mean of the non-null values. */
    MEAN(true),
    /** The first value in input order, null or not. */
    FIRST(true),
    /** The last value in input order, null or not. */
    LAST(true),
    /** The number of distinct non-null values. */
    N_UNIQUE(true);

    private final boolean hasInput;

    Aggregate(boolean hasInput) {
        this.hasInput = hasInput;
    }

    /** Whether the function reads an input expression ({@link #ROW_COUNT} does not). */
    public boolean hasInput() {
        return hasInput;
    }

    /** The lower-case name used in plans and messages, e.g. {@code n_unique}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
