package dev.spillway.event;

/**
 * A multiplexer wrote a slow consumer's backlog to disk.
 *
 * @param component the reporting operator as in the log line, e.g. {@code equi-join}
 * @param consumer  the consumer index
 * @param bytes     bytes written (of morsels still held by other backlogs too)
 * @param rows      rows written
 * @param morsels   morsels written
 * @param files     runs written: 1, the stretch this eviction wrote (the backlogs share their store's files)
 * @param reason    why it spilled
 * @param name      the multiplexer's name
 */
public record BacklogSpilled(
        String component, int consumer, long bytes, long rows, int morsels, int files, String reason, String name) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": backlog spilled consumer=" + consumer + " bytes=" + bytes + " rows=" + rows
                + " morsels=" + morsels + " files=" + files + " reason=" + reason + " name=" + name;
    }
}
