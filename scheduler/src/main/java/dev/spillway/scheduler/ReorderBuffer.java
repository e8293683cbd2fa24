package dev.spillway.scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Restores source order for order-sensitive sinks (file writers, slices): items arrive tagged
 * with their dense sequence numbers in any order and leave in sequence order.
 *
 * <p>Thread-safe. The consumer passed to {@link #add} runs under the buffer's lock, so items leave
 * one at a time, in order, on whichever thread delivered the missing one.
 *
 * @param <T> the items (usually morsels)
 */
public final class ReorderBuffer<T> {
    private final Map<Long, T> waiting = new HashMap<>();
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
        if (sequence < next || waiting.containsKey(sequence)) {
            throw new IllegalArgumentException("sequence " + sequence + " delivered twice (next expected: " + next + ")");
        }
        waiting.put(sequence, item);
        T ready;
        while ((ready = waiting.remove(next)) != null) {
            next++;
            inOrder.accept(ready);
        }
    }

    /** The next sequence number expected. */
    public synchronized long nextSequence() {
        return next;
    }

    /** Items waiting for an earlier one. */
    public synchronized int waitingCount() {
        return waiting.size();
    }

    /** Removes and returns the waiting items (to release them when a query is cancelled). */
    public synchronized List<T> drain() {
        List<T> out = new ArrayList<>(waiting.values());
        waiting.clear();
        return out;
    }
}
