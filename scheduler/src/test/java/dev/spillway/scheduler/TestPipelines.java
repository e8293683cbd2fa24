package dev.spillway.scheduler;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Small sources, operators and sinks for scheduler tests. */
final class TestPipelines {
    static final Schema SCHEMA = Schema.of(new Field("v", DataType.INT64, false));

    private TestPipelines() {
    }

    /** Sum of the int64 values in {@code [start, end)}. */
    static long sum(long start, long end) {
        long n = end - start;
        return n == 0 ? 0 : (start + end - 1) * n / 2;
    }

    /** Sum of column 0 of a morsel. */
    static long sumOf(Morsel m) {
        Int64Vector v = (Int64Vector) m.column(0);
        long s = 0;
        for (int i = 0; i < v.length(); i++) {
            s += v.get(i);
        }
        return s;
    }

    /** An int64 morsel holding {@code [from, from + n)}. */
    static Morsel morsel(long from, int n, long sequence, BlockPool pool, MemoryBudget budget) {
        try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, Math.max(n, 1))) {
            for (int i = 0; i < n; i++) {
                b.append(from + i);
            }
            return new Morsel(SCHEMA, List.of(b.build()), n, sequence);
        }
    }

    /**
     * The int64 values [start, end) in morsels of {@code rows}, sequence = chunk index. Counts the
     * morsels it handed out that no sink has consumed yet ({@link SumSink} reports consumption).
     */
    static class RangeSource implements Source {
        final long start;
        final long end;
        final int rows;
        final BlockPool pool;
        final MemoryBudget budget;
        final AtomicLong nextChunk = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final AtomicInteger pulls = new AtomicInteger();
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
            if (from >= end || from < start) {
                return null;
            }
            pulls.incrementAndGet();
            int n = (int) Math.min(rows, end - from);
            Morsel m = morsel(from, n, chunk, pool, budget);
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            return m;
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /** Sums column 0; one local long[] per worker; counts its phases. */
    static class SumSink implements Sink<long[]> {
        final AtomicLong total = new AtomicLong();
        final AtomicInteger locals = new AtomicInteger();
        final AtomicInteger combines = new AtomicInteger();
        final AtomicInteger finishes = new AtomicInteger();
        final AtomicInteger consumed = new AtomicInteger();
        final Set<Thread> localThreads = ConcurrentHashMap.newKeySet();
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
            localThreads.add(Thread.currentThread());
            return new long[1];
        }

        @Override
        public void consume(long[] local, Morsel morsel, TaskContext ctx) {
            try (morsel) {
                local[0] += sumOf(morsel);
            }
            consumed.incrementAndGet();
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
        final AtomicBoolean closed = new AtomicBoolean();

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

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /**
     * A local state that owns native memory, so a leak check notices when the scheduler fails to
     * close a local that never reached combine.
     */
    static final class NativeLocal implements AutoCloseable {
        final NativeBuffer scratch;
        long sum;

        NativeLocal(BlockPool pool, MemoryBudget budget) {
            scratch = pool.allocate(budget, 4096);
        }

        @Override
        public void close() {
            scratch.close();
        }
    }

    /** Sums into {@link NativeLocal}s; combine takes ownership and frees the local's memory. */
    static class NativeSumSink implements Sink<NativeLocal> {
        final BlockPool pool;
        final MemoryBudget budget;
        final AtomicLong total = new AtomicLong();
        volatile long result = Long.MIN_VALUE;

        NativeSumSink(BlockPool pool, MemoryBudget budget) {
            this.pool = pool;
            this.budget = budget;
        }

        @Override
        public String name() {
            return "native-sum";
        }

        @Override
        public NativeLocal createLocal(TaskContext ctx) {
            return new NativeLocal(pool, budget);
        }

        @Override
        public void consume(NativeLocal local, Morsel morsel, TaskContext ctx) {
            try (morsel) {
                local.sum += sumOf(morsel);
            }
        }

        @Override
        public void combine(NativeLocal local, TaskContext ctx) {
            try (local) {
                total.addAndGet(local.sum);
            }
        }

        @Override
        public void finish(TaskContext ctx) {
            result = total.get();
        }
    }

    /**
     * Hands morsels from a pipeline to another that runs at the same time: the sink of the
     * producer and the source of the consumer. The sink refuses morsels while {@code capacity}
     * are buffered; the source says "nothing now" while the buffer is empty and the producer has
     * not finished.
     */
    static final class Exchange {
        final ConcurrentLinkedQueue<Morsel> buffer = new ConcurrentLinkedQueue<>();
        final AtomicInteger buffered = new AtomicInteger();
        final AtomicInteger maxBuffered = new AtomicInteger();
        final AtomicLong nextSequence = new AtomicLong();
        final int capacity;
        volatile boolean producerFinished;

        Exchange(int capacity) {
            this.capacity = capacity;
        }

        final Sink<Void> sink = new Sink<>() {
            @Override
            public String name() {
                return "exchange-sink";
            }

            @Override
            public Void createLocal(TaskContext ctx) {
                return null;
            }

            @Override
            public void consume(Void local, Morsel morsel, TaskContext ctx) {
                if (!offer(local, morsel, ctx)) {
                    throw new IllegalStateException("exchange full");
                }
            }

            @Override
            public boolean offer(Void local, Morsel morsel, TaskContext ctx) {
                // Reserve a slot first so the bound holds under concurrent offers.
                int now = buffered.incrementAndGet();
                if (now > capacity) {
                    buffered.decrementAndGet();
                    return false;
                }
                maxBuffered.accumulateAndGet(now, Math::max);
                buffer.add(morsel);
                return true;
            }

            @Override
            public void combine(Void local, TaskContext ctx) {
            }

            @Override
            public void finish(TaskContext ctx) {
                producerFinished = true;
            }

            @Override
            public void close() {
                drain();
            }
        };

        final Source source = new Source() {
            @Override
            public String name() {
                return "exchange-source";
            }

            @Override
            public Morsel next(TaskContext ctx) {
                Morsel m = buffer.poll();
                if (m == null) {
                    return null;
                }
                buffered.decrementAndGet();
                try (m) {
                    return m.withSequence(nextSequence.getAndIncrement());
                }
            }

            @Override
            public boolean isExhausted() {
                // Read the flag first: once it is set, no morsel is added any more.
                return producerFinished && buffer.isEmpty();
            }

            @Override
            public void close() {
                drain();
            }
        };

        private void drain() {
            for (Morsel m; (m = buffer.poll()) != null; ) {
                m.close();
            }
        }
    }
}
