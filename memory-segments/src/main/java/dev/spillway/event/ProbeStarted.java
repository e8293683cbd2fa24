package dev.spillway.event;

/**
 * A hash join starts probing.
 *
 * @param component          the reporting operator as in the log line, e.g. {@code equi-join}
 * @param joinType           the join type, e.g. {@code INNER}
 * @param inMemoryPartitions build partitions still in memory
 */
public record ProbeStarted(String component, String joinType, int inMemoryPartitions) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": probe start type=" + joinType + " in-memory-partitions=" + inMemoryPartitions;
    }
}
