package dev.spillway;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.CollectSink;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sink of a {@link ResultStream}: a bounded hand-off of result morsels from the workers to one
 * consuming thread, in source order (the order {@link CollectSink} gives).
 *
 * <p><b>Backpressure without blocking a worker.</b> Morsels arrive in any order; those that are
 * next in sequence go to the {@code ready} queue the consumer takes from, the others wait in a
 * reorder map. {@link #ready()} is false while the ready queue holds {@code capacity} bytes or
 * more, so the workers stop pulling the result pipeline's source; {@link #offer} refuses the next
 * morsel in the same state, and refuses a morsel that is not next while ready and waiting
 * together hold {@code capacity}. A refused morsel stays on its ticket (the scheduler offers it
 * again on the ticket's next turn), so no worker ever waits here: a consumer that stops pulling
 * pauses the query, and its workers run other queries. The morsel that is next is always on some
 * ticket (sources number morsels as they are pulled), and it is refused only while the ready
 * queue is full, which only the consumer can change, so the query cannot stall while the
 * consumer pulls. Less than twice {@code capacity} plus two morsels is held here (ready bytes
 * below the capacity, waiting bytes below it plus the last morsel let in, and the next morsel);
 * at least one morsel is always accepted when nothing is held.
 *
 * <p><b>Ownership.</b> Until {@link #finish} the held morsels belong to the sink: a query that
 * ends without finishing (failure, cancellation, deadline, the engine closing) frees them in
 * {@link #close()}. After {@code finish} the ready queue belongs to the consumer side: the query's
 * end leaves it alone, and the stream frees what was not taken when it is closed
 * ({@link #abandon()}). After {@code abandon} arriving morsels are closed at once.
 *
 * <p>Thread-safe: one lock guards the queue and the map; the consumer waits on its condition.
 */
final class StreamSink implements Sink<Void> {
    /** Stored in the reorder map for a sequence number that brings no rows. */
    private static final Entry SKIPPED = new Entry(null, 0);

    /** What the producing side of the hand-off is doing. */
    enum State {
        /** The query runs; morsels may arrive. */
        RUNNING,
        /** Every morsel arrived; the ready queue is the consumer's. */
        FINISHED,
        /** The query ended without finishing; what was held is freed. */
        ENDED
    }

    /** A held morsel and the bytes it was counted with. */
    private record Entry(Morsel morsel, long bytes) {
    }

    private final long capacity;
    private final long expectedRows;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Entry> ready = new ArrayDeque<>();
    private final Map<Long, Entry> waiting = new HashMap<>();
    private long next;
    /** Bytes in {@link #ready}; written under the lock, read without it by {@link #ready()}. */
    private volatile long readyBytes;
    private long waitingBytes;
    private long peakHeldBytes;
    private long rows;
    private State state = State.RUNNING;
    private boolean abandoned;

    /**
     * @param capacity     bytes of morsels held before the query pauses (at least 1)
     * @param expectedRows the rows the plan fixes ({@link CollectSink#ANY_ROWS}: no check at the finish)
     */
    StreamSink(long capacity, long expectedRows) {
        if (capacity < 1) {
            throw new IllegalArgumentException("stream buffer must be >= 1 byte, got " + capacity);
        }
        this.capacity = capacity;
        this.expectedRows = expectedRows;
    }

    @Override
    public String name() {
        return "result stream";
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public boolean ready() {
        return readyBytes < capacity;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        if (!offer(local, morsel, ctx)) {
            // Not reached: the scheduler calls offer; consume must take the morsel.
            morsel.close();
            throw new IllegalStateException("result stream: consume() called while the hand-off is full");
        }
    }

    @Override
    public boolean offer(Void local, Morsel morsel, TaskContext ctx) {
        lock.lock();
        try {
            if (abandoned || state != State.RUNNING) {
                // The stream was closed (the query is being cancelled) or the query ended.
                morsel.close();
                return true;
            }
            long seq = morsel.sequence();
            if (morsel.rowCount() == 0) {
                morsel.close();
                put(seq, SKIPPED);
                return true;
            }
            boolean isNext = seq == next;
            if (isNext ? readyBytes >= capacity : readyBytes + waitingBytes >= capacity) {
                return false;
            }
            long bytes = morsel.byteSize();
            waitingBytes += bytes;
            rows += morsel.rowCount();
            put(seq, new Entry(morsel, bytes));
            peakHeldBytes = Math.max(peakHeldBytes, readyBytes + waitingBytes);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void skip(Void local, long sequence, TaskContext ctx) {
        lock.lock();
        try {
            if (!abandoned && state == State.RUNNING) {
                put(sequence, SKIPPED);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: files {@code e} under {@code seq}, then moves what is now in order to the ready queue. */
    private void put(long seq, Entry e) {
        if (seq < next || waiting.containsKey(seq)) {
            if (e.morsel() != null) {
                waitingBytes -= e.bytes();
                e.morsel().close();
            }
            throw new IllegalStateException("result stream: sequence " + seq + " delivered twice (next expected: " + next + ")");
        }
        waiting.put(seq, e);
        boolean moved = false;
        Entry r;
        while ((r = waiting.remove(next)) != null) {
            next++;
            if (r != SKIPPED) {
                waitingBytes -= r.bytes();
                ready.add(r);
                readyBytes += r.bytes();
                moved = true;
            }
        }
        if (moved) {
            changed.signalAll();
        }
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    @Override
    public void finish(TaskContext ctx) {
        lock.lock();
        try {
            if (!waiting.isEmpty()) {
                throw new IllegalStateException("internal error: the result stream is missing morsel " + next
                        + " of its input (" + waiting.size() + " later ones wait)");
            }
            if (expectedRows != CollectSink.ANY_ROWS && rows != expectedRows) {
                throw new IllegalStateException("internal error: the result has " + rows + " rows where the plan fixes "
                        + expectedRows + " (a global aggregate has exactly one row)");
            }
            state = State.FINISHED;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The query ended (closed by the scheduler): what it did not hand over is freed. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (state == State.RUNNING) {
                state = State.ENDED;
                freeHeld();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The consumer closed the stream: frees everything held, and every morsel that still arrives. */
    void abandon() {
        lock.lock();
        try {
            abandoned = true;
            freeHeld();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void freeHeld() {
        RuntimeException first = null;
        for (Entry e : ready) {
            first = closeQuietly(e.morsel(), first);
        }
        for (Entry e : waiting.values()) {
            if (e != SKIPPED) {
                first = closeQuietly(e.morsel(), first);
            }
        }
        ready.clear();
        waiting.clear();
        readyBytes = 0;
        waitingBytes = 0;
        if (first != null) {
            throw first;
        }
    }

    private static RuntimeException closeQuietly(Morsel m, RuntimeException first) {
        try {
            m.close();
            return first;
        } catch (RuntimeException e) {
            if (first == null) {
                return e;
            }
            first.addSuppressed(e);
            return first;
        }
    }

    /**
     * The next morsel in order, waiting for it; null at the end: every morsel was taken, or the
     * query ended without finishing, or the stream was abandoned. The caller owns the morsel.
     * The query's end always wakes the wait: the scheduler closes the sink when it releases the
     * query, whatever ended it.
     *
     * @throws InterruptedException when the waiting thread is interrupted
     */
    Morsel take() throws InterruptedException {
        lock.lock();
        try {
            while (ready.isEmpty() && state == State.RUNNING && !abandoned) {
                changed.await();
            }
            Entry e = ready.poll();
            if (e == null) {
                return null;
            }
            readyBytes -= e.bytes();
            return e.morsel();
        } finally {
            lock.unlock();
        }
    }

    /** The most bytes held at once (ready and waiting for an earlier morsel). */
    long peakHeldBytes() {
        lock.lock();
        try {
            return peakHeldBytes;
        } finally {
            lock.unlock();
        }
    }
}
