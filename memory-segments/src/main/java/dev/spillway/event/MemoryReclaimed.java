package dev.spillway.event;

/**
 * The memory arbiter made an operator spill to free memory for a reservation that did not fit.
 * The operator may belong to another query than the one that needed the memory.
 *
 * @param query     the query whose operator spilled
 * @param party     the operator that spilled (spaces print as dashes)
 * @param askedBy   the query whose reservation needed the memory ({@code query} itself, another
 *                  query, or {@code -} for memory outside any query)
 * @param requested bytes asked for
 * @param freed     bytes freed
 * @param reserved  bytes {@code query} holds after
 * @param cap       the query's cap
 */
public record MemoryReclaimed(
        String query, String party, String askedBy, long requested, long freed, long reserved, long cap)
        implements SpillwayEvent {
    /** Always {@code memory-manager}. */
    @Override
    public String component() {
        return "memory-manager";
    }

    @Override
    public String line() {
        return "[spillway] memory-manager: reclaim query=" + query + " party=" + party.replace(' ', '-') + " asked-by="
                + askedBy + " requested=" + requested + " freed=" + freed + " reserved=" + reserved + " cap=" + cap;
    }
}
