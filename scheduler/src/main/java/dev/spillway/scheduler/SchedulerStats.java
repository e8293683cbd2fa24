package dev.spillway.scheduler;

import java.util.List;

/**
 * A snapshot of a worker pool's counters.
 *
 * @param workers       per worker, by index
 * @param queriesRun    queries that ended (in any way)
 * @param queriesActive queries running now
 * @param queuedTasks   tasks waiting in the pool's queue now
 */
public record SchedulerStats(List<WorkerStats> workers, long queriesRun, int queriesActive, int queuedTasks) {
    /** Copies the list. */
    public SchedulerStats {
        workers = List.copyOf(workers);
    }

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

    /** Tasks run, summed over workers. */
    public long tasks() {
        long n = 0;
        for (WorkerStats w : workers) {
            n += w.tasks();
        }
        return n;
    }
}
