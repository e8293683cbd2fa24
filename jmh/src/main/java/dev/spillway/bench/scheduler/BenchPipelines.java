package dev.spillway.bench.scheduler;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Sources, operators and sinks shared by the scheduler benchmarks. */
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

    /** Passes the morsel on; counts rows so the JIT cannot drop the call. */
    static final class PassOperator implements Operator {
        private final String name;

        PassOperator(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Morsel process(Morsel input, TaskContext ctx) {
            return input;
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

    /**
     * The baseline: source, operators and sink called in a plain loop on the calling thread,
     * with the same phases the pool runs (one local, one combine, one finish).
     */
    static long runInLoop(Source source, List<Operator> operators, CountSink sink, TaskContext ctx) {
        long[] local = sink.createLocal(ctx);
        Morsel m;
        while ((m = source.next(ctx)) != null) {
            for (Operator op : operators) {
                m = op.process(m, ctx);
            }
            sink.consume(local, m, ctx);
        }
        sink.combine(local, ctx);
        sink.finish(ctx);
        return sink.rows.get();
    }
}
