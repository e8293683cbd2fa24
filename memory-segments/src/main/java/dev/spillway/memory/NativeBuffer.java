package dev.spillway.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A reference-counted piece of native memory charged to a {@link MemoryBudget}, obtained from a
 * {@link BlockPool}.
 *
 * <p>The creator holds one reference. Zero-copy views (column slices, a morsel shared by two
 * consumers) {@link #retain()} it; each holder {@link #close() closes} once. When the count falls
 * to zero the memory returns to the pool and the bytes to the budget. Closing more often than
 * retained is a programming error and throws.
 *
 * <p>{@link #segment()} spans the whole {@link #capacity()}, which can exceed the size asked for
 * (the pool rounds up to its size classes); the budget is charged the capacity.
 */
public final class NativeBuffer implements AutoCloseable {
    private static final VarHandle REFS;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(NativeBuffer.class, "refs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MemorySegment segment;
    private final MemoryBudget budget;
    private final BlockPool pool;
    private final int sizeClass;
    private final Arena dedicated;
    /** For {@link #wrap wrapped} memory: what the last close runs instead of freeing to the pool. */
    private final Runnable release;
    @SuppressWarnings("unused") // accessed through REFS
    private volatile int refs = 1;

    NativeBuffer(MemorySegment segment, MemoryBudget budget, BlockPool pool, int sizeClass, Arena dedicated) {
        this.segment = segment;
        this.budget = budget;
        this.pool = pool;
        this.sizeClass = sizeClass;
        this.dedicated = dedicated;
        this.release = null;
    }

    private NativeBuffer(MemorySegment segment, MemoryBudget budget, Runnable release) {
        this.segment = segment;
        this.budget = budget;
        this.pool = null;
        this.sizeClass = -1;
        this.dedicated = null;
        this.release = release;
    }

    /**
     * Wraps memory this buffer does not own, e.g. a slice of a memory-mapped file, so that column
     * vectors can read it without a copy. Nothing is charged to {@code budget} (it is only
     * reported by {@link #budget()}): the owner of the memory accounts for it. When the last
     * reference is closed, {@code release} runs once instead of a return to the pool; it
     * typically drops a reference to the mapping so that it is unmapped after its last reader.
     */
    public static NativeBuffer wrap(MemorySegment segment, MemoryBudget budget, Runnable release) {
        return new NativeBuffer(segment, budget, java.util.Objects.requireNonNull(release, "release"));
    }

    /** The memory, {@link #capacity()} bytes long. Valid until the last reference is closed. */
    public MemorySegment segment() {
        return segment;
    }

    /** Usable bytes (the size charged to the budget). */
    public long capacity() {
        return segment.byteSize();
    }

    /** The budget this buffer is charged to. */
    public MemoryBudget budget() {
        return budget;
    }

    /** Current number of references (for tests and diagnostics). */
    public int refCount() {
        return (int) REFS.getAcquire(this);
    }

    /**
     * Adds a reference; the caller must close once more.
     *
     * @return this buffer
     * @throws IllegalStateException when the buffer was already freed
     */
    public NativeBuffer retain() {
        int r;
        do {
            r = (int) REFS.getAcquire(this);
            if (r <= 0) {
                throw new IllegalStateException("native buffer already freed");
            }
        } while (!REFS.compareAndSet(this, r, r + 1));
        return this;
    }

    /** Drops one reference; the last one returns the memory to the pool and the budget. */
    @Override
    public void close() {
        int after = (int) REFS.getAndAdd(this, -1) - 1;
        if (after > 0) {
            return;
        }
        if (after < 0) {
            throw new IllegalStateException("native buffer closed more often than retained");
        }
        if (release != null) {
            release.run();
            return;
        }
        // Budget first: the piece joins the pool's retained memory, which shares the cap, only
        // once the budget no longer counts it.
        budget.release(segment.byteSize());
        pool.free(segment, sizeClass, dedicated);
    }

    @Override
    public String toString() {
        return "NativeBuffer[" + Bytes.format(capacity()) + ", refs=" + refCount() + ", budget=" + budget.path() + "]";
    }
}
