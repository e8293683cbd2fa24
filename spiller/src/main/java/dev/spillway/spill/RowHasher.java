package dev.spillway.spill;

import dev.spillway.memory.Morsel;

import java.lang.foreign.MemorySegment;

/**
 * Hashes the rows of a morsel for a {@link PartitionedStore}: the store partitions rows on the
 * hash bits and re-hashes rows it reads back when it re-partitions.
 */
@FunctionalInterface
public interface RowHasher {
    /** Writes the 64-bit hash of every row of {@code m} into {@code hashesOut}, one native long per row. */
    void hash(Morsel m, MemorySegment hashesOut);
}
