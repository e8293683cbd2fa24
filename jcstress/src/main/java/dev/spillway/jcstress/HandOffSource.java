package dev.spillway.jcstress;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A source fed by another thread, as a pipeline running at the same time feeds a fan-out or an
 * exchange: the producer {@linkplain #publish publishes} morsels and then {@linkplain #end ends}.
 * It keeps the {@link Source} contract for transient ends: {@link #isExhausted()} reads the end
 * flag before the queue, and the producer writes them the other way round, so "exhausted" is
 * never said while a published morsel waits.
 */
final class HandOffSource implements Source {
    private final ConcurrentLinkedQueue<Morsel> queue = new ConcurrentLinkedQueue<>();
    private volatile boolean ended;

    void publish(Morsel m) {
        queue.add(m);
    }

    void end() {
        ended = true;
    }

    @Override
    public String name() {
        return "hand-off";
    }

    @Override
    public Morsel next(TaskContext ctx) {
        return queue.poll();
    }

    @Override
    public boolean isExhausted() {
        return ended && queue.isEmpty();
    }

    @Override
    public void close() {
        for (Morsel m; (m = queue.poll()) != null; ) {
            m.close();
        }
    }
}
