package dev.spillway.bench.scheduler;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.concurrent.atomic.AtomicLong;

/** Sources and sinks shared by the scheduler benchmarks. */
final class BenchPipelines {
    private BenchPipelines() {
    }

    /** Hands out {@code count} zero-copy views of one template morsel. */
    static final class RepeatSource implements Source {
        private final Morsel template;
        private final long count;
        private final AtomicLong next = new AtomicLong();

        RepeatSource(Morsel template, long count) {
            this.template = template;
            this.count = count;
        }

        @Override
        public String name() {
            return "repeat";
        }

        @Override
        public Morsel next(TaskContext ctx) {
            long i = next.getAndIncrement();
            return i < count ? template.withSequence(i) : null;
        }
    }

    /** Counts rows and drops the morsels. */
    static final class CountSink implements Sink<long[]> {
        final AtomicLong rows = new AtomicLong();

        @Override
        public String name() {
            return "count";
        }

        @Override
        public long[] createLocal(TaskContext ctx) {
            return new long[1];
        }

        @Override
        public void consume(long[] local, Morsel morsel, TaskContext ctx) {
            local[0] += morsel.rowCount();
            morsel.close();
        }

        @Override
        public void combine(long[] local, TaskContext ctx) {
            rows.addAndGet(local[0]);
        }

        @Override
        public void finish(TaskContext ctx) {
        }
    }
}
