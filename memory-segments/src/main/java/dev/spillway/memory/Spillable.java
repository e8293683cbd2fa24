package dev.spillway.memory;

/**
 * A holder of state that can be written to disk to free memory: a join build partition set, a
 * group-by table, a sort's in-memory runs. Registered with the query's {@link MemoryManager}.
 *
 * <p>{@link #spill} is called on whichever thread needs memory — possibly the owner's own thread
 * while it is inside a reservation. An implementation must therefore be re-entrant for its own
 * thread and must never wait for a lock held by another thread: use {@code tryLock} and return 0
 * when busy. It should not itself reserve memory (it may fail if it does).
 */
public interface Spillable {
    /** A short name for logs and error messages, e.g. {@code "equi-join build"}. */
    String name();

    /** Bytes that {@link #spill} could free right now; 0 when nothing is spillable. */
    long spillableBytes();

    /**
     * Frees memory by spilling, at least {@code bytesWanted} if it can (typically its largest
     * partitions first).
     *
     * @return bytes actually released to the budget (0 when busy or nothing is spillable)
     */
    long spill(long bytesWanted);
}
