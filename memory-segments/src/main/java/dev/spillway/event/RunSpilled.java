package dev.spillway.event;

import java.nio.file.Path;

/**
 * A sorted join input's buffered run was written to disk (merge join, as-of join).
 *
 * @param component the reporting operator as in the log line, e.g. {@code equi-join}
 * @param rows      rows of the run
 * @param file      the spill file
 * @param reason    why it spilled; the line shows its first 120 characters
 */
public record RunSpilled(String component, long rows, Path file, String reason) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": run spilled rows=" + rows + " file=" + file + " reason="
                + (reason.length() > 120 ? reason.substring(0, 120) + "..." : reason);
    }
}
