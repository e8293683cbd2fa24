package dev.spillway.event;

/**
 * A query was submitted to the workers.
 *
 * @param query     the query name
 * @param pipelines its pipelines
 */
public record QueryStarted(String query, int pipelines) implements SpillwayEvent {
    /** Always {@code engine}. */
    @Override
    public String component() {
        return "engine";
    }

    @Override
    public String line() {
        return "[spillway] engine: query-start name=" + query + " pipelines=" + pipelines;
    }
}
