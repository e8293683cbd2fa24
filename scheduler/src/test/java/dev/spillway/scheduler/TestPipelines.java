package dev.spillway.scheduler;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Field;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Small sources, operators and sinks for scheduler tests. */
final class TestPipelines {
    static final Schema SCHEMA = Schema.of(new Field("v", DataType.INT64, false));

    private TestPipelines() {
    }

    /** The int64 values [start, end) in morsels of {@code rows}; counts morsels in flight. */
    static class RangeSource implements Source {
        final long start;
        final long end;
        final int rows;
        final BlockPool pool;
        final MemoryBudget budget;
        final AtomicLong nextChunk = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();

        RangeSource(long start, long end, int rows, BlockPool pool, MemoryBudget budget) {
            this.start = start;
            this.end = end;
            this.rows = rows;
            this.pool = pool;
            this.budget = budget;
        }

        @Override
        public String name() {
            return "range";
        }

        @Override
        public Morsel next(TaskContext ctx) {
            long chunk = nextChunk.getAndIncrement();
            long from = start + chunk * rows;
            if (from >= end) {
                return null;
            }
            int n = (int) Math.min(rows, end - from);
            try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, n)) {
                for (int i = 0; i < n; i++) {
                    b.append(from + i);
                }
                int now = inFlight.incrementAndGet();
                maxInFlight.accumulateAndGet(now, Math::max);
                return new Morsel(SCHEMA, List.of(b.build()), n, chunk);
            }
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /** Sums column 0; one local long[] per worker. */
    static class SumSink implements Sink<long[]> {
        final AtomicLong total = new AtomicLong();
        final AtomicInteger locals = new AtomicInteger();
        final AtomicInteger combines = new AtomicInteger();
        final AtomicInteger finishes = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();
        final RangeSource source;
        volatile long result = Long.MIN_VALUE;

        SumSink(RangeSource source) {
            this.source = source;
        }

        @Override
        public String name() {
            return "sum";
        }

        @Override
        public long[] createLocal(TaskContext ctx) {
            locals.incrementAndGet();
            return new long[1];
        }

        @Override
        public void consume(long[] local, Morsel morsel, TaskContext ctx) {
            try (morsel) {
                Int64Vector v = (Int64Vector) morsel.column(0);
                for (int i = 0; i < v.length(); i++) {
                    local[0] += v.get(i);
                }
            }
            if (source != null) {
                source.inFlight.decrementAndGet();
            }
        }

        @Override
        public void combine(long[] local, TaskContext ctx) {
            combines.incrementAndGet();
            total.addAndGet(local[0]);
        }

        @Override
        public void finish(TaskContext ctx) {
            finishes.incrementAndGet();
            result = total.get();
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /** Passes morsels through; optionally sleeps, or throws on the n-th morsel. */
    static final class TestOperator implements Operator {
        final String name;
        final long sleepMillis;
        final int throwOn;
        final AtomicInteger seen = new AtomicInteger();

        TestOperator(String name, long sleepMillis, int throwOn) {
            this.name = name;
            this.sleepMillis = sleepMillis;
            this.throwOn = throwOn;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Morsel process(Morsel input, TaskContext ctx) {
            int n = seen.incrementAndGet();
            if (n == throwOn) {
                throw new IllegalStateException("boom on morsel " + n);
            }
            if (sleepMillis > 0) {
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return input;
        }
    }

    static long sum(long start, long end) {
        long n = end - start;
        return n == 0 ? 0 : (start + end - 1) * n / 2;
    }
}
