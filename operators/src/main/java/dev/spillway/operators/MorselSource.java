package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands out zero-copy views of morsels that already exist (a collected frame, the output of a
 * pipeline breaker), renumbered 0, 1, 2... The morsels stay owned by whoever gave them.
 */
public final class MorselSource implements Source {
    private final String name;
    private final List<Morsel> morsels;
    private final AtomicInteger next = new AtomicInteger();

    /** Creates the source over {@code morsels} (not owned). */
    public MorselSource(String name, List<Morsel> morsels) {
        this.name = name;
        this.morsels = List.copyOf(morsels);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Morsel next(TaskContext ctx) {
        int i = next.getAndIncrement();
        return i < morsels.size() ? morsels.get(i).withSequence(i) : null;
    }
}
