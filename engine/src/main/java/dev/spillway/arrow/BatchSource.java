package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.ResultStream;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sequence of batches with a schema, read once, that {@link ArrowExport#exportStream} hands to
 * a C consumer: a collected {@link DataFrame} ({@link #of(DataFrame)}) or any iterator of morsels
 * such as a streaming query result ({@link #of(Schema, Iterator, AutoCloseable)}).
 *
 * <p>Calls come from whichever thread the consumer uses, one at a time. Each batch keeps its
 * memory valid until it is closed, independently of the source and of the other batches, since
 * a consumer may keep arrays after releasing the stream.
 */
public interface BatchSource extends AutoCloseable {
    /** The columns of every batch. */
    Schema schema();

    /** The next batch, owned by the caller, or null at the end. */
    Batch next();

    /** Releases what the source still holds (not the batches it returned). Idempotent. */
    @Override
    void close();

    /** One batch: a morsel whose memory stays valid until {@link #close()}. */
    interface Batch extends AutoCloseable {
        /** The rows (do not close the morsel itself). */
        Morsel morsel();

        /** Gives up this batch's hold on its memory. Idempotent; any thread. */
        @Override
        void close();
    }

    /**
     * The morsels of {@code df}, zero-copy: each batch and the source itself {@link DataFrame#retain()
     * retain} the frame, so it may be closed by its owner while a consumer still reads.
     *
     * @throws IllegalStateException when {@code df} is closed
     */
    static BatchSource of(DataFrame df) {
        List<Morsel> morsels = EngineInternals.morsels(df);
        AutoCloseable sourceHold = df.retain();
        return new BatchSource() {
            private int next;
            private boolean closed;

            @Override
            public Schema schema() {
                return df.schema();
            }

            @Override
            public synchronized Batch next() {
                if (closed) {
                    throw new IllegalStateException("batch source is closed");
                }
                if (next == morsels.size()) {
                    return null;
                }
                return held(morsels.get(next++), df);
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    closeRethrowing(sourceHold);
                }
            }
        };
    }

    /** A batch of {@code m}, one of {@code owner}'s morsels, holding the frame until it is closed. */
    private static Batch held(Morsel m, DataFrame owner) {
        AutoCloseable hold = owner.retain();
        return new Batch() {
            @Override
            public Morsel morsel() {
                return m;
            }

            @Override
            public void close() {
                closeRethrowing(hold);
            }
        };
    }

    /**
     * The batches of a streaming query result, as the query produces them: each morsel of each
     * frame the stream hands out is one batch, zero-copy (each batch {@link DataFrame#retain()
     * retains} its frame). Closing the source closes the stream, which cancels the query if it is
     * still running; batches already handed out stay valid.
     */
    static BatchSource of(ResultStream stream) {
        Objects.requireNonNull(stream, "stream");
        return new BatchSource() {
            private DataFrame current;
            private List<Morsel> morsels = List.of();
            private int next;
            private boolean closed;

            @Override
            public Schema schema() {
                return stream.schema();
            }

            @Override
            public synchronized Batch next() {
                if (closed) {
                    throw new IllegalStateException("batch source is closed");
                }
                while (next == morsels.size()) {
                    dropCurrent();
                    if (!stream.hasNext()) {
                        return null;
                    }
                    current = stream.next();
                    morsels = EngineInternals.morsels(current);
                    next = 0;
                }
                return held(morsels.get(next++), current);
            }

            private void dropCurrent() {
                if (current != null) {
                    DataFrame df = current;
                    current = null;
                    morsels = List.of();
                    next = 0;
                    df.close();
                }
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    try {
                        dropCurrent();
                    } finally {
                        stream.close();
                    }
                }
            }
        };
    }

    /**
     * Batches from {@code morsels}, each owned by its batch (closed with it); {@code onClose} runs
     * once when the source is closed (it typically ends the query that produces the morsels).
     * Morsels the source never handed out are the iterator's business.
     */
    static BatchSource of(Schema schema, Iterator<Morsel> morsels, AutoCloseable onClose) {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(morsels, "morsels");
        return new BatchSource() {
            private boolean closed;

            @Override
            public Schema schema() {
                return schema;
            }

            @Override
            public synchronized Batch next() {
                if (closed) {
                    throw new IllegalStateException("batch source is closed");
                }
                if (!morsels.hasNext()) {
                    return null;
                }
                Morsel m = morsels.next();
                return new Batch() {
                    private final AtomicBoolean done = new AtomicBoolean();

                    @Override
                    public Morsel morsel() {
                        return m;
                    }

                    @Override
                    public void close() {
                        if (done.compareAndSet(false, true)) {
                            m.close();
                        }
                    }
                };
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    if (onClose != null) {
                        closeRethrowing(onClose);
                    }
                }
            }
        };
    }

    private static void closeRethrowing(AutoCloseable c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
