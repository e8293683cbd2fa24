package dev.spillway.options;

/** How an equi-join is executed. */
public enum JoinStrategy {
    /**
     * A merge join when both inputs are known to be sorted ascending on the join keys (by a
     * {@code sort} or a {@code setSorted} declaration, preserved through filters, selections
     * and slices) and null keys do not match; a hash join otherwise.
     */
    AUTO,
    /** Always the hash join (one side hashed, spilling partitions under pressure). */
    HASH,
    /**
     * Always the streaming merge join; planning fails when an input is not known to be sorted
     * on the join keys, or with {@code nullsEqual} or an explicit build side.
     */
    MERGE
}
