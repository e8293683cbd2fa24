package dev.spillway.memory;

import java.lang.foreign.MemorySegment;

/**
 * Drops the resident pages of a consumed range of a memory-mapped file from the process, so that
 * a scan or a spill read-back leaves no trail of file pages in its RSS. The kernel's page cache
 * keeps the data (a re-read costs a minor fault, not I/O). Pages are whole: the range is widened
 * to the page boundaries around it, which at worst drops a page a neighbouring reader touches
 * next, and that page simply faults back in. Segments that are not mapped are left alone.
 */
public final class MappedPages {
    private MappedPages() {
    }

    /** Releases the pages behind bytes {@code from .. to} of {@code mapped}. */
    public static void release(MemorySegment mapped, long from, long to) {
        if (to <= from || !mapped.isMapped() || !mapped.scope().isAlive()) {
            return;
        }
        mapped.asSlice(from, to - from).unload();
    }

    /** Releases every page of {@code mapped}. */
    public static void release(MemorySegment mapped) {
        release(mapped, 0, mapped.byteSize());
    }
}
