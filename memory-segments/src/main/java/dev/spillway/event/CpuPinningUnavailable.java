package dev.spillway.event;

/**
 * Workers cannot be pinned to CPUs on this platform and run unpinned.
 *
 * @param os the operating system name
 */
public record CpuPinningUnavailable(String os) implements SpillwayEvent {
    /** Always {@code scheduler}. */
    @Override
    public String component() {
        return "scheduler";
    }

    @Override
    public String line() {
        return "[spillway] scheduler: cpu-pinning-unavailable os=" + os
                + " (needs Linux and --enable-native-access; workers run unpinned)";
    }
}
