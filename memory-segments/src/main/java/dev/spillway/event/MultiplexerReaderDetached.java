package dev.spillway.event;

/**
 * A reader of a multiplexer stopped early (a satisfied {@code head} downstream): its backlog was
 * released and later morsels skip it; when no reader is left the producer stops too.
 *
 * @param component     the reporting operator as in the log line, {@code multiplexer}
 * @param name          the multiplexer's name
 * @param consumer      the reader (0-based)
 * @param published     morsels the multiplexer had published when the reader left
 * @param droppedMorsels morsels waiting in its backlog (in memory or on disk) that it never read
 * @param droppedBytes  bytes of those morsels that were still in memory
 * @param readersLeft   readers still attached
 */
public record MultiplexerReaderDetached(
        String component, String name, int consumer, long published, long droppedMorsels, long droppedBytes, int readersLeft)
        implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": reader detached name=" + name + " consumer=" + consumer + " published=" + published
                + " dropped-morsels=" + droppedMorsels + " dropped-bytes=" + droppedBytes + " readers-left=" + readersLeft;
    }
}
