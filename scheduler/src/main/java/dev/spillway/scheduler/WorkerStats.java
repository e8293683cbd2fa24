package dev.spillway.scheduler;

/**
 * A snapshot of one worker's counters.
 *
 * @param worker    the worker index
 * @param cpu       the CPU it is pinned to, or -1 when not pinned
 * @param tasks     tasks taken from the queue (morsels, retries, combines, finishes), counted
 *                  before they run
 * @param busyNanos time spent running tasks, added after each task
 * @param idleNanos time spent finding no work (spinning, yielding, parked)
 * @param sleeps    times it parked until woken by new work
 */
public record WorkerStats(int worker, int cpu, long tasks, long busyNanos, long idleNanos, long sleeps) {
}
