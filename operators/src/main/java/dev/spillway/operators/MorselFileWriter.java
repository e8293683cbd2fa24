package dev.spillway.operators;

import dev.spillway.memory.Morsel;

/**
 * The writer of one output file in some format (CSV, Parquet, Arrow IPC), fed morsels in order:
 * what {@link OrderedFileSink} and {@link PartitionedFileSink} drive. Not thread-safe.
 */
public interface MorselFileWriter {
    /** Writes a morsel, taking ownership of it. */
    void write(Morsel m);

    /** Rows written (or buffered) so far. */
    long rows();

    /** Native bytes buffered and not yet written (a pending row group). */
    default long bufferedBytes() {
        return 0;
    }

    /** Writes what is buffered (ends a row group early). */
    default void flush() {
    }

    /**
     * Completes the file (footer) and closes it; with {@code sync} the file is forced to disk
     * first (a partitioned sink writing thousands of files skips it).
     */
    void complete(boolean sync);

    /** Closes the file without completing it. Idempotent, also after {@link #complete}. */
    void abort();
}
