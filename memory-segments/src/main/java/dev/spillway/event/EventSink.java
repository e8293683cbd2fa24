package dev.spillway.event;

/**
 * Receives events. Called on the thread where the event happened (often a worker in the middle of
 * a spill), so an implementation must be cheap and thread-safe.
 */
@FunctionalInterface
public interface EventSink {
    /** A sink that drops every event. */
    EventSink NONE = e -> { };

    /** Receives one event. */
    void accept(SpillwayEvent event);
}
