package dev.spillway.scheduler;

import java.util.List;

/**
 * A snapshot of the pool's counters.
 *
 * @param workers       per worker
 * @param queriesRun    queries that ended (in any way)
 * @param queriesActive queries running now
 */
public record SchedulerStats(List<WorkerStats> workers, long queriesRun, int queriesActive) {
    /** Busy time summed over workers. */
    public long busyNanos() {
        long n = 0;
        for (WorkerStats w : workers) {
            n += w.busyNanos();
        }
        return n;
    }

    /** Idle time summed over workers. */
    public long idleNanos() {
        long n = 0;
        for (WorkerStats w : workers) {
            n += w.idleNanos();
        }
        return n;
    }
}
