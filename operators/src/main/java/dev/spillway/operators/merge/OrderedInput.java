package dev.spillway.operators.merge;

import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;
import java.util.TreeMap;

/**
 * One input of a merge, read in sequence order by one puller at a time (the caller serialises
 * calls): pulls the upstream source, runs the input's stateless operators, and hands out the
 * non-empty results in sequence order. A source that hands out morsels out of order is reordered
 * through a small map; a sequence number whose rows an operator dropped entirely is skipped.
 *
 * <p>Not thread-safe: the owning join calls it under its lock.
 */
public final class OrderedInput implements AutoCloseable {
    /** What {@link #pull} returns when the source has nothing now but more later. */
    public static final Morsel NOT_READY = null;

    private static final Schema EMPTY = new Schema(List.of());

    private final Source source;
    private final List<Operator> operators;
    private final TreeMap<Long, Morsel> waiting = new TreeMap<>();
    private long next;
    private boolean ended;
    private boolean closed;

    /** Reads {@code source} followed by {@code operators}; closing this closes all of them. */
    public OrderedInput(Source source, List<Operator> operators) {
        this.source = source;
        this.operators = List.copyOf(operators);
    }

    /** The upstream source's name. */
    public String name() {
        return source.name();
    }

    /**
     * The next non-empty morsel in sequence order (owned by the caller), or null: then
     * {@link #isEnded()} tells whether the input has ended or just has nothing now.
     */
    public Morsel pull(TaskContext ctx) {
        while (true) {
            Morsel ready = waiting.isEmpty() ? null : waiting.firstEntry().getValue();
            if (ready != null && (waiting.firstKey() == next || ended)) {
                waiting.pollFirstEntry();
                next = ready.sequence() + 1;
                if (ready.rowCount() > 0) {
                    return ready;
                }
                ready.close();
                continue;
            }
            if (ended) {
                return null;
            }
            Morsel m = source.next(ctx);
            if (m == null) {
                if (source.isExhausted()) {
                    ended = true;
                    continue;
                }
                return NOT_READY;
            }
            long seq = m.sequence();
            for (Operator op : operators) {
                m = op.process(m, ctx);
                if (m == null) {
                    break;
                }
            }
            if (m == null) {
                // Dropped whole: an empty placeholder keeps the sequence accounting simple.
                if (seq == next) {
                    next++;
                } else {
                    waiting.put(seq, new Morsel(EMPTY, List.of(), 0, seq));
                }
                continue;
            }
            waiting.put(seq, m);
        }
    }

    /** Whether every morsel has been handed out (meaningful after {@link #pull} returned null). */
    public boolean isEnded() {
        return ended && waiting.isEmpty();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        waiting.values().forEach(Morsel::close);
        waiting.clear();
        try {
            source.close();
        } finally {
            operators.forEach(Operator::close);
        }
    }
}
