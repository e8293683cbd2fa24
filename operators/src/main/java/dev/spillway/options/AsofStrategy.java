package dev.spillway.options;

/** Which right row an AsOf join picks for a left row whose {@code on} value is {@code t}. */
public enum AsofStrategy {
    /** The last right row with {@code on <= t} (the latest at or before {@code t}). */
    BACKWARD,
    /** The first right row with {@code on >= t} (the earliest at or after {@code t}). */
    FORWARD,
    /**
     * The right row whose {@code on} is closest to {@code t}; on a tie, or among equal values,
     * the last such row (so a tie between an earlier and a later value picks the later).
     */
    NEAREST
}
