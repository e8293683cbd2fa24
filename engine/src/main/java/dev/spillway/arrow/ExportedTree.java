package dev.spillway.arrow;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One exported {@code ArrowSchema} or {@code ArrowArray}: the consumer's top-level struct, the
 * child structs and pointer arrays Spillway wrote into one C-heap block, and what keeps the
 * exported memory valid (a batch for arrays).
 *
 * <p>The C interface lets a consumer move a child out and release it on its own, after the
 * parent. So the tree counts one hold for the parent and one per child; the parent's release
 * drops the holds of the children still in place (their release pointer in the block is not
 * NULL), and the last drop frees the block and closes what it keeps. Drops may come from any
 * thread; the count's atomic decrement orders every reader's accesses before the free.
 */
final class ExportedTree {
    final long id;
    private final MemorySegment block;
    private final int children;
    private final long structSize;
    private final long releaseOffset;
    private final AutoCloseable keep;
    private final AtomicInteger holds;

    /**
     * @param block         the C-heap block; children's structs at its start, {@code structSize} each
     * @param releaseOffset offset of the release pointer within a struct
     * @param keep          closed when the last hold goes (null for none)
     */
    ExportedTree(long id, MemorySegment block, int children, long structSize, long releaseOffset, AutoCloseable keep) {
        this.id = id;
        this.block = block;
        this.children = children;
        this.structSize = structSize;
        this.releaseOffset = releaseOffset;
        this.keep = keep;
        this.holds = new AtomicInteger(1 + children);
    }

    /** The consumer released the top-level struct {@code parent}. */
    void releaseParent(MemorySegment parent) {
        for (int c = 0; c < children; c++) {
            long at = c * structSize + releaseOffset;
            if (block.get(CData.PTR, at) != 0) {
                block.set(CData.PTR, at, 0L);
                drop();
            }
        }
        parent.set(CData.PTR, releaseOffset, 0L);
        drop();
    }

    /** The consumer released a child it had moved out, now at {@code child}. */
    void releaseChild(MemorySegment child) {
        child.set(CData.PTR, releaseOffset, 0L);
        drop();
    }

    private void drop() {
        if (holds.decrementAndGet() != 0) {
            return;
        }
        ArrowExport.forget(id);
        CData.free(block);
        if (keep != null) {
            try {
                keep.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }
}
