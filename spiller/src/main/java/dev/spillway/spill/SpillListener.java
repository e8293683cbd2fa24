package dev.spillway.spill;

import java.nio.file.Path;

/** Observes spill events (verbose logs, profiles, JFR). Called on the spilling thread; keep it cheap. */
public interface SpillListener {
    /** A spill file was created. */
    default void fileCreated(Path file, String label) {
    }

    /** A block was written. */
    default void blockWritten(Path file, int partition, int rows, long rawBytes, long storedBytes, long nanos) {
    }

    /** A block was read back. */
    default void blockRead(Path file, int partition, int rows, long storedBytes, long rawBytes, long nanos) {
    }

    /** A spill file was deleted. */
    default void fileDeleted(Path file, long bytes) {
    }
}
