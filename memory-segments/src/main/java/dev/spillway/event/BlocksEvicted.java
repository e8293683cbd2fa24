package dev.spillway.event;

import java.nio.file.Path;

/**
 * A nested-loop join wrote build blocks to disk.
 *
 * @param component     the reporting operator as in the log line, e.g. {@code equi-join}
 * @param blocks        blocks written
 * @param bytes         bytes of memory freed
 * @param spilledBlocks blocks on disk after
 * @param totalBlocks   blocks in all
 * @param file          the spill file
 */
public record BlocksEvicted(
        String component, int blocks, long bytes, long spilledBlocks, int totalBlocks, Path file) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": evicting blocks=" + blocks + " bytes=" + bytes + " spilled-blocks=" + spilledBlocks
                + "/" + totalBlocks + " file=" + file;
    }
}
