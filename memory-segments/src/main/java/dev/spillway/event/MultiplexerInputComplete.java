package dev.spillway.event;

/**
 * A multiplexer published its whole input.
 *
 * @param component    the reporting operator as in the log line, e.g. {@code equi-join}
 * @param name         the multiplexer's name
 * @param consumers    its consumers
 * @param morsels      morsels published
 * @param rows         rows published
 * @param spilledBytes backlog bytes written to disk
 * @param spillFiles   backlog runs spilled (one per eviction; the runs share their store's files)
 */
public record MultiplexerInputComplete(
        String component, String name, int consumers, long morsels, long rows, long spilledBytes, long spillFiles) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": input complete name=" + name + " consumers=" + consumers + " morsels=" + morsels
                + " rows=" + rows + " spilled-bytes=" + spilledBytes + " spill-files=" + spillFiles;
    }
}
