package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;

/** A source followed by operators, as one source (an input of a {@link ConcatSource}). */
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
        Morsel m = source.next(ctx);
        if (m == null) {
            return null;
        }
        for (Operator op : operators) {
            m = op.process(m, ctx);
        }
        return m;
    }

    @Override
    public void close() {
        source.close();
        operators.forEach(Operator::close);
    }
}
