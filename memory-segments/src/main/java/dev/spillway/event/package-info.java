/**
 * Typed events: a sealed hierarchy of records ({@link dev.spillway.event.SpillwayEvent}) that
 * operators, the spiller and the engine report through an {@link dev.spillway.event.EventSink}.
 * The verbose log prints each event's {@code line()}; profiles, reports and tests read the records.
 */
package dev.spillway.event;
