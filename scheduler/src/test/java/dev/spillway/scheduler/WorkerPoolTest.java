package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.TestPipelines.RangeSource;
import dev.spillway.scheduler.TestPipelines.SumSink;
import dev.spillway.scheduler.TestPipelines.TestOperator;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Queries that complete: correctness, phases, order, dependencies, sharing, stats. */
class WorkerPoolTest {
    private static final Duration HANG = Duration.ofSeconds(60);

    @Test
    void fiftyConcurrentSmallQueriesOnOnePoolAllCorrectAndBudgetBackToZero() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            int queries = 50;
            try (WorkerPool pool = new WorkerPool(2); ExecutorService clients = Executors.newFixedThreadPool(8)) {
                List<Future<Long>> results = new ArrayList<>();
                for (int q = 0; q < queries; q++) {
                    long end = 20_000L + 1_037L * q;
                    int rows = 500 + q;
                    int qq = q;
                    results.add(clients.submit(() -> {
                        RangeSource src = new RangeSource(0, end, rows, mem.pool(), mem.budget());
                        SumSink sink = new SumSink(src);
                        pool.submit(new QueryPlan("q" + qq, List.of(new Pipeline("p", src, List.of(), sink)))).await();
                        assertEquals(1, sink.finishes.get(), "one finish");
                        assertEquals(sink.locals.get(), sink.combines.get(), "one combine per local state");
                        assertTrue(src.closed.get() && sink.closed.get(), "closed after the query");
                        return sink.result;
                    }));
                }
                for (int q = 0; q < queries; q++) {
                    assertEquals(TestPipelines.sum(0, 20_000L + 1_037L * q), results.get(q).get(), "query " + q);
                }
                assertEquals(queries, pool.stats().queriesRun());
                assertEquals(0, pool.stats().queriesActive());
            }
            assertEquals(0, mem.budget().reserved(), "budget back to zero");
        }));
    }

    @Test
    void combineRunsOncePerWorkerLocalAndFinishOncePerSink() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 400_000, 1000, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                pool.run(new QueryPlan("phases", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("pass", 0, -1)), sink, 4))));
                assertEquals(TestPipelines.sum(0, 400_000), sink.result);
                assertTrue(sink.locals.get() >= 1 && sink.locals.get() <= pool.threads(), "locals: " + sink.locals.get());
                assertEquals(sink.localThreads.size(), sink.locals.get(), "one local per worker that ran the pipeline");
                assertEquals(sink.locals.get(), sink.combines.get());
                assertEquals(1, sink.finishes.get());
                assertEquals(400, sink.consumed.get());
            }
        }));
    }

    @Test
    void emptySourceStillFinishesTheSink() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 0, 100, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                QueryHandle h = pool.submit(new QueryPlan("empty", List.of(new Pipeline("p", src, List.of(), sink))));
                h.await();
                assertEquals(0, sink.result);
                assertEquals(0, sink.locals.get());
                assertEquals(1, sink.finishes.get());
                assertEquals(0, h.pipelineStats().get(0).morsels());
            }
        }));
    }

    @Test
    void dependentPipelineStartsOnlyAfterItsBreakerFinished() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource buildSrc = new RangeSource(0, 20_000, 100, mem.pool(), mem.budget());
                SumSink build = new SumSink(buildSrc);
                AtomicBoolean probeSawUnfinishedBuild = new AtomicBoolean();
                RangeSource probeSrc = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget()) {
                    @Override
                    public Morsel next(TaskContext ctx) {
                        if (build.finishes.get() != 1) {
                            probeSawUnfinishedBuild.set(true);
                        }
                        return super.next(ctx);
                    }
                };
                SumSink probe = new SumSink(probeSrc);
                Pipeline b = new Pipeline("build", buildSrc, List.of(), build);
                Pipeline p = new Pipeline("probe", probeSrc, List.of(), probe).dependsOn(b);
                QueryHandle h = pool.submit(new QueryPlan("join-like", List.of(p, b)));
                h.await();
                assertFalse(probeSawUnfinishedBuild.get(), "probe pulled before the build finished");
                assertEquals(TestPipelines.sum(0, 20_000), build.result);
                assertEquals(TestPipelines.sum(0, 10_000), probe.result);
                assertEquals(10_000, h.pipelineStats().get(0).rowsIn(), "stats in plan order: probe first");
                assertEquals(20_000, h.pipelineStats().get(1).rowsIn());
            }
        }));
    }

    @Test
    void diamondDagRunsEachPipelineAfterAllItsDependencies() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                List<String> events = Collections.synchronizedList(new ArrayList<>());
                String[] names = {"a", "b", "c", "d"};
                List<Pipeline> ps = new ArrayList<>();
                List<SumSink> sinks = new ArrayList<>();
                for (String n : names) {
                    RangeSource src = new RangeSource(0, 5_000, 100, mem.pool(), mem.budget()) {
                        private final AtomicBoolean first = new AtomicBoolean(true);

                        @Override
                        public Morsel next(TaskContext ctx) {
                            if (first.getAndSet(false)) {
                                events.add("start " + n);
                            }
                            return super.next(ctx);
                        }
                    };
                    SumSink sink = new SumSink(src) {
                        @Override
                        public void finish(TaskContext ctx) {
                            super.finish(ctx);
                            events.add("finish " + n);
                        }
                    };
                    sinks.add(sink);
                    ps.add(new Pipeline(n, src, List.of(), sink));
                }
                ps.get(1).dependsOn(ps.get(0));
                ps.get(2).dependsOn(ps.get(0));
                ps.get(3).dependsOn(ps.get(1)).dependsOn(ps.get(2));
                pool.run(new QueryPlan("diamond", List.of(ps.get(3), ps.get(2), ps.get(1), ps.get(0))));
                assertEquals(8, events.size(), events.toString());
                assertBefore(events, "finish a", "start b");
                assertBefore(events, "finish a", "start c");
                assertBefore(events, "finish b", "start d");
                assertBefore(events, "finish c", "start d");
                for (SumSink s : sinks) {
                    assertEquals(TestPipelines.sum(0, 5_000), s.result);
                }
            }
        }));
    }

    private static void assertBefore(List<String> events, String first, String then) {
        int i = events.indexOf(first);
        int j = events.indexOf(then);
        assertTrue(i >= 0 && j >= 0 && i < j, "expected '" + first + "' before '" + then + "' in " + events);
    }

    @Test
    void independentPipelinesOfOneQueryRunAtTheSameTimeThroughAnExchange() {
        // The consumer has no dependency on the producer: it starts at once, finds the exchange
        // empty ("nothing now"), and drains it while the producer is refused whenever 3 morsels
        // are buffered. The bound holds and every row arrives exactly once.
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                TestPipelines.Exchange ex = new TestPipelines.Exchange(3);
                RangeSource src = new RangeSource(0, 200_000, 1000, mem.pool(), mem.budget());
                SumSink out = new SumSink(null);
                Pipeline producer = new Pipeline("producer", src, List.of(), ex.sink, 4);
                Pipeline consumer = new Pipeline("consumer", ex.source, List.of(), out, 2);
                QueryHandle h = pool.submit(new QueryPlan("exchange", List.of(producer, consumer)));
                h.await();
                assertEquals(TestPipelines.sum(0, 200_000), out.result);
                assertEquals(200, out.consumed.get());
                assertTrue(ex.maxBuffered.get() <= 3, "exchange held " + ex.maxBuffered.get());
            }
        }));
    }

    @Test
    void smallQuerySubmittedBehindAnEndlessOneCompletes() {
        // One worker. With FIFO by query the small query would wait forever behind the endless
        // one; round-robin over tickets lets it finish while the big one still runs.
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(1)) {
                RangeSource endless = new RangeSource(0, Long.MAX_VALUE, 100, mem.pool(), mem.budget());
                SumSink bigSink = new SumSink(endless);
                QueryHandle big = pool.submit(new QueryPlan("big", List.of(new Pipeline("scan", endless, List.of(),
                        bigSink, 8))));
                while (endless.pulls.get() < 50) {
                    Thread.onSpinWait();
                }
                RangeSource small = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget());
                SumSink smallSink = new SumSink(small);
                pool.submit(new QueryPlan("small", List.of(new Pipeline("p", small, List.of(), smallSink)))).await();
                assertEquals(TestPipelines.sum(0, 10_000), smallSink.result);
                assertFalse(big.isDone(), "the big query is endless");
                assertTrue(big.cancel());
                QueryCancelledException e = org.junit.jupiter.api.Assertions.assertThrows(QueryCancelledException.class,
                        big::await);
                assertEquals("big", e.query());
            }
        }));
    }

    @Test
    void reorderBufferRestoresSourceOrderAfterParallelRun() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 300 * 50, 50, mem.pool(), mem.budget());
                OrderedSink ordered = new OrderedSink();
                pool.run(new QueryPlan("ordered", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("jitter", 0, -1)), ordered, 8))));
                assertEquals(300, ordered.order.size());
                for (int i = 0; i < ordered.order.size(); i++) {
                    assertEquals(i, ordered.order.get(i), "position " + i);
                }
                assertEquals(0, ordered.buffer.waitingCount());
            }
        }));
    }

    @Test
    void operatorReturningNullSkipsTheSequenceAndOrderIsStillRestored() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 300 * 50, 50, mem.pool(), mem.budget());
                Operator dropEveryThird = new Operator() {
                    @Override
                    public String name() {
                        return "drop-every-third";
                    }

                    @Override
                    public Morsel process(Morsel input, TaskContext ctx) {
                        if (input.sequence() % 3 == 0) {
                            input.close();
                            return null;
                        }
                        return input;
                    }
                };
                OrderedSink ordered = new OrderedSink();
                QueryHandle h = pool.submit(new QueryPlan("filtered", List.of(new Pipeline("p", src,
                        List.of(dropEveryThird), ordered, 8))));
                h.await();
                List<Long> expected = new ArrayList<>();
                for (long s = 0; s < 300; s++) {
                    if (s % 3 != 0) {
                        expected.add(s);
                    }
                }
                assertEquals(expected, ordered.order);
                assertEquals(0, ordered.buffer.waitingCount());
                PipelineStats ps = h.pipelineStats().get(0);
                assertEquals(100, ps.skippedMorsels());
                assertEquals(300, ps.morsels());
                assertEquals(200 * 50, ps.rowsOut());
            }
        }));
    }

    /** Records sequence numbers in restored order; honours skips. */
    static final class OrderedSink implements Sink<Void> {
        final List<Long> order = Collections.synchronizedList(new ArrayList<>());
        final ReorderBuffer<Morsel> buffer = new ReorderBuffer<>();

        @Override
        public String name() {
            return "ordered";
        }

        @Override
        public Void createLocal(TaskContext ctx) {
            return null;
        }

        @Override
        public void consume(Void local, Morsel morsel, TaskContext ctx) {
            buffer.add(morsel.sequence(), morsel, this::emit);
        }

        @Override
        public void skip(Void local, long sequence, TaskContext ctx) {
            buffer.skip(sequence, this::emit);
        }

        private void emit(Morsel m) {
            order.add(m.sequence());
            m.close();
        }

        @Override
        public void combine(Void local, TaskContext ctx) {
        }

        @Override
        public void finish(TaskContext ctx) {
        }

        @Override
        public void close() {
            buffer.drain().forEach(Morsel::close);
        }
    }

    @Test
    void statsCountMorselsRowsInFlightAndWorkerTime() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 12_345, 1000, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                QueryHandle h = pool.submit(new QueryPlan("stats", List.of(new Pipeline("p", src, List.of(), sink, 3))));
                h.await();
                PipelineStats ps = h.pipelineStats().get(0);
                assertEquals("p", ps.name());
                assertEquals(13, ps.morsels());
                assertEquals(12_345, ps.rowsIn());
                assertEquals(12_345, ps.rowsOut());
                assertEquals(0, ps.inFlight());
                assertEquals(3, ps.maxInFlight());
                assertTrue(ps.started() && ps.finished());
                assertTrue(ps.wallNanos() > 0 && ps.busyNanos() > 0, ps.toString());
                SchedulerStats s = pool.stats();
                assertEquals(2, s.workers().size());
                assertTrue(s.busyNanos() > 0);
                // 13 pulls + 3 exhausted pulls + at least one combine + one finish
                assertTrue(s.tasks() >= 18, "tasks: " + s.tasks());
                for (WorkerStats w : s.workers()) {
                    assertEquals(-1, w.cpu(), "not pinned");
                }
                assertEquals(1, s.queriesRun());
                assertFalse(h.context().isCancelled());
                assertEquals("stats", h.name());
            }
        }));
    }
}
