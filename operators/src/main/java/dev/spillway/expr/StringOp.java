package dev.spillway.expr;

/** String tests against a constant pattern. */
public enum StringOp {
    /** The string starts with the pattern. */
    STARTS_WITH,
    /** The string ends with the pattern. */
    ENDS_WITH,
    /** The string contains the pattern. */
    CONTAINS
}
