package dev.spillway.scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Restores source order for order-sensitive sinks (file writers, slices): items arrive tagged
 * with their dense sequence numbers in any order and leave in sequence order. A sequence number
 * that an operator filtered out entirely is marked with {@link #skip} so later items do not wait
 * for it.
 *
 * <p>Thread-safe. The consumer passed to {@link #add}/{@link #skip} runs under the buffer's lock,
 * so items leave one at a time, in order, on whichever thread delivered the missing one. The
 * buffer holds at most the items between the oldest missing sequence number and the newest
 * arrival, i.e. at most the pipeline's morsels in flight.
 *
 * @param <T> the items (usually morsels)
 */
public final class ReorderBuffer<T> {
    /** Placeholder stored for a skipped sequence number. */
    private static final Object SKIPPED = new Object();

    private final Map<Long, Object> waiting = new HashMap<>();
    private long next;

    /** A buffer expecting sequence 0 first. */
    public ReorderBuffer() {
        this(0);
    }

    /** A buffer expecting {@code first} first. */
    public ReorderBuffer(long first) {
        this.next = first;
    }

    /**
     * Adds {@code item}; then hands every item that is now in order to {@code inOrder}.
     *
     * @throws IllegalArgumentException for a sequence number already delivered or waiting
     */
    public synchronized void add(long sequence, T item, Consumer<? super T> inOrder) {
        put(sequence, item);
        release(inOrder);
    }

    /**
     * Marks {@code sequence} as never arriving; then hands every item that is now in order to
     * {@code inOrder}.
     *
     * @throws IllegalArgumentException for a sequence number already delivered or waiting
     */
    public synchronized void skip(long sequence, Consumer<? super T> inOrder) {
        put(sequence, SKIPPED);
        release(inOrder);
    }

    private void put(long sequence, Object item) {
        if (sequence < next || waiting.containsKey(sequence)) {
            throw new IllegalArgumentException("sequence " + sequence + " delivered twice (next expected: " + next + ")");
        }
        waiting.put(sequence, item);
    }

    @SuppressWarnings("unchecked") // only T and SKIPPED are ever stored
    private void release(Consumer<? super T> inOrder) {
        Object ready;
        while ((ready = waiting.remove(next)) != null) {
            next++;
            if (ready != SKIPPED) {
                inOrder.accept((T) ready);
            }
        }
    }

    /** The next sequence number expected. */
    public synchronized long nextSequence() {
        return next;
    }

    /** Items (and skip marks) waiting for an earlier sequence number. */
    public synchronized int waitingCount() {
        return waiting.size();
    }

    /** Removes and returns the waiting items (to release them when a query is cancelled). */
    @SuppressWarnings("unchecked") // only T and SKIPPED are ever stored
    public synchronized List<T> drain() {
        List<T> out = new ArrayList<>(waiting.size());
        for (Object o : waiting.values()) {
            if (o != SKIPPED) {
                out.add((T) o);
            }
        }
        waiting.clear();
        return out;
    }
}
