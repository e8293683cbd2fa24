package dev.spillway.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles native memory in fixed-size blocks (1 MiB by default) carved from long-lived shared
 * arenas, so no {@link Arena} is created or closed per morsel (closing a shared arena performs a
 * handshake with every thread).
 *
 * <p>Requests up to a block are served from power-of-two size classes (small pieces keep the
 * per-partition buffers of 256-way partitioned operators cheap), from {@value #MIN_PIECE}
 * bytes up to the block size; a block taken for a smaller class is cut into pieces of that class.
 * Free pieces wait on a lock-free LIFO per class (recently freed memory is warm in cache). Requests
 * larger than a block get a dedicated shared arena, closed when the buffer is freed.
 *
 * <p>Every buffer handed out is charged to a {@link MemoryBudget} (its rounded-up capacity) before
 * any memory is touched. Memory held by the pool but not handed out is not charged, and is returned
 * to the OS only when the pool closes. Pieces are not coalesced: a block once cut for a size class
 * stays in that class, so what the pool retains is bounded by the sum over size classes of each
 * class's high-water mark, plus one slab — not by the high-water mark of all classes together.
 * One pool usually serves a whole process.
 */
public final class BlockPool implements AutoCloseable {
    /** Default block size: 128k int64 values. */
    public static final long DEFAULT_BLOCK_SIZE = 1L << 20;
    /** Smallest piece handed out. */
    public static final long MIN_PIECE = 256;
    /** Alignment of every buffer (a cache line; pieces are also page-size multiples). */
    public static final long ALIGNMENT = 64;
    /** Largest request accepted (rounding it up to {@link #ALIGNMENT} stays positive). */
    public static final long MAX_ALLOCATION = Long.MAX_VALUE & -ALIGNMENT;
    private static final long SLAB_BYTES = 16L << 20;

    private final long blockSize;
    private final int classes;
    private final int blocksPerSlab;
    private final List<ConcurrentLinkedDeque<MemorySegment>> free;
    private final List<Arena> slabs = new ArrayList<>();
    private final Object slabLock = new Object();
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicLong retainedBytes = new AtomicLong();
    private final AtomicLong dedicatedBytes = new AtomicLong();
    private volatile boolean closed;

    /** A pool of {@link #DEFAULT_BLOCK_SIZE} blocks. */
    public BlockPool() {
        this(DEFAULT_BLOCK_SIZE);
    }

    /**
     * A pool of blocks of {@code blockSize} bytes.
     *
     * @throws IllegalArgumentException unless {@code blockSize} is a power of two of at least 4096
     */
    public BlockPool(long blockSize) {
        if (blockSize < 4096 || Long.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two >= 4096, got " + blockSize);
        }
        this.blockSize = blockSize;
        this.classes = Long.numberOfTrailingZeros(blockSize) - Long.numberOfTrailingZeros(MIN_PIECE) + 1;
        // Slabs of 16 MiB for the default block size; small-block pools (tests, constant folding) take 64 blocks.
        this.blocksPerSlab = (int) Math.max(1, Math.min(SLAB_BYTES / blockSize, 64));
        List<ConcurrentLinkedDeque<MemorySegment>> lists = new ArrayList<>(classes);
        for (int i = 0; i < classes; i++) {
            lists.add(new ConcurrentLinkedDeque<>());
        }
        this.free = List.copyOf(lists);
    }

    /** The block size. */
    public long blockSize() {
        return blockSize;
    }

    /**
     * Allocates at least {@code bytes} of uninitialised memory charged to {@code budget}, spilling
     * through the budget's memory manager if needed.
     *
     * @throws MemoryLimitExceededException when the budget cannot be met
     * @throws IllegalArgumentException     when {@code bytes} is negative or above {@link #MAX_ALLOCATION}
     * @throws IllegalStateException        when the pool or the budget is closed
     */
    public NativeBuffer allocate(MemoryBudget budget, long bytes) {
        ensureOpen();
        if (bytes > blockSize) {
            long size = capacityFor(bytes);
            budget.reserve(size);
            Arena arena = null;
            try {
                arena = Arena.ofShared();
                MemorySegment seg = arena.allocate(size, ALIGNMENT);
                dedicatedBytes.addAndGet(size);
                outstanding.incrementAndGet();
                return new NativeBuffer(seg, budget, this, -1, arena);
            } catch (RuntimeException | Error e) {
                if (arena != null) {
                    arena.close();
                }
                budget.release(size);
                throw e;
            }
        }
        int sizeClass = sizeClassOf(checkSize(bytes));
        long size = MIN_PIECE << sizeClass;
        budget.reserve(size);
        try {
            MemorySegment seg = take(sizeClass);
            outstanding.incrementAndGet();
            return new NativeBuffer(seg, budget, this, sizeClass, null);
        } catch (RuntimeException | Error e) {
            budget.release(size);
            throw e;
        }
    }

    /** Like {@link #allocate} but the memory is zero-filled. */
    public NativeBuffer allocateZeroed(MemoryBudget budget, long bytes) {
        NativeBuffer b = allocate(budget, bytes);
        b.segment().fill((byte) 0);
        return b;
    }

    /**
     * The capacity a request of {@code bytes} gets (what the budget is charged).
     *
     * @throws IllegalArgumentException when {@code bytes} is negative or too large to round up
     */
    public long capacityFor(long bytes) {
        checkSize(bytes);
        if (bytes > blockSize) {
            return (bytes + ALIGNMENT - 1) & -ALIGNMENT;
        }
        return MIN_PIECE << sizeClassOf(bytes);
    }

    private static long checkSize(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate a negative size: " + bytes);
        }
        // Rounding up to the alignment must not overflow into a negative size, which the budget
        // would report as a confusing "negative reservation".
        if (bytes > MAX_ALLOCATION) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes: the largest size is "
                    + MAX_ALLOCATION + " bytes");
        }
        return bytes;
    }

    private int sizeClassOf(long bytes) {
        if (bytes <= MIN_PIECE) {
            return 0;
        }
        return 64 - Long.numberOfLeadingZeros(bytes - 1) - Long.numberOfTrailingZeros(MIN_PIECE);
    }

    private MemorySegment take(int sizeClass) {
        MemorySegment seg = free.get(sizeClass).pollFirst();
        if (seg != null) {
            return seg;
        }
        int blockClass = classes - 1;
        MemorySegment block = sizeClass == blockClass ? null : free.get(blockClass).pollFirst();
        if (block == null) {
            block = newBlockFromSlab();
        }
        if (sizeClass == blockClass) {
            return block;
        }
        long piece = MIN_PIECE << sizeClass;
        for (long off = piece; off < blockSize; off += piece) {
            free.get(sizeClass).offerFirst(block.asSlice(off, piece));
        }
        return block.asSlice(0, piece);
    }

    private MemorySegment newBlockFromSlab() {
        synchronized (slabLock) {
            ensureOpen();
            MemorySegment b = free.get(classes - 1).pollFirst();
            if (b != null) {
                return b;
            }
            Arena arena = Arena.ofShared();
            MemorySegment slab;
            try {
                slab = arena.allocate(blockSize * blocksPerSlab, ALIGNMENT);
            } catch (RuntimeException | Error e) {
                arena.close();
                throw e;
            }
            slabs.add(arena);
            retainedBytes.addAndGet(slab.byteSize());
            for (int i = 1; i < blocksPerSlab; i++) {
                free.get(classes - 1).offerFirst(slab.asSlice(i * blockSize, blockSize));
            }
            return slab.asSlice(0, blockSize);
        }
    }

    void free(MemorySegment segment, int sizeClass, Arena dedicated) {
        outstanding.decrementAndGet();
        if (dedicated != null) {
            dedicatedBytes.addAndGet(-segment.byteSize());
            dedicated.close();
        } else if (!closed) {
            free.get(sizeClass).offerFirst(segment);
        }
    }

    /** Buffers handed out and not yet freed. */
    public long outstandingBuffers() {
        return outstanding.get();
    }

    /** Native bytes the pool holds in slabs (used or free), excluding dedicated arenas. */
    public long retainedBytes() {
        return retainedBytes.get();
    }

    /** Native bytes in dedicated arenas of large buffers currently in use. */
    public long dedicatedBytes() {
        return dedicatedBytes.get();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("block pool is closed");
        }
    }

    /**
     * Frees every slab. Idempotent.
     *
     * @throws IllegalStateException when buffers are still in use (their memory stays valid)
     */
    @Override
    public void close() {
        synchronized (slabLock) {
            if (closed) {
                return;
            }
            long left = outstanding.get();
            if (left != 0) {
                throw new IllegalStateException("block pool closed with " + left + " buffer(s) still in use");
            }
            closed = true;
            for (Arena a : slabs) {
                a.close();
            }
            slabs.clear();
            for (ConcurrentLinkedDeque<MemorySegment> q : free) {
                q.clear();
            }
            retainedBytes.set(0);
        }
    }
}
