package dev.spillway;

/** Which engine runs a query. */
public enum Engine {
    /** The streaming engine: morsel-driven pipelines inside the memory limit, spilling when needed. */
    STREAMING,
    /**
     * The reference path: the same operators with no memory cap, for comparison and for
     * operations whose streaming form is not needed. Uses as much memory as the data takes.
     */
    IN_MEMORY
}
