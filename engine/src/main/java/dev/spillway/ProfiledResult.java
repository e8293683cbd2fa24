package dev.spillway;

/**
 * The result of {@link LazyFrame#profile()}: the collected frame (native memory; close it) and the
 * query's profile (plain Java objects; outlive the frame).
 *
 * @param frame   the result
 * @param profile what the run did
 */
public record ProfiledResult(DataFrame frame, QueryProfile profile) implements AutoCloseable {
    /** Closes the frame. */
    @Override
    public void close() {
        frame.close();
    }
}
