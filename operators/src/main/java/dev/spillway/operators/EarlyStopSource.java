package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.function.BooleanSupplier;

/** Ends its input early once a downstream slice has all the rows it needs ({@code head(n)}). */
public final class EarlyStopSource implements Source {
    private final Source input;
    private final BooleanSupplier satisfied;

    /** Wraps {@code input}; it reports exhaustion as soon as {@code satisfied} is true. */
    public EarlyStopSource(Source input, BooleanSupplier satisfied) {
        this.input = input;
        this.satisfied = satisfied;
    }

    @Override
    public String name() {
        return input.name();
    }

    @Override
    public Morsel next(TaskContext ctx) {
        return satisfied.getAsBoolean() ? null : input.next(ctx);
    }

    @Override
    public boolean isExhausted() {
        return satisfied.getAsBoolean() || input.isExhausted();
    }

    @Override
    public void close() {
        input.close();
    }
}
