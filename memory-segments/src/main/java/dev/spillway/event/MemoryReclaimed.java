package dev.spillway.event;

/**
 * The memory manager made an operator spill to free memory for a reservation that did not fit.
 *
 * @param query     the query
 * @param party     the operator that spilled (spaces print as dashes)
 * @param requested bytes asked for
 * @param freed     bytes freed
 * @param reserved  bytes the query holds after
 * @param cap       the query's cap
 */
public record MemoryReclaimed(
        String query, String party, long requested, long freed, long reserved, long cap) implements SpillwayEvent {
    /** Always {@code memory-manager}. */
    @Override
    public String component() {
        return "memory-manager";
    }

    @Override
    public String line() {
        return "[spillway] memory-manager: reclaim query=" + query + " party=" + party.replace(' ', '-') + " requested="
                + requested + " freed=" + freed + " reserved=" + reserved + " cap=" + cap;
    }
}
