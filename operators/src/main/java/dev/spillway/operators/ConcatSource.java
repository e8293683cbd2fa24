package dev.spillway.operators;

import dev.spillway.memory.Closeables;
import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;

/**
 * The morsels of several sources, source after source, renumbered densely. Pulls are serialised
 * so that renumbering follows each input's own order; the inputs' own parallelism is therefore
 * not used (a union of large scans runs one morsel at a time). An input that has nothing now but
 * more later (null with {@link Source#isExhausted()} false) makes this source report the same,
 * instead of moving on to the next input.
 */
public final class ConcatSource implements Source {
    private final List<Source> inputs;
    private int current;
    private long sequence;
    private volatile boolean exhausted;

    /** Creates the source; it closes the inputs when closed. */
    public ConcatSource(List<Source> inputs) {
        this.inputs = List.copyOf(inputs);
    }

    @Override
    public String name() {
        return "concat of " + inputs.size();
    }

    @Override
    public synchronized Morsel next(TaskContext ctx) {
        while (current < inputs.size()) {
            Morsel m = inputs.get(current).next(ctx);
            if (m != null) {
                try (m) {
                    return m.withSequence(sequence++);
                }
            }
            if (!inputs.get(current).isExhausted()) {
                return null;
            }
            current++;
        }
        exhausted = true;
        return null;
    }

    @Override
    public boolean isExhausted() {
        return exhausted;
    }

    /** Nobody pulls the concatenation any more, so nobody pulls any of its inputs. */
    @Override
    public void detach() {
        inputs.forEach(Source::detach);
    }

    @Override
    public void close() {
        Closeables.closeAll(inputs);
    }
}
