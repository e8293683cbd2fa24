package dev.spillway.jcstress;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

import java.util.concurrent.atomic.AtomicInteger;

/** A sink without local state that counts the morsels it takes (closing them) and its finishes. */
final class CountingSink implements Sink<Void> {
    private final AtomicInteger morsels = new AtomicInteger();
    private final AtomicInteger finishes = new AtomicInteger();

    int morsels() {
        return morsels.get();
    }

    int finishes() {
        return finishes.get();
    }

    @Override
    public String name() {
        return "counting";
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        morsel.close();
        morsels.incrementAndGet();
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    @Override
    public void finish(TaskContext ctx) {
        finishes.incrementAndGet();
    }
}
