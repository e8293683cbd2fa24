/**
 * JDK Flight Recorder events for spilling, memory pressure and query completion, so that a
 * recording opened in JDK Mission Control shows when and how much a query spilled.
 *
 * <p>The events live in the engine module because it is the one place that sees the spiller
 * (through {@link dev.spillway.spill.SpillListener}) and the memory manager (through its
 * pressure listener) at once; the lower modules stay free of JFR. An event that is not enabled in
 * the running recording costs one allocation that escape analysis usually removes, and
 * {@code shouldCommit()} short-circuits before any field is set.
 */
package dev.spillway.jfr;
