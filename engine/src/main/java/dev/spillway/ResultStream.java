package dev.spillway;

import dev.spillway.arrow.ArrowExport;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.errors.QueryCancelledException;
import dev.spillway.scheduler.QueryHandle;

import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The result of a running query as a sequence of batches ({@link LazyFrame#stream()}), in the
 * order {@link LazyFrame#collect()} gives. Use it from one thread, in try-with-resources;
 * {@link #cancel()} is the one method another thread may call.
 *
 * <p><b>Who owns what.</b> Each batch {@link #next()} returns is a {@link DataFrame} of one or a
 * few morsels that the caller owns and must close; it stays valid after the stream is closed.
 * Batches not yet taken belong to the stream: {@link #close()} frees them. The query's memory
 * budget is closed once the stream and every batch it handed out are closed; a batch still open
 * when the {@link Spillway} closes is reported as leaked, like an open frame.
 *
 * <p><b>Backpressure.</b> The query pauses while the stream holds its buffer's worth of batches
 * ({@link QueryOptions.Builder#streamBuffer}); workers never block on it, they run other work.
 *
 * <p><b>Ending.</b> {@link #hasNext()} returns false after the last batch once the query ended
 * successfully; when it failed, was cancelled ({@link #close()} before the end, the engine
 * closing, an interrupt of the consuming thread) or ran past its deadline, the next
 * {@code hasNext()} or {@code next()} throws the exception {@code collect()} would have thrown
 * (batches produced but not yet taken are dropped with the query). When {@code close()} returns
 * the query has ended and released its spill files and every byte of memory but the batches the
 * caller still holds.
 */
public final class ResultStream implements Iterator<DataFrame>, AutoCloseable {
    private final Schema schema;
    private final StreamSink sink;
    private final LazyFrame.Launched launched;
    /** Completes after the query ended and its end was processed: null on success, else the failure. */
    private final CompletableFuture<RuntimeException> ended = new CompletableFuture<>();
    /** One for the stream itself plus one per batch handed out and not closed. */
    private final AtomicInteger holds = new AtomicInteger(1);
    private Morsel peeked;
    private boolean exhausted;
    private boolean closed;
    private RuntimeException failure;

    ResultStream(Schema schema, StreamSink sink, LazyFrame.Launched launched) {
        this.schema = schema;
        this.sink = sink;
        this.launched = launched;
        launched.whenDone(true, (q, failed) -> {
            RuntimeException outcome = failed;
            try {
                if (q != null) {
                    // The batches not taken are the consumer's now; the spill files are not needed.
                    q.releaseDisk();
                }
            } catch (RuntimeException e) {
                outcome = e;
            } finally {
                if (q != null) {
                    q.running().end();
                }
                ended.complete(outcome);
            }
        });
    }

    /** The schema of every batch. */
    public Schema schema() {
        return schema;
    }

    /**
     * Hands this result to a consumer of the Arrow C stream interface: fills the
     * {@code ArrowArrayStream} struct at {@code out}, which owns this stream from now on. Batches
     * are exported zero-copy as the consumer pulls them; the query pauses while it does not, and
     * releasing the stream early cancels the query.
     */
    public void exportArrowStream(MemorySegment out) {
        ArrowExport.exportStream(this, out);
    }

    /** The query's name (in its errors, events and profile). */
    public String queryName() {
        return launched.name();
    }

    /** The query's progress now (rows taken in, memory held, bytes spilled); the final figures once it ended. */
    public QueryProgress progress() {
        return launched.progress();
    }

    /** The query's profile once it ended, else null. */
    public QueryProfile profile() {
        return launched.profile();
    }

    /**
     * Whether another batch is coming, waiting for the query to produce it.
     *
     * @throws dev.spillway.errors.QueryExecutionException when the query failed, was cancelled
     *         or timed out (the interrupt flag is restored when an interrupt of this thread
     *         cancelled it)
     * @throws IllegalStateException after {@link #close()}
     */
    @Override
    public boolean hasNext() {
        if (peeked != null) {
            return true;
        }
        if (failure != null) {
            throw failure;
        }
        if (closed) {
            throw new IllegalStateException("result stream of query '" + launched.name() + "' is closed");
        }
        if (exhausted) {
            return false;
        }
        if (launched.onWorker()) {
            // The query needs this engine's workers to produce what this thread would wait for.
            throw new IllegalStateException("result stream of query '" + launched.name() + "' is read on a worker"
                    + " thread of the same Spillway instance (a query of that instance importing it, say), which"
                    + " would wait for itself; read it from another thread, collect() it first, or import it into another instance");
        }
        Morsel m;
        try {
            m = sink.take();
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
        if (m != null) {
            peeked = m;
            return true;
        }
        RuntimeException outcome = awaitEnd();
        if (outcome != null) {
            failure = outcome;
            release();
            throw outcome;
        }
        exhausted = true;
        release();
        return false;
    }

    /**
     * The next batch, which the caller owns and closes.
     *
     * @throws NoSuchElementException after the last batch
     * @throws dev.spillway.errors.QueryExecutionException as {@link #hasNext()}
     */
    @Override
    public DataFrame next() {
        if (!hasNext()) {
            throw new NoSuchElementException("result stream of query '" + launched.name() + "' has no more batches");
        }
        Morsel m = peeked;
        peeked = null;
        holds.incrementAndGet();
        return new DataFrame(schema, List.of(m), new BatchHold());
    }

    /**
     * Cancels the query from any thread, without waiting: the reading thread wakes and its next
     * {@code hasNext()} throws a {@link QueryCancelledException} ({@code query '<name>' was
     * cancelled: its result stream was cancelled}). The stream must still be closed.
     *
     * @return true when this call decided the query's outcome, false when it had already ended
     *         (all its batches produced), failed or been cancelled
     */
    public boolean cancel() {
        return launched.cancel("its result stream was cancelled");
    }

    /**
     * Closes the stream: a query still running is cancelled ({@code query '<name>' was cancelled:
     * its result stream was closed}), the batches not taken are freed, and the call waits until
     * the query ended and released its spill files and memory (batches the caller holds stay
     * valid). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!ended.isDone()) {
            launched.cancel("its result stream was closed");
        }
        RuntimeException first = null;
        try {
            if (peeked != null) {
                Morsel m = peeked;
                peeked = null;
                m.close();
            }
        } catch (RuntimeException e) {
            first = e;
        }
        try {
            sink.abandon();
        } catch (RuntimeException e) {
            first = addTo(first, e);
        }
        awaitEnd();
        if (!exhausted && failure == null) {
            try {
                release();
            } catch (RuntimeException e) {
                first = addTo(first, e);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static RuntimeException addTo(RuntimeException first, RuntimeException e) {
        if (first == null) {
            return e;
        }
        first.addSuppressed(e);
        return first;
    }

    /** An interrupt while waiting for a batch cancels the query; its end is awaited, the flag restored. */
    private RuntimeException interrupted(InterruptedException e) {
        launched.cancel("the thread reading its result stream was interrupted");
        sink.abandon();
        RuntimeException outcome = awaitEnd();
        Thread.currentThread().interrupt();
        failure = outcome != null ? outcome : QueryCancelledException.interrupted(launched.name(), e);
        release();
        return failure;
    }

    /** Waits, without being interruptible, until the query ended and its end was processed; its failure or null. */
    private RuntimeException awaitEnd() {
        try {
            return ended.join();
        } catch (CompletionException e) {
            // Not reached: the future is only completed normally.
            return new IllegalStateException("result stream of query '" + launched.name() + "' ended abnormally", e);
        }
    }

    /** Drops one hold; the last one closes the query's memory budget. */
    private void release() {
        if (holds.decrementAndGet() == 0) {
            launched.query().close();
        }
    }

    /** The scheduler's handle, for tests. */
    QueryHandle handle() {
        return launched.handle();
    }

    /** The hand-off, for tests. */
    StreamSink sink() {
        return sink;
    }

    /** What a batch closes after its morsels: its hold on the query's memory budget. Idempotent (the frame closes it once). */
    private final class BatchHold implements AutoCloseable {
        @Override
        public void close() {
            release();
        }
    }

    @Override
    public String toString() {
        return "ResultStream[" + launched.name() + (closed ? ", closed" : exhausted ? ", exhausted" : "") + "]";
    }
}
