package dev.spillway.event;

import java.nio.file.Path;

/**
 * A sort wrote a sorted run to disk.
 *
 * @param component the reporting operator as in the log line, e.g. {@code equi-join}
 * @param rows      rows of the run
 * @param bytes     bytes of memory freed
 * @param file      the run's spill file
 * @param run       the run id
 */
public record SortRunSpilled(String component, long rows, long bytes, Path file, long run) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": run spilled rows=" + rows + " bytes=" + bytes + " file=" + file + " run=" + run;
    }
}
