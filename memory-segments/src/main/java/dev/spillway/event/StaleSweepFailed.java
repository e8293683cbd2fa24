package dev.spillway.event;

import java.nio.file.Path;

/**
 * Removing spill directories left by a dead process failed; spilling still works.
 *
 * @param path  the spill root
 * @param error the error
 */
public record StaleSweepFailed(Path path, String error) implements SpillwayEvent {
    /** Always {@code spiller}. */
    @Override
    public String component() {
        return "spiller";
    }

    @Override
    public String line() {
        return "[spillway] spiller: stale-sweep-failed path=" + path + " error=" + error;
    }
}
