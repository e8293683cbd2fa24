package dev.spillway.event;

/**
 * Pinning a worker to its CPU failed; it runs unpinned.
 *
 * @param worker the worker index
 * @param cpu    the CPU
 */
public record CpuPinningFailed(int worker, int cpu) implements SpillwayEvent {
    /** Always {@code scheduler}. */
    @Override
    public String component() {
        return "scheduler";
    }

    @Override
    public String line() {
        return "[spillway] scheduler: cpu-pinning-failed worker=" + worker + " cpu=" + cpu + " (runs unpinned)";
    }
}
