package dev.spillway.event;

/**
 * A query that was refused memory runs again: {@link #ALONE alone} when other queries ran beside
 * it (the engine waited until no other query was running and lets none start until it is done),
 * or {@link #SPILLING_EVERYTHING alone with every spillable operator spilling} when it was
 * refused running alone.
 *
 * @param query  the name of the attempt that failed
 * @param how    {@link #ALONE} or {@link #SPILLING_EVERYTHING}
 * @param reason the refusal's message, first line
 */
public record QueryRetried(String query, String how, String reason) implements SpillwayEvent {
    /** Retried with no other query running. */
    public static final String ALONE = "alone";
    /** Retried alone, every spillable operator writing all of its partitions to disk. */
    public static final String SPILLING_EVERYTHING = "spilling-everything";

    /** Always {@code engine}. */
    @Override
    public String component() {
        return "engine";
    }

    @Override
    public String line() {
        return "[spillway] engine: query-retried name=" + query + " how=" + how + " reason=\"" + reason + "\"";
    }
}
