package dev.spillway.options;

/**
 * Which input of an equi-join is hashed (the build side, held in memory or spilled by partition);
 * the other input streams past it (the probe side).
 */
public enum BuildSide {
    /**
     * The smaller input by the planner's size estimate (files' sizes, in-memory frames' bytes,
     * ranges' rows, scaled down by filters and projections); the right input when the estimate
     * cannot tell or is close. SEMI and ANTI joins always build the right input.
     */
    AUTO,
    /** The left input (not for SEMI and ANTI joins). */
    LEFT,
    /** The right input. */
    RIGHT
}
