package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;

/**
 * A source followed by operators, as one source (an input of a {@link ConcatSource}, the probe
 * input of a join). A morsel an operator drops whole is not an end: the next one is pulled. A
 * transient end of the input (null with {@link Source#isExhausted()} false) is passed on.
 */
public final class ChainSource implements Source {
    private final Source source;
    private final List<Operator> operators;

    /** Chains {@code operators} after {@code source}; closing closes all of them. */
    public ChainSource(Source source, List<Operator> operators) {
        this.source = source;
        this.operators = List.copyOf(operators);
    }

    @Override
    public String name() {
        return source.name();
    }

    @Override
    public Morsel next(TaskContext ctx) {
        while (true) {
            Morsel m = source.next(ctx);
            if (m == null) {
                return null;
            }
            for (int i = 0; i < operators.size() && m != null; i++) {
                m = operators.get(i).process(m, ctx);
            }
            if (m != null) {
                return m;
            }
        }
    }

    @Override
    public boolean isExhausted() {
        return source.isExhausted();
    }

    @Override
    public void detach() {
        source.detach();
    }

    @Override
    public void close() {
        source.close();
        operators.forEach(Operator::close);
    }
}
