package dev.spillway.scheduler;

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
import java.util.concurrent.atomic.AtomicInteger;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerPoolTest {
    private static final Duration HANG = Duration.ofSeconds(60);

    @Test
    void manySmallQueriesAtOnceAllCorrect() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false); ExecutorService clients = Executors.newFixedThreadPool(4)) {
                List<Future<Long>> results = new ArrayList<>();
                for (int q = 0; q < 60; q++) {
                    long end = 1000L + 137L * q;
                    int rows = 64 + q;
                    int qq = q;
                    results.add(clients.submit(() -> {
                        RangeSource src = new RangeSource(0, end, rows, mem.pool(), mem.budget());
                        SumSink sink = new SumSink(src);
                        pool.submit(new QueryPlan("q" + qq, List.of(new Pipeline("p", src, List.of(), sink)))).await();
                        assertEquals(1, sink.finishes.get());
                        assertEquals(sink.locals.get(), sink.combines.get(), "one combine per local state");
                        assertTrue(src.closed.get() && sink.closed.get(), "closed after the query");
                        return sink.result;
                    }));
                }
                for (int q = 0; q < results.size(); q++) {
                    assertEquals(TestPipelines.sum(0, 1000L + 137L * q), results.get(q).get(), "query " + q);
                }
                assertEquals(60, pool.stats().queriesRun());
                assertEquals(0, pool.stats().queriesActive());
            }
        }));
    }

    @Test
    void operatorThatThrowsOnItsNthMorselFailsTheQueryNamingIt() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource src = new RangeSource(0, 100_000, 1000, mem.pool(), mem.budget());
                TestOperator bad = new TestOperator("explode", 0, 7);
                SumSink sink = new SumSink(src);
                AtomicBoolean resourceClosed = new AtomicBoolean();
                QueryContext ctx = new QueryContext("failing");
                ctx.register(() -> resourceClosed.set(true));
                QueryHandle h = pool.submit(new QueryPlan("failing", List.of(new Pipeline("scan", src, List.of(bad), sink))), ctx);
                QueryExecutionException e = assertThrows(QueryExecutionException.class, h::await);
                assertTrue(e.getMessage().contains("pipeline 'scan'") && e.getMessage().contains("operator 'explode'"),
                        e.getMessage());
                assertEquals("explode", e.operator());
                assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getMessage().equals("boom on morsel 7"));
                assertTrue(resourceClosed.get() && src.closed.get() && sink.closed.get());
                assertEquals(Long.MIN_VALUE, sink.result, "finish never ran");

                // The workers survived: the pool still runs queries.
                RangeSource src2 = new RangeSource(0, 5000, 100, mem.pool(), mem.budget());
                SumSink sink2 = new SumSink(src2);
                pool.run(new QueryPlan("after", List.of(new Pipeline("p", src2, List.of(), sink2))));
                assertEquals(TestPipelines.sum(0, 5000), sink2.result);
            }
        }));
    }

    @Test
    void cancellationMidFlightStopsAndReleases() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource src = new RangeSource(0, 10_000_000, 1000, mem.pool(), mem.budget());
                TestOperator slow = new TestOperator("slow", 2, -1);
                SumSink sink = new SumSink(src);
                AtomicBoolean resourceClosed = new AtomicBoolean();
                QueryContext ctx = new QueryContext("long");
                ctx.register(() -> resourceClosed.set(true));
                QueryHandle h = pool.submit(new QueryPlan("long", List.of(new Pipeline("p", src, List.of(slow), sink))), ctx);
                while (slow.seen.get() < 5) {
                    Thread.onSpinWait();
                }
                h.cancel();
                QueryExecutionException e = assertThrows(QueryExecutionException.class, h::await);
                assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
                assertTrue(h.isDone() && resourceClosed.get() && src.closed.get());
                assertTrue(slow.seen.get() < 10_000, "stopped promptly, not after the whole source");
            }
        }));
    }

    @Test
    void timeoutCancelsAndReleasesRegisteredResources() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource src = new RangeSource(0, 10_000_000, 1000, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                AtomicBoolean resourceClosed = new AtomicBoolean();
                QueryContext ctx = new QueryContext("slow");
                ctx.register(() -> resourceClosed.set(true));
                QueryHandle h = pool.submit(new QueryPlan("slow", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("sleepy", 5, -1)), sink))), ctx);
                QueryExecutionException e = assertThrows(QueryExecutionException.class,
                        () -> h.await(Duration.ofMillis(100)));
                assertTrue(e.getMessage().contains("timed out after 100 ms"), e.getMessage());
                assertTrue(resourceClosed.get());
            }
        }));
    }

    @Test
    void slowSinkBoundsTheMorselsInFlight() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource src = new RangeSource(0, 200 * 500, 500, mem.pool(), mem.budget());
                SumSink slowSink = new SumSink(src) {
                    @Override
                    public void consume(long[] local, Morsel morsel, TaskContext ctx) {
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        super.consume(local, morsel, ctx);
                    }
                };
                pool.run(new QueryPlan("bounded", List.of(new Pipeline("p", src, List.of(), slowSink, 2))));
                assertEquals(TestPipelines.sum(0, 100_000), slowSink.result);
                assertTrue(src.maxInFlight.get() <= 2, "in flight: " + src.maxInFlight.get());
            }
        }));
    }

    @Test
    void sinkThatIsNotReadyIsNotFedUntilItIs() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource src = new RangeSource(0, 50_000, 1000, mem.pool(), mem.budget());
                AtomicInteger readyChecks = new AtomicInteger();
                AtomicInteger consumedWhileBlocked = new AtomicInteger();
                SumSink sink = new SumSink(src) {
                    @Override
                    public boolean ready() {
                        // Refuses the first 200 polls, as a spilling sink would.
                        return readyChecks.incrementAndGet() > 200;
                    }

                    @Override
                    public void consume(long[] local, Morsel morsel, TaskContext ctx) {
                        if (readyChecks.get() <= 200) {
                            consumedWhileBlocked.incrementAndGet();
                        }
                        super.consume(local, morsel, ctx);
                    }
                };
                QueryHandle h = pool.submit(new QueryPlan("blocked", List.of(new Pipeline("p", src, List.of(), sink))));
                h.await();
                assertEquals(TestPipelines.sum(0, 50_000), sink.result);
                assertEquals(0, consumedWhileBlocked.get());
                assertTrue(h.pipelineStats().get(0).refusals() >= 200, h.pipelineStats().toString());
            }
        }));
    }

    @Test
    void dependentPipelineStartsAfterItsBreakerFinished() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource buildSrc = new RangeSource(0, 20_000, 100, mem.pool(), mem.budget());
                SumSink build = new SumSink(buildSrc);
                AtomicBoolean sawBuildFinished = new AtomicBoolean(true);
                RangeSource probeSrc = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget()) {
                    @Override
                    public Morsel next(TaskContext ctx) {
                        if (build.finishes.get() != 1) {
                            sawBuildFinished.set(false);
                        }
                        return super.next(ctx);
                    }
                };
                SumSink probe = new SumSink(probeSrc);
                Pipeline b = new Pipeline("build", buildSrc, List.of(), build);
                Pipeline p = new Pipeline("probe", probeSrc, List.of(), probe).dependsOn(b);
                QueryHandle h = pool.submit(new QueryPlan("join-like", List.of(p, b)));
                h.await();
                assertTrue(sawBuildFinished.get());
                assertEquals(TestPipelines.sum(0, 20_000), build.result);
                assertEquals(TestPipelines.sum(0, 10_000), probe.result);
                assertEquals(20_000, h.pipelineStats().get(1).rowsIn());
            }
        }));
    }

    @Test
    void cyclesAndForeignDependenciesAreRejected() {
        Source none = new Source() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public Morsel next(TaskContext ctx) {
                return null;
            }
        };
        SumSink s = new SumSink(null);
        Pipeline a = new Pipeline("a", none, List.of(), s);
        Pipeline b = new Pipeline("b", none, List.of(), s).dependsOn(a);
        a.dependsOn(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new QueryPlan("q", List.of(a, b)));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        Pipeline c = new Pipeline("c", none, List.of(), s).dependsOn(new Pipeline("x", none, List.of(), s));
        e = assertThrows(IllegalArgumentException.class, () -> new QueryPlan("q", List.of(c)));
        assertTrue(e.getMessage().contains("'x', which is not part of query"), e.getMessage());
    }

    @Test
    void reorderBufferRestoresSourceOrderAfterParallelRun() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource src = new RangeSource(0, 300 * 50, 50, mem.pool(), mem.budget());
                List<Long> order = Collections.synchronizedList(new ArrayList<>());
                ReorderBuffer<Morsel> buffer = new ReorderBuffer<>();
                Sink<Void> ordered = new Sink<>() {
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
                        buffer.add(morsel.sequence(), morsel, m -> {
                            order.add(m.sequence());
                            m.close();
                        });
                    }

                    @Override
                    public void combine(Void local, TaskContext ctx) {
                    }

                    @Override
                    public void finish(TaskContext ctx) {
                    }
                };
                pool.run(new QueryPlan("ordered", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("jitter", 0, -1)), ordered, 8))));
                assertEquals(300, order.size());
                for (int i = 0; i < order.size(); i++) {
                    assertEquals(i, order.get(i));
                }
                assertEquals(0, buffer.waitingCount());
            }
        }));
    }

    @Test
    void failureInFinishIsNamed() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(1, false)) {
                RangeSource src = new RangeSource(0, 1000, 100, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src) {
                    @Override
                    public void finish(TaskContext ctx) {
                        throw new UnsupportedOperationException("cannot finish");
                    }
                };
                QueryExecutionException e = assertThrows(QueryExecutionException.class,
                        () -> pool.run(new QueryPlan("q", List.of(new Pipeline("agg", src, List.of(), sink)))));
                assertTrue(e.getMessage().contains("pipeline 'agg' at operator 'sum'"), e.getMessage());
            }
        }));
    }

    @Test
    void closingThePoolCancelsRunningQueriesAndJoinsWorkers() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            WorkerPool pool = new WorkerPool(2, false);
            RangeSource src = new RangeSource(0, 100_000_000, 1000, mem.pool(), mem.budget());
            SumSink sink = new SumSink(src);
            QueryHandle h = pool.submit(new QueryPlan("endless", List.of(new Pipeline("p", src,
                    List.of(new TestOperator("slow", 1, -1)), sink))));
            pool.close();
            assertTrue(h.isDone());
            QueryExecutionException e = assertThrows(QueryExecutionException.class, h::await);
            assertTrue(e.getMessage().contains("worker pool is closing"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> pool.submit(new QueryPlan("late", List.of(new Pipeline("p",
                    src, List.of(), sink)))));
            // close() joined every worker: none of this pool's threads is alive any more.
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                assertFalse(t.getName().startsWith("spillway-worker-") && t.isAlive(), "still alive: " + t);
            }
            pool.close();
        }));
    }

    @Test
    void statsCountMorselsRowsAndWorkerTime() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2, false)) {
                RangeSource src = new RangeSource(0, 12_345, 1000, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                QueryHandle h = pool.submit(new QueryPlan("stats", List.of(new Pipeline("p", src, List.of(), sink))));
                h.await();
                PipelineStats ps = h.pipelineStats().get(0);
                assertEquals(13, ps.morsels());
                assertEquals(12_345, ps.rowsIn());
                assertEquals(12_345, ps.rowsOut());
                assertTrue(ps.wallNanos() > 0);
                assertTrue(pool.stats().busyNanos() > 0);
                assertSame(h.context(), h.context());
                assertFalse(h.context().isCancelled());
            }
        }));
    }
}
