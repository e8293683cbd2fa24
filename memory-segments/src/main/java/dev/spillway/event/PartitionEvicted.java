package dev.spillway.event;

import java.nio.file.Path;

/**
 * A partition of an operator's state was written to disk and its memory freed.
 *
 * @param component the operator, e.g. {@code equi-join} or {@code group-by}
 * @param partition the partition number
 * @param bytes     bytes of memory freed
 * @param file      the spill file the rows went to
 */
public record PartitionEvicted(String component, int partition, long bytes, Path file) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": evicting partition=" + partition + " bytes=" + bytes + " file=" + file;
    }
}
