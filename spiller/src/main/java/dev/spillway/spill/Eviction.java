package dev.spillway.spill;

import java.nio.file.Path;

/**
 * What one eviction of a {@link RowStore} unit wrote, reported to the owner's
 * {@link StoreBuilder#onEvict listener} so that it can emit its own event and count its own stats.
 *
 * @param unit      the partition or stream evicted
 * @param morsels   in-memory morsels written, one block each
 * @param rows      their rows
 * @param bytes     their bytes
 * @param file      the file the last block went to
 * @param requested true when the owner asked ({@link RowStore#evict(int)}, {@link RowStore#evictLargest()}),
 *                  false when the memory manager did ({@link RowStore#spill})
 */
public record Eviction(int unit, int morsels, long rows, long bytes, Path file, boolean requested) {
}
