package dev.spillway.expr;

/** Unary operators and functions of expressions. */
public enum UnaryOp {
    /** Three-valued NOT. */
    NOT,
    /** Arithmetic negation. */
    NEGATE,
    /** Whether the value is null (never null). */
    IS_NULL,
    /** Whether the value is not null (never null). */
    IS_NOT_NULL,
    /** String length in code points. */
    CHAR_LENGTH,
    /** Year of a date or timestamp. */
    YEAR,
    /** Month (1-12) of a date or timestamp. */
    MONTH,
    /** Day of month (1-31) of a date or timestamp. */
    DAY,
    /** Hour (0-23) of a timestamp, in its time zone. */
    HOUR,
    /** Minute (0-59) of a timestamp. */
    MINUTE,
    /** Whole second (0-59) of a timestamp. */
    SECOND,
    /** Absolute value of a number (integers wrap at their minimum, as {@link Math#abs(long)}). */
    ABS
}
