package dev.spillway.operators.mux;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

/**
 * One consumer of a {@link Multiplexer}: hands out that consumer's backlog in order, with dense
 * sequence numbers from 0. While the producer still runs and the backlog is empty it returns null
 * with {@link #isExhausted()} false (a transient end, see {@link Source}).
 */
public final class MultiplexerSource implements Source {
    private final Multiplexer mux;
    private final int consumer;

    MultiplexerSource(Multiplexer mux, int consumer) {
        this.mux = mux;
        this.consumer = consumer;
    }

    @Override
    public String name() {
        return "multiplexer " + mux.label() + " consumer " + consumer + " of " + mux.consumers();
    }

    @Override
    public Morsel next(TaskContext ctx) {
        return mux.poll(consumer);
    }

    @Override
    public boolean isExhausted() {
        return mux.isExhausted(consumer);
    }

    /** Nobody will pull this consumer again: its backlog is released and later morsels skip it. */
    @Override
    public void detach() {
        mux.detach(consumer);
    }

    /** Closes the whole multiplexer (all its parts close when the query ends). */
    @Override
    public void close() {
        mux.close();
    }
}
