package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Ends its input early once a downstream slice has all the rows it needs ({@code head(n)}), or
 * once every reader of a multiplexer is gone (its producer). The first time it sees the condition
 * it {@link Source#detach() detaches} its input, so that a shared input (a multiplexer's backlog)
 * lets go of what it keeps for this reader.
 */
public final class EarlyStopSource implements Source {
    private final Source input;
    private final BooleanSupplier satisfied;
    private final AtomicBoolean detached = new AtomicBoolean();

    /** Wraps {@code input}; it reports exhaustion as soon as {@code satisfied} (which must stay true once true) is. */
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
        return stopped() ? null : input.next(ctx);
    }

    @Override
    public boolean isExhausted() {
        return stopped() || input.isExhausted();
    }

    @Override
    public void detach() {
        if (detached.compareAndSet(false, true)) {
            input.detach();
        }
    }

    private boolean stopped() {
        if (!satisfied.getAsBoolean()) {
            return false;
        }
        detach();
        return true;
    }

    @Override
    public void close() {
        input.close();
    }
}
