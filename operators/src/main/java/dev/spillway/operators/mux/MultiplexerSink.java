package dev.spillway.operators.mux;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

/**
 * Ends the producer's pipeline of a {@link Multiplexer}: morsels go back into source order and are
 * published to every consumer's backlog. It never refuses a morsel and is always ready: a backlog
 * that grows beyond its share spills instead of holding the producer back.
 */
public final class MultiplexerSink implements Sink<Void> {
    private final Multiplexer mux;

    MultiplexerSink(Multiplexer mux) {
        this.mux = mux;
    }

    @Override
    public String name() {
        return "multiplexer " + mux.label() + " to " + mux.consumers() + " consumers";
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        mux.accept(morsel);
    }

    @Override
    public void skip(Void local, long sequence, TaskContext ctx) {
        mux.skip(sequence);
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    @Override
    public void finish(TaskContext ctx) {
        mux.producerFinished();
    }

    @Override
    public void close() {
        mux.close();
    }
}
