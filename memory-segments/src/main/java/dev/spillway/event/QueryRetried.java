package dev.spillway.event;

/**
 * A query that was refused memory while other queries ran beside it runs again, alone: the
 * engine waited until no other query was running and lets none start until it is done.
 *
 * @param query  the name of the attempt that failed
 * @param reason the refusal's message, first line
 */
public record QueryRetried(String query, String reason) implements SpillwayEvent {
    /** Always {@code engine}. */
    @Override
    public String component() {
        return "engine";
    }

    @Override
    public String line() {
        return "[spillway] engine: query-retried-alone name=" + query + " reason=\"" + reason + "\"";
    }
}
