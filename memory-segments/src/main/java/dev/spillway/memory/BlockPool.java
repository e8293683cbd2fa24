package dev.spillway.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles native memory in fixed-size blocks (1 MiB by default) carved from slabs mapped straight
 * from the OS, so no {@link Arena} is created or closed per morsel (closing a shared arena performs
 * a handshake with every thread), and gives idle pages back to the OS.
 *
 * <p>Requests up to a block are served from power-of-two size classes (small pieces keep the
 * per-partition buffers of 256-way partitioned operators cheap), from {@value #MIN_PIECE}
 * bytes up to the block size; a block taken for a smaller class is cut into pieces of that class.
 * Requests larger than a block get a mapping of their own, sized in quarter steps between powers of
 * two (at most a quarter more than asked for); a freed one is kept, warm, for the next request of
 * its size (a morsel's column buffers of a few MiB come and go at every morsel, and a fresh mapping
 * would fault in every page of each), and unmapped when retained memory is trimmed.
 *
 * <p><b>Resident and released pieces.</b> Each size class keeps two lock-free LIFO lists of free
 * pieces: <i>warm</i> pieces were handed out before and their pages are resident (recently freed
 * memory is warm in cache and costs no page fault), <i>cold</i> pieces have no resident pages —
 * fresh from a slab, or released with {@code madvise(MADV_DONTNEED)}. Allocation prefers warm
 * pieces. The bytes of warm pieces are the pool's {@link #retainedBytes() retained} memory: memory
 * the process holds that no buffer uses. When they exceed the pool's reserve, the pieces of 64 KiB
 * or more are released (largest classes first) until half the reserve is left. Under pressure
 * (below) and between queries every piece of a page or more can go, and so can every page whose
 * smaller pieces are all free (they are gathered by page); what stays is pages partly in use. Slabs are only unmapped when the pool closes, but released pages cost address space,
 * not memory.
 *
 * <p><b>The cap covers the pool.</b> Every buffer handed out is charged to a {@link MemoryBudget}
 * (its rounded-up capacity) before its memory is touched. A pool {@link #chargeIdleTo attached} to
 * a root budget makes its retained memory count against that root's cap too: a reservation that
 * would make reserved + retained exceed the cap first releases retained pages, then spills. So the
 * resident native memory of the engine stays within its cap at every moment, not only the sum of
 * the reservations. One pool usually serves a whole engine.
 */
public final class BlockPool implements AutoCloseable {
    /** Default block size: 128k int64 values. */
    public static final long DEFAULT_BLOCK_SIZE = 1L << 20;
    /** Smallest piece handed out. */
    public static final long MIN_PIECE = 256;
    /** Alignment of every buffer (a cache line; pieces of a page or more are also page-aligned). */
    public static final long ALIGNMENT = 64;
    /** Largest request accepted (rounding it up to a page stays positive). */
    public static final long MAX_ALLOCATION = Long.MAX_VALUE & -OsMemory.PAGE;
    /** Retained memory kept resident by default, before idle pages go back to the OS. */
    public static final long DEFAULT_RESERVE = 64L << 20;
    /**
     * The reserve while a query runs on a pool whose root has no cap: memory freed by one phase
     * is mostly taken again by the next, and giving it back at once costs a page fault per page
     * at its next use (a tenth of the time of a large join and group-by). Beyond it the pool
     * keeps up to the root's high-water mark. Between queries ({@link #releaseIdle}) the pool
     * still goes down to half the default reserve.
     */
    public static final long UNCAPPED_RESERVE = 1L << 30;
    private static final long SLAB_BYTES = 16L << 20;
    /**
     * The smallest piece given back when retained memory outgrows the reserve: releasing a page
     * costs a system call and a page fault at its next use, worth it for big pieces only. Under
     * pressure pieces down to a page go.
     */
    private static final long IDLE_RELEASE_PIECE = 64L << 10;

    private final long blockSize;
    private final int classes;
    private final int blocksPerSlab;
    /** The smallest class whose pieces are whole pages (they can be released one by one). */
    private final int firstPageClass;
    /** The smallest class released when retained memory outgrows the reserve (not under pressure). */
    private final int firstIdleClass;
    private final List<ConcurrentLinkedDeque<MemorySegment>> warm;
    private final List<ConcurrentLinkedDeque<MemorySegment>> cold;
    /** Freed mappings larger than a block, by size: resident, retained, reused before mapping anew. */
    private final ConcurrentHashMap<Long, ConcurrentLinkedDeque<Large>> warmLarge = new ConcurrentHashMap<>();
    /** The arenas of large buffers in use, so that {@link #closeAbandoning} can unmap them too. */
    private final Set<Arena> liveLarge = ConcurrentHashMap.newKeySet();
    private final Arena slabArena = Arena.ofShared();
    /** Every slab by its address, to find the page of a piece. */
    private final ConcurrentSkipListMap<Long, MemorySegment> slabs = new ConcurrentSkipListMap<>();
    private final Object slabLock = new Object();
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicLong mappedBytes = new AtomicLong();
    private final AtomicLong dedicatedBytes = new AtomicLong();
    private final PaddedCounter retained = new PaddedCounter();
    private final AtomicLong releasedBytes = new AtomicLong();
    private final AtomicBoolean trimming = new AtomicBoolean();
    private volatile long reserve = DEFAULT_RESERVE;
    private volatile boolean reserveSet;
    /** The root that counts this pool's retained memory, or null. */
    private volatile MemoryBudget idleRoot;
    private volatile boolean closed;
    /** Guards the background trim's state below and wakes its thread. */
    private final Object trimSignal = new Object();
    private boolean trimRequested;
    private boolean trimRunning;
    private boolean trimStopped;
    private Thread trimmer;

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
        if (blockSize < OsMemory.PAGE || Long.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two >= 4096, got " + blockSize);
        }
        this.blockSize = blockSize;
        this.classes = Long.numberOfTrailingZeros(blockSize) - Long.numberOfTrailingZeros(MIN_PIECE) + 1;
        this.firstPageClass = Long.numberOfTrailingZeros(OsMemory.PAGE) - Long.numberOfTrailingZeros(MIN_PIECE);
        this.firstIdleClass = Math.min(classes - 1, Long.numberOfTrailingZeros(IDLE_RELEASE_PIECE) - Long.numberOfTrailingZeros(MIN_PIECE));
        // Slabs of 16 MiB for the default block size; small-block pools (tests, constant folding) take 64 blocks.
        this.blocksPerSlab = (int) Math.max(1, Math.min(SLAB_BYTES / blockSize, 64));
        List<ConcurrentLinkedDeque<MemorySegment>> w = new ArrayList<>(classes);
        List<ConcurrentLinkedDeque<MemorySegment>> c = new ArrayList<>(classes);
        for (int i = 0; i < classes; i++) {
            w.add(new ConcurrentLinkedDeque<>());
            c.add(new ConcurrentLinkedDeque<>());
        }
        this.warm = List.copyOf(w);
        this.cold = List.copyOf(c);
    }

    /** The block size. */
    public long blockSize() {
        return blockSize;
    }

    /**
     * Makes this pool's {@link #retainedBytes() retained} memory count against {@code root}'s cap,
     * and keeps resident at most {@code min(reserve, cap / 4)} of it, or the root's high-water
     * mark when that is larger; a root without a cap
     * ({@link MemoryBudget#UNLIMITED}) raises the default reserve to {@link #UNCAPPED_RESERVE}.
     *
     * @throws IllegalArgumentException when {@code root} is not a root budget
     * @throws IllegalStateException    when {@code root} already counts another pool
     */
    public void chargeIdleTo(MemoryBudget root) {
        root.countIdle(this);
        idleRoot = root;
        if (root.cap() == MemoryBudget.UNLIMITED) {
            if (!reserveSet) {
                reserve = UNCAPPED_RESERVE;
            }
        } else {
            reserve = Math.min(reserve, Math.max(blockSize, root.cap() / 4));
        }
    }

    /**
     * Sets how much retained memory stays resident before idle pages are given back to the OS
     * (0: give back every free page at once).
     */
    public void reserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("pool reserve must be >= 0, got " + bytes);
        }
        reserve = bytes;
        reserveSet = true;
        if (retained.getAcquire() > bytes) {
            trim(bytes / 2, firstIdleClass);
        }
    }

    /**
     * Gives back the pages of free pieces (and pages whose small pieces are all free) until at
     * most half the reserve (at most half the {@link #DEFAULT_RESERVE default}) stays retained:
     * for an engine between queries, when nothing will reuse the memory soon. Returns the bytes
     * released.
     */
    public long releaseIdle() {
        return trim(idleTarget(), 0);
    }

    private long idleTarget() {
        return Math.min(reserve, DEFAULT_RESERVE) / 2;
    }

    /**
     * Does {@link #releaseIdle} on the pool's own daemon thread (started at the first request)
     * instead of the caller's: giving a gigabyte of pages back to the OS takes a good part of a
     * second, which a query's caller should not wait for once its result is complete. Returns at
     * once; requests made while one runs are merged into one more pass. A pool that is closing
     * trims on the caller's thread.
     */
    public void releaseIdleInBackground() {
        if (retained.getAcquire() <= idleTarget()) {
            return;
        }
        synchronized (trimSignal) {
            if (!trimStopped) {
                trimRequested = true;
                if (trimmer == null) {
                    trimmer = Thread.ofPlatform().daemon().name("spillway-pool-trim").start(this::trimLoop);
                }
                trimSignal.notifyAll();
                return;
            }
        }
        releaseIdle();
    }

    /**
     * Waits until no background trim ({@link #releaseIdleInBackground}) is requested or running:
     * for a caller about to measure what the pool retains.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public void awaitIdleRelease() throws InterruptedException {
        synchronized (trimSignal) {
            while ((trimRequested || trimRunning) && !trimStopped) {
                trimSignal.wait();
            }
        }
    }

    private void trimLoop() {
        while (true) {
            synchronized (trimSignal) {
                while (!trimRequested && !trimStopped) {
                    try {
                        trimSignal.wait();
                    } catch (InterruptedException e) {
                        // Only close() stops this thread; an interrupt from elsewhere is ignored.
                    }
                }
                if (trimStopped) {
                    trimRequested = false;
                    trimSignal.notifyAll();
                    return;
                }
                trimRequested = false;
                trimRunning = true;
            }
            try {
                releaseIdle();
            } finally {
                synchronized (trimSignal) {
                    trimRunning = false;
                    trimSignal.notifyAll();
                }
            }
        }
    }

    /** Stops the background trim thread, waiting for a pass under way to end (its pages are then given back). */
    private void stopTrimmer() {
        Thread t;
        synchronized (trimSignal) {
            trimStopped = true;
            trimSignal.notifyAll();
            t = trimmer;
        }
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
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
            return allocateLarge(budget, capacityFor(bytes));
        }
        int sizeClass = sizeClassOf(checkSize(bytes));
        long size = MIN_PIECE << sizeClass;
        // Take the piece before charging: a warm piece leaves the retained count as the budget's
        // grows, so reserved + retained never counts it twice.
        MemorySegment seg = warm.get(sizeClass).pollFirst();
        boolean fromWarm = seg != null;
        if (fromWarm) {
            retained.getAndAdd(-size);
        } else {
            seg = takeCold(sizeClass);
        }
        try {
            budget.reserve(size);
        } catch (RuntimeException | Error e) {
            if (fromWarm) {
                retained.getAndAdd(size);
                warm.get(sizeClass).offerFirst(seg);
            } else {
                cold.get(sizeClass).offerFirst(seg);
            }
            throw e;
        }
        outstanding.incrementAndGet();
        return new NativeBuffer(seg, budget, this, sizeClass, null);
    }

    /** A buffer of {@code size} bytes (a large class) in a mapping of its own: a warm one of that size if any. */
    private NativeBuffer allocateLarge(MemoryBudget budget, long size) {
        ConcurrentLinkedDeque<Large> list = warmLarge.get(size);
        Large reused = list == null ? null : list.pollFirst();
        if (reused != null) {
            // Leaves the retained count as the budget's grows (as for a warm piece).
            retained.getAndAdd(-size);
            try {
                budget.reserve(size);
            } catch (RuntimeException | Error e) {
                retained.getAndAdd(size);
                list.offerFirst(reused);
                throw e;
            }
            dedicatedBytes.addAndGet(size);
            outstanding.incrementAndGet();
            liveLarge.add(reused.arena());
            return new NativeBuffer(reused.segment(), budget, this, -1, reused.arena());
        }
        budget.reserve(size);
        Arena arena = null;
        try {
            arena = Arena.ofShared();
            MemorySegment seg = OsMemory.map(size, arena);
            dedicatedBytes.addAndGet(size);
            outstanding.incrementAndGet();
            liveLarge.add(arena);
            return new NativeBuffer(seg, budget, this, -1, arena);
        } catch (RuntimeException | Error e) {
            if (arena != null) {
                arena.close();
            }
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
     * The capacity a request of {@code bytes} gets (what the budget is charged): its size class up
     * to a block; above, the next of four equal steps between two powers of two (so at most a
     * quarter more than asked for), in whole pages.
     *
     * @throws IllegalArgumentException when {@code bytes} is negative or too large to round up
     */
    public long capacityFor(long bytes) {
        checkSize(bytes);
        if (bytes > blockSize) {
            long below = Long.highestOneBit(bytes - 1);
            long step = Math.max(OsMemory.PAGE, below >>> 2);
            // Rounds within the largest sizes (MAX_ALLOCATION is page-aligned) may not fit a step.
            long rounded = (bytes + step - 1) & -step;
            return rounded > 0 && rounded <= MAX_ALLOCATION ? rounded : (bytes + OsMemory.PAGE - 1) & -OsMemory.PAGE;
        }
        return MIN_PIECE << sizeClassOf(bytes);
    }

    private static long checkSize(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate a negative size: " + bytes);
        }
        // Rounding up to a page must not overflow into a negative size, which the budget
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

    /**
     * A piece for a class whose warm list is empty. Pieces of a page or more come from the
     * smallest warm piece of a larger class (its pages are already paid for), else from the cold
     * lists, halving a larger piece down to the class asked for (each upper half joins the free
     * list of its class: halves of a warm piece stay warm and retained). Pieces below a page are
     * cut from one page, all of one class, so that a page whose pieces are all free again can be
     * released whole ({@link #releaseWholePages}); the page is found the same way.
     */
    private MemorySegment takeCold(int sizeClass) {
        boolean small = sizeClass < firstPageClass;
        if (small) {
            MemorySegment seg = cold.get(sizeClass).pollFirst();
            if (seg != null) {
                return seg;
            }
        }
        int unit = small ? firstPageClass : sizeClass;
        long unitSize = MIN_PIECE << unit;
        MemorySegment whole = null;
        boolean warmUnit = false;
        for (int c = small ? unit : unit + 1; c < classes && whole == null; c++) {
            MemorySegment w = warm.get(c).pollFirst();
            if (w != null) {
                retained.getAndAdd(-unitSize);
                whole = halve(w, c, unit, warm);
                warmUnit = true;
            }
        }
        if (whole == null) {
            whole = coldPiece(unit);
        }
        if (!small) {
            return whole;
        }
        long piece = MIN_PIECE << sizeClass;
        ConcurrentLinkedDeque<MemorySegment> rest = warmUnit ? warm.get(sizeClass) : cold.get(sizeClass);
        for (long off = piece; off < unitSize; off += piece) {
            rest.offerFirst(whole.asSlice(off, piece));
        }
        if (warmUnit) {
            retained.getAndAdd(unitSize - piece);
        }
        return whole.asSlice(0, piece);
    }

    /** A cold piece of class {@code unit} (a page or more): from its list, else halved from a larger one, else from a new block. */
    private MemorySegment coldPiece(int unit) {
        MemorySegment seg = cold.get(unit).pollFirst();
        if (seg != null) {
            return seg;
        }
        for (int c = unit + 1; c < classes; c++) {
            seg = cold.get(c).pollFirst();
            if (seg != null) {
                return halve(seg, c, unit, cold);
            }
        }
        return halve(newBlockFromSlab(), classes - 1, unit, cold);
    }

    /** Halves {@code whole} of class {@code from} down to class {@code to}, freeing the upper halves to {@code lists}. */
    private MemorySegment halve(MemorySegment whole, int from, int to, List<ConcurrentLinkedDeque<MemorySegment>> lists) {
        for (int c = from - 1; c >= to; c--) {
            long half = MIN_PIECE << c;
            lists.get(c).offerFirst(whole.asSlice(half, half));
        }
        return whole.asSlice(0, MIN_PIECE << to);
    }

    private MemorySegment newBlockFromSlab() {
        synchronized (slabLock) {
            ensureOpen();
            MemorySegment b = cold.get(classes - 1).pollFirst();
            if (b != null) {
                return b;
            }
            long bytes = blockSize * blocksPerSlab;
            MemorySegment slab = OsMemory.map(bytes, slabArena);
            slabs.put(slab.address(), slab);
            mappedBytes.addAndGet(bytes);
            for (int i = 1; i < blocksPerSlab; i++) {
                cold.get(classes - 1).offerFirst(slab.asSlice(i * blockSize, blockSize));
            }
            return slab.asSlice(0, blockSize);
        }
    }

    void free(MemorySegment segment, int sizeClass, Arena dedicated) {
        outstanding.decrementAndGet();
        if (dedicated != null) {
            freeLarge(segment, dedicated);
            return;
        }
        if (closed) {
            return;
        }
        long after = retained.getAndAdd(segment.byteSize()) + segment.byteSize();
        retained.raisePeak(after);
        warm.get(sizeClass).offerFirst(segment);
        long limit = retainLimit();
        if (after > limit) {
            trim(limit / 2, firstIdleClass);
        }
    }

    /**
     * Retained bytes above which freeing gives pages back: the reserve, or the high-water mark of
     * the root that counts this pool when that is larger and the mark plus as much again still
     * fits the root's cap. Memory one phase of a query gave up then stays resident for the next,
     * even when its pieces are of other sizes than the next phase asks for (giving them back and
     * faulting fresh pages in cost a group-by by 5M keys a tenth of its time under the default
     * limit), while a query that works near its cap keeps only the reserve, so the process stays
     * as close to the cap as before. Between queries {@link #releaseIdle} trims.
     */
    private long retainLimit() {
        MemoryBudget root = idleRoot;
        long limit = reserve;
        if (root == null) {
            return limit;
        }
        long peak = root.peak();
        return Math.max(limit, Math.min(peak, root.cap() - peak));
    }

    private void freeLarge(MemorySegment segment, Arena arena) {
        long size = segment.byteSize();
        dedicatedBytes.addAndGet(-size);
        if (!liveLarge.remove(arena)) {
            // closeAbandoning() unmapped it already.
            return;
        }
        if (closed) {
            arena.close();
            return;
        }
        long after = retained.getAndAdd(size) + size;
        retained.raisePeak(after);
        warmLarge.computeIfAbsent(size, k -> new ConcurrentLinkedDeque<>()).offerFirst(new Large(segment, arena));
        if (closed) {
            // The pool closed meanwhile and may have missed this mapping.
            unmapLarge(0);
            return;
        }
        long limit = retainLimit();
        if (after > limit) {
            trim(limit / 2, firstIdleClass);
        }
    }

    /** Unmaps retained large mappings, largest first, until at most {@code target} bytes stay retained; returns the bytes unmapped. */
    private long unmapLarge(long target) {
        long released = 0;
        List<Long> sizes = new ArrayList<>(warmLarge.keySet());
        sizes.sort(java.util.Comparator.reverseOrder());
        for (long size : sizes) {
            ConcurrentLinkedDeque<Large> list = warmLarge.get(size);
            Large l;
            while ((retained.getAcquire() > target || closed) && (l = list.pollFirst()) != null) {
                retained.getAndAdd(-size);
                l.arena().close();
                released += size;
            }
        }
        return released;
    }

    /**
     * Gives the pages of free pieces back to the OS until at most {@code target} bytes stay
     * retained, largest pieces first, then pages whose pieces below a page are all free. Called
     * when a reservation finds retained memory in the way of the cap. One thread trims at a time;
     * another that needs the pool trimmed waits for it and then trims what is still above its
     * target (going on at once would fail its reservation while pages are being given back).
     * Returns the bytes released.
     */
    long trim(long target) {
        return trim(target, 0);
    }

    /** Trims classes down to {@code smallestClass}; the classes below a page are gathered into pages first. */
    private long trim(long target, int smallestClass) {
        while (!trimming.compareAndSet(false, true)) {
            if (retained.getAcquire() <= target) {
                return 0;
            }
            Thread.yield();
        }
        long released = 0;
        try {
            released += unmapLarge(target);
            if (!OsMemory.canRelease()) {
                return released;
            }
            for (int c = classes - 1; c >= Math.max(smallestClass, firstPageClass) && retained.getAcquire() > target; c--) {
                ConcurrentLinkedDeque<MemorySegment> from = warm.get(c);
                MemorySegment seg;
                while (retained.getAcquire() > target && (seg = from.pollFirst()) != null) {
                    retained.getAndAdd(-seg.byteSize());
                    OsMemory.release(seg);
                    released += seg.byteSize();
                    cold.get(c).offerFirst(seg);
                }
            }
            for (int c = firstPageClass - 1; c >= smallestClass && retained.getAcquire() > target; c--) {
                released += releaseWholePages(c);
            }
        } finally {
            trimming.set(false);
        }
        releasedBytes.addAndGet(released);
        return released;
    }

    /**
     * Pieces below a page cannot be released one by one: drains class {@code c}'s warm list,
     * releases every page whose pieces were all in it (the page joins the cold pages) and puts the
     * other pieces back. Pieces freed meanwhile simply miss this round. Returns the bytes released.
     */
    private long releaseWholePages(int c) {
        long piece = MIN_PIECE << c;
        int perPage = (int) (OsMemory.PAGE / piece);
        Map<Long, List<MemorySegment>> byPage = new HashMap<>();
        ConcurrentLinkedDeque<MemorySegment> from = warm.get(c);
        for (MemorySegment seg; (seg = from.pollFirst()) != null; ) {
            byPage.computeIfAbsent(seg.address() & -OsMemory.PAGE, k -> new ArrayList<>(perPage)).add(seg);
        }
        long released = 0;
        for (Map.Entry<Long, List<MemorySegment>> e : byPage.entrySet()) {
            List<MemorySegment> pieces = e.getValue();
            MemorySegment page = pieces.size() == perPage ? pageAt(e.getKey()) : null;
            if (page == null) {
                pieces.forEach(from::offerFirst);
                continue;
            }
            retained.getAndAdd(-OsMemory.PAGE);
            OsMemory.release(page);
            released += OsMemory.PAGE;
            cold.get(firstPageClass).offerFirst(page);
        }
        return released;
    }

    /** A freed mapping of its own, kept for reuse, with the arena that unmaps it. */
    private record Large(MemorySegment segment, Arena arena) {
    }

    /** The page at {@code address} as a slice of its slab, or null when no slab holds it. */
    private MemorySegment pageAt(long address) {
        Map.Entry<Long, MemorySegment> slab = slabs.floorEntry(address);
        if (slab == null || address + OsMemory.PAGE > slab.getKey() + slab.getValue().byteSize()) {
            return null;
        }
        return slab.getValue().asSlice(address - slab.getKey(), OsMemory.PAGE);
    }

    /** Buffers handed out and not yet freed. */
    public long outstandingBuffers() {
        return outstanding.get();
    }

    /**
     * Resident memory the pool holds that no buffer uses: free pieces whose pages have not been
     * given back. Counts against the cap of the budget this pool {@link #chargeIdleTo charges}.
     */
    public long retainedBytes() {
        return retained.getAcquire();
    }

    /** The most retained memory seen. */
    public long peakRetainedBytes() {
        return retained.peak();
    }

    /** Address space mapped for slabs (used, retained or released), excluding dedicated mappings. */
    public long mappedBytes() {
        return mappedBytes.get();
    }

    /** Bytes of pages given back to the OS so far. */
    public long releasedBytes() {
        return releasedBytes.get();
    }

    /** Native bytes in dedicated mappings of large buffers currently in use. */
    public long dedicatedBytes() {
        return dedicatedBytes.get();
    }

    /** Whether {@link #close()} has unmapped the slabs. */
    public boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("block pool is closed");
        }
    }

    /**
     * Unmaps every slab. Idempotent.
     *
     * @throws IllegalStateException when buffers are still in use (their memory stays valid)
     */
    @Override
    public void close() {
        close(false);
    }

    /**
     * Unmaps every slab and mapping even when buffers are still in use: for an owner that has
     * reported those buffers as leaked and no longer runs anything that uses them. The memory of a
     * leaked buffer becomes inaccessible (an access throws {@link IllegalStateException}; nothing
     * reaches unmapped memory) and closing it later only gives its bytes back to its budget.
     * Idempotent.
     *
     * @return the buffers that were still in use
     */
    public long closeAbandoning() {
        return close(true);
    }

    private long close(boolean abandon) {
        // A trim pass releases pages of the slabs closed below: let it end first.
        stopTrimmer();
        synchronized (slabLock) {
            if (closed) {
                return 0;
            }
            long left = outstanding.get();
            if (left != 0 && !abandon) {
                throw new IllegalStateException("block pool closed with " + left + " buffer(s) still in use");
            }
            closed = true;
            for (Arena a : List.copyOf(liveLarge)) {
                if (liveLarge.remove(a)) {
                    a.close();
                }
            }
            for (int c = 0; c < classes; c++) {
                warm.get(c).clear();
                cold.get(c).clear();
            }
            slabs.clear();
            slabArena.close();
            unmapLarge(0);
            retained.getAndAdd(-retained.getAcquire());
            return left;
        }
    }
}
