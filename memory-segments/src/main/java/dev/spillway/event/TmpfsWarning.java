package dev.spillway.event;

import java.nio.file.Path;

/**
 * The spill root is on tmpfs, so spilled data would go back into RAM.
 *
 * @param path   the spill root
 * @param remedy what to set, e.g. {@code SPILLWAY_TEMP_DIR}
 */
public record TmpfsWarning(Path path, String remedy) implements SpillwayEvent {
    /** Always {@code spiller}. */
    @Override
    public String component() {
        return "spiller";
    }

    @Override
    public String line() {
        return "[spillway] spiller: tmpfs-warning path=" + path + " spilled data would go back into RAM; set " + remedy
                + " to a directory on a disk";
    }
}
