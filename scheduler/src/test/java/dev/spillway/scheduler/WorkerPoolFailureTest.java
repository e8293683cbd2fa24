package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.QueryExecutionException;
import dev.spillway.errors.QueryTimeoutException;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.TestPipelines.NativeSumSink;
import dev.spillway.scheduler.TestPipelines.RangeSource;
import dev.spillway.scheduler.TestPipelines.SumSink;
import dev.spillway.scheduler.TestPipelines.TestOperator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failures, cancellation, timeouts and shutdown: the query stops, everything is released, workers survive. */
class WorkerPoolFailureTest {
    private static final Duration HANG = Duration.ofSeconds(60);

    /** A stand-in for a spill file: created in the leak-checked temp root, deleted on close. */
    private static AutoCloseable spillFile(Path root, String name) throws IOException {
        Path f = Files.writeString(root.resolve(name), "spilled bytes");
        return () -> {
            try {
                Files.delete(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    @Test
    void operatorThatThrowsOnItsNthMorselFailsTheQueryNamingItAndReleasesEverything() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 100_000, 1000, mem.pool(), mem.budget());
                TestOperator bad = new TestOperator("explode", 0, 7);
                NativeSumSink sink = new NativeSumSink(mem.pool(), mem.budget());
                QueryContext ctx = new QueryContext("failing");
                ctx.register(spillFile(mem.tempRoot(), "spill-0"));
                ctx.register(mem.budget().child("failing-query"));
                QueryHandle h = pool.submit(new QueryPlan("failing", List.of(new Pipeline("scan", src,
                        List.of(new TestOperator("before", 0, -1), bad), sink))), ctx);
                QueryExecutionException e = assertThrows(QueryExecutionException.class, h::await);
                assertEquals("query 'failing' failed in pipeline 'scan' at operator 'explode': "
                        + "java.lang.IllegalStateException: boom on morsel 7", e.getMessage());
                assertEquals("failing", e.query());
                assertEquals("scan", e.pipeline());
                assertEquals("explode", e.operator());
                assertInstanceOf(IllegalStateException.class, e.getCause());
                assertEquals("boom on morsel 7", e.getCause().getMessage());
                assertTrue(src.closed.get() && bad.closed.get(), "source and operators closed");
                assertEquals(Long.MIN_VALUE, sink.result, "finish never ran");
                assertTrue(ctx.isCancelled());
                assertSame(e.getCause(), ctx.failure());
                // Worker-local states (native memory) that never reached combine were closed:
                // the leak check around this test verifies it.

                // The workers survived: the pool still runs queries.
                RangeSource src2 = new RangeSource(0, 5000, 100, mem.pool(), mem.budget());
                SumSink sink2 = new SumSink(src2);
                pool.run(new QueryPlan("after", List.of(new Pipeline("p", src2, List.of(), sink2))));
                assertEquals(TestPipelines.sum(0, 5000), sink2.result);
            }
        }));
    }

    @Test
    void failuresInSourceSinkPhasesAreNamedAfterTheirStage() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                record Case(String stage, Sink<long[]> sink, RangeSource source) {
                }
                List<Case> cases = new ArrayList<>();
                RangeSource s1 = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget()) {
                    @Override
                    public Morsel next(TaskContext ctx) {
                        if (nextChunk.get() >= 5) {
                            throw new UnsupportedOperationException("unreadable chunk");
                        }
                        return super.next(ctx);
                    }
                };
                cases.add(new Case("range", new SumSink(s1), s1));
                RangeSource s2 = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget());
                cases.add(new Case("sum", new SumSink(s2) {
                    @Override
                    public long[] createLocal(TaskContext ctx) {
                        throw new UnsupportedOperationException("no local");
                    }
                }, s2));
                RangeSource s3 = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget());
                cases.add(new Case("sum", new SumSink(s3) {
                    @Override
                    public void combine(long[] local, TaskContext ctx) {
                        throw new UnsupportedOperationException("cannot combine");
                    }
                }, s3));
                RangeSource s4 = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget());
                cases.add(new Case("sum", new SumSink(s4) {
                    @Override
                    public void finish(TaskContext ctx) {
                        throw new UnsupportedOperationException("cannot finish");
                    }
                }, s4));
                RangeSource s5 = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget());
                cases.add(new Case("sum", new SumSink(s5) {
                    @Override
                    public void consume(long[] local, Morsel morsel, TaskContext ctx) {
                        // Throws without closing the morsel: the scheduler must close it.
                        throw new UnsupportedOperationException("cannot consume");
                    }
                }, s5));
                for (Case c : cases) {
                    QueryExecutionException e = assertThrows(QueryExecutionException.class, () -> pool.run(
                            new QueryPlan("q", List.of(new Pipeline("agg", c.source(), List.of(), c.sink())))));
                    assertTrue(e.getMessage().startsWith("query 'q' failed in pipeline 'agg' at operator '" + c.stage()
                            + "': java.lang.UnsupportedOperationException"), e.getMessage());
                    assertEquals(c.stage(), e.operator());
                    assertInstanceOf(UnsupportedOperationException.class, e.getCause());
                    assertTrue(c.source().closed.get());
                }
            }
        }));
    }

    @Test
    void errorsAreReportedLikeExceptionsAndWorkersSurvive() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(1)) {
                for (int round = 0; round < 3; round++) {
                    RangeSource src = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget());
                    Operator overflow = new Operator() {
                        @Override
                        public String name() {
                            return "deep";
                        }

                        @Override
                        public Morsel process(Morsel input, TaskContext ctx) {
                            throw new StackOverflowError("simulated");
                        }
                    };
                    QueryExecutionException e = assertThrows(QueryExecutionException.class, () -> pool.run(
                            new QueryPlan("err", List.of(new Pipeline("p", src, List.of(overflow), new SumSink(src))))));
                    assertInstanceOf(StackOverflowError.class, e.getCause());
                    assertEquals("deep", e.operator());
                }
                RangeSource src = new RangeSource(0, 10_000, 100, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                pool.run(new QueryPlan("ok", List.of(new Pipeline("p", src, List.of(), sink))));
                assertEquals(TestPipelines.sum(0, 10_000), sink.result);
            }
        }));
    }

    @Test
    void laterFailuresAreSuppressedOnTheQueryExceptionNotOnTheOriginal() throws Exception {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                // Both workers enter the operator before either throws, so there are two failures.
                CyclicBarrier both = new CyclicBarrier(2);
                AtomicInteger n = new AtomicInteger();
                Operator twice = new Operator() {
                    @Override
                    public String name() {
                        return "twice";
                    }

                    @Override
                    public Morsel process(Morsel input, TaskContext ctx) {
                        int i = n.incrementAndGet();
                        if (i <= 2) {
                            try {
                                both.await(30, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                throw new AssertionError("the second worker never arrived", e);
                            }
                            throw new IllegalArgumentException("failure " + i);
                        }
                        return input;
                    }
                };
                RangeSource src = new RangeSource(0, 100_000, 100, mem.pool(), mem.budget());
                QueryExecutionException e = assertThrows(QueryExecutionException.class, () -> pool.run(
                        new QueryPlan("two", List.of(new Pipeline("p", src, List.of(twice), new SumSink(src), 4)))));
                assertEquals(1, e.getSuppressed().length, "the other failure is attached");
                assertInstanceOf(IllegalArgumentException.class, e.getSuppressed()[0]);
                assertEquals(0, e.getCause().getSuppressed().length, "the original is left untouched");
                assertFalse(e.getCause() == e.getSuppressed()[0]);
            }
        }));
    }

    @Test
    void cancellationMidFlightStopsPromptlyAndReleases() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 10_000_000, 1000, mem.pool(), mem.budget());
                TestOperator slow = new TestOperator("slow", 2, -1);
                NativeSumSink sink = new NativeSumSink(mem.pool(), mem.budget());
                QueryContext ctx = new QueryContext("long");
                ctx.register(spillFile(mem.tempRoot(), "spill-1"));
                QueryHandle h = pool.submit(new QueryPlan("long", List.of(new Pipeline("p", src, List.of(slow), sink))), ctx);
                while (slow.seen.get() < 5) {
                    Thread.onSpinWait();
                }
                assertTrue(h.cancel());
                QueryCancelledException e = assertThrows(QueryCancelledException.class, h::await);
                assertEquals("query 'long' was cancelled", e.getMessage());
                assertNull(e.operator());
                assertTrue(h.isDone() && src.closed.get() && slow.closed.get());
                int seenAtEnd = slow.seen.get();
                assertTrue(seenAtEnd < 10_000, "stopped promptly, not after the whole source: " + seenAtEnd);
                assertFalse(h.cancel(), "already ended");
                assertEquals(seenAtEnd, slow.seen.get(), "nothing runs after the query ended");
            }
        }));
    }

    @Test
    void awaitWithTimeoutCancelsAndReleasesRegisteredResources() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 10_000_000, 1000, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                AtomicBoolean resourceClosed = new AtomicBoolean();
                QueryContext ctx = new QueryContext("slow");
                ctx.register(() -> resourceClosed.set(true));
                ctx.register(spillFile(mem.tempRoot(), "spill-2"));
                QueryHandle h = pool.submit(new QueryPlan("slow", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("sleepy", 5, -1)), sink))), ctx);
                QueryTimeoutException e = assertThrows(QueryTimeoutException.class, () -> h.await(Duration.ofMillis(100)));
                assertTrue(e.getMessage().startsWith("query 'slow' timed out: deadline 100 ms, cancelled after "), e.getMessage());
                assertTrue(e.elapsed().compareTo(Duration.ofMillis(100)) >= 0, "elapsed " + e.elapsed());
                assertEquals(Duration.ofMillis(100), e.timeout());
                assertTrue(resourceClosed.get() && h.isDone());
                assertThrows(QueryTimeoutException.class, h::await, "the outcome stays the timeout");
            }
        }));
    }

    @Test
    void queryTimeoutFromTheContextCancelsWithoutAnyoneWaitingWithATimeout() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, Long.MAX_VALUE, 1000, mem.pool(), mem.budget());
                QueryContext ctx = new QueryContext("deadline", Duration.ofMillis(50));
                ctx.register(spillFile(mem.tempRoot(), "spill-3"));
                QueryHandle h = pool.submit(new QueryPlan("deadline", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("sleepy", 1, -1)), new NativeSumSink(mem.pool(), mem.budget())))), ctx);
                QueryTimeoutException e = assertThrows(QueryTimeoutException.class, h::await);
                assertTrue(e.getMessage().startsWith("query 'deadline' timed out: deadline 50 ms, cancelled after "), e.getMessage());
                assertTrue(e.elapsed().compareTo(Duration.ofMillis(50)) >= 0, "elapsed " + e.elapsed());
                assertTrue(src.closed.get());
            }
            assertThrows(IllegalArgumentException.class, () -> new QueryContext("q", Duration.ZERO));
        }));
    }

    @Test
    void aDeadlineCountedFromAnEarlierStartIncludesTheTimeBeforeSubmission() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, Long.MAX_VALUE, 1000, mem.pool(), mem.budget());
                // The caller started 10 s ago (planning, say): a 5 s deadline has passed at submission.
                long started = System.nanoTime() - TimeUnit.SECONDS.toNanos(10);
                QueryContext ctx = new QueryContext("late", Duration.ofSeconds(5), started);
                QueryHandle h = pool.submit(new QueryPlan("late", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("sleepy", 1, -1)), new NativeSumSink(mem.pool(), mem.budget())))), ctx);
                QueryTimeoutException e = assertThrows(QueryTimeoutException.class, h::await);
                assertTrue(e.getMessage().startsWith("query 'late' timed out: deadline 5000 ms, cancelled after "), e.getMessage());
                assertTrue(e.elapsed().compareTo(Duration.ofSeconds(10)) >= 0, "elapsed " + e.elapsed());
                assertEquals(Duration.ofSeconds(5), e.timeout());
                assertTrue(src.closed.get());
            }
        }));
    }

    @Test
    void interruptingTheWaitingThreadCancelsTheQuery() throws Exception {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, Long.MAX_VALUE, 1000, mem.pool(), mem.budget());
                QueryHandle h = pool.submit(new QueryPlan("endless", List.of(new Pipeline("p", src,
                        List.of(new TestOperator("sleepy", 1, -1)), new SumSink(src)))));
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                AtomicBoolean flagRestored = new AtomicBoolean();
                Thread waiter = new Thread(() -> {
                    try {
                        h.await();
                    } catch (Throwable t) {
                        thrown.set(t);
                        flagRestored.set(Thread.currentThread().isInterrupted());
                    }
                });
                waiter.start();
                while (src.pulls.get() < 3) {
                    Thread.onSpinWait();
                }
                waiter.interrupt();
                waiter.join();
                assertInstanceOf(QueryCancelledException.class, thrown.get());
                assertTrue(thrown.get().getMessage().contains("the waiting thread was interrupted"),
                        thrown.get().getMessage());
                assertTrue(flagRestored.get(), "interrupt flag restored");
                assertTrue(h.isDone() && src.closed.get());
            }
        }));
    }

    @Test
    void resourceThatFailsToCloseFailsAnOtherwiseSuccessfulQuery() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(1)) {
                RangeSource src = new RangeSource(0, 1000, 100, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                QueryContext ctx = new QueryContext("leaky");
                AtomicBoolean otherClosed = new AtomicBoolean();
                ctx.register(() -> otherClosed.set(true));
                ctx.register(() -> {
                    throw new IOException("disk gone");
                });
                QueryExecutionException e = assertThrows(QueryExecutionException.class, () -> pool.submit(
                        new QueryPlan("leaky", List.of(new Pipeline("p", src, List.of(), sink))), ctx).await());
                assertTrue(e.getMessage().startsWith("query 'leaky' completed but failed to release its resources"),
                        e.getMessage());
                assertInstanceOf(IOException.class, e.getCause());
                assertTrue(otherClosed.get(), "the remaining resources are still closed");
                assertEquals(TestPipelines.sum(0, 1000), sink.result);

                IllegalStateException late = assertThrows(IllegalStateException.class,
                        () -> ctx.register(spillFile(mem.tempRoot(), "late")));
                assertTrue(late.getMessage().contains("has ended"), late.getMessage());
            }
        }));
    }

    @Test
    void cancelRacingWithCompletionReportsWhatReallyHappened() {
        // Whatever the interleaving, cancel() returns true exactly when the query reports a
        // cancellation, and a completed query stays completed.
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                for (int q = 0; q < 300; q++) {
                    RangeSource src = new RangeSource(0, 500 + q, 100, mem.pool(), mem.budget());
                    SumSink sink = new SumSink(src);
                    QueryHandle h = pool.submit(new QueryPlan("race" + q, List.of(new Pipeline("p", src, List.of(), sink))));
                    for (int spin = 0; spin < q * 10; spin++) {
                        Thread.onSpinWait();
                    }
                    boolean byUs = h.cancel();
                    try {
                        h.await();
                        assertFalse(byUs, "cancel() claimed a query that completed: race" + q);
                        assertEquals(TestPipelines.sum(0, 500 + q), sink.result);
                        assertFalse(h.context().isCancelled());
                        assertNull(h.context().failure());
                    } catch (QueryCancelledException e) {
                        assertTrue(byUs, "cancelled although cancel() said it did not: race" + q);
                    }
                    assertFalse(h.cancel(), "a second cancel never decides anything");
                }
            }
        }));
    }

    @Test
    void planAndContextRunOnce() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(1)) {
                RangeSource src = new RangeSource(0, 1000, 100, mem.pool(), mem.budget());
                QueryPlan plan = new QueryPlan("once", List.of(new Pipeline("p", src, List.of(), new SumSink(src))));
                QueryContext ctx = new QueryContext("once");
                pool.submit(plan, ctx).await();
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.submit(plan));
                assertTrue(e.getMessage().contains("already submitted"), e.getMessage());
                RangeSource src2 = new RangeSource(0, 1000, 100, mem.pool(), mem.budget());
                QueryPlan other = new QueryPlan("other", List.of(new Pipeline("p", src2, List.of(), new SumSink(src2))));
                e = assertThrows(IllegalStateException.class, () -> pool.submit(other, ctx));
                assertTrue(e.getMessage().contains("query context 'once' was already submitted"), e.getMessage());
            }
        }));
    }

    @Test
    void closingThePoolCancelsRunningQueriesAndJoinsWorkers() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            WorkerPool pool = new WorkerPool(2);
            List<Thread> threads = pool.workerThreads();
            List<QueryHandle> handles = new ArrayList<>();
            List<RangeSource> sources = new ArrayList<>();
            for (int q = 0; q < 5; q++) {
                RangeSource src = new RangeSource(0, Long.MAX_VALUE, 1000, mem.pool(), mem.budget());
                sources.add(src);
                QueryContext ctx = new QueryContext("endless" + q);
                ctx.register(spillFile(mem.tempRoot(), "spill-endless-" + q));
                handles.add(pool.submit(new QueryPlan("endless" + q, List.of(new Pipeline("p", src,
                        List.of(new TestOperator("slow", 1, -1)), new NativeSumSink(mem.pool(), mem.budget())))), ctx));
            }
            pool.close();
            for (QueryHandle h : handles) {
                assertTrue(h.isDone());
                QueryCancelledException e = assertThrows(QueryCancelledException.class, h::await);
                assertTrue(e.getMessage().endsWith("was cancelled: the worker pool is closing"), e.getMessage());
            }
            for (RangeSource s : sources) {
                assertTrue(s.closed.get());
            }
            for (Thread t : threads) {
                assertFalse(t.isAlive(), "still alive: " + t);
            }
            assertTrue(pool.isClosed());
            RangeSource late = new RangeSource(0, 10, 10, mem.pool(), mem.budget());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.submit(new QueryPlan("late",
                    List.of(new Pipeline("p", late, List.of(), new SumSink(late))))));
            assertEquals("worker pool is closed; cannot run query 'late'", e.getMessage());
            pool.close();
        }));
    }

    @Test
    void closingThePoolFromItsOwnWorkerIsRefused() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            // No try-with-resources: the operator below calls close() on the pool explicitly.
            WorkerPool pool = new WorkerPool(1);
            try {
                AtomicReference<Throwable> refused = new AtomicReference<>();
                Operator closer = new Operator() {
                    @Override
                    public String name() {
                        return "closer";
                    }

                    @Override
                    public Morsel process(Morsel input, TaskContext ctx) {
                        try {
                            pool.close();
                        } catch (IllegalStateException e) {
                            refused.compareAndSet(null, e);
                        }
                        return input;
                    }
                };
                RangeSource src = new RangeSource(0, 1000, 100, mem.pool(), mem.budget());
                SumSink sink = new SumSink(src);
                pool.run(new QueryPlan("q", List.of(new Pipeline("p", src, List.of(closer), sink))));
                assertInstanceOf(IllegalStateException.class, refused.get());
                assertTrue(refused.get().getMessage().contains("own worker thread"), refused.get().getMessage());
                assertEquals(TestPipelines.sum(0, 1000), sink.result);
                assertFalse(pool.isClosed());
            } finally {
                pool.close();
            }
        }));
    }

    @Test
    void submissionsRacingWithCloseEitherFailOrEnd() throws Exception {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            WorkerPool pool = new WorkerPool(2);
            Set<QueryHandle> handles = ConcurrentHashMap.newKeySet();
            AtomicInteger rejected = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                Thread t = new Thread(() -> {
                    for (int q = 0; q < 200; q++) {
                        RangeSource src = new RangeSource(0, 2000, 100, mem.pool(), mem.budget());
                        try {
                            handles.add(pool.submit(new QueryPlan("race", List.of(new Pipeline("p", src, List.of(),
                                    new SumSink(src))))));
                        } catch (IllegalStateException e) {
                            rejected.incrementAndGet();
                        }
                    }
                });
                clients.add(t);
                t.start();
            }
            while (handles.size() < 20) {
                Thread.onSpinWait();
            }
            pool.close();
            for (Thread t : clients) {
                t.join();
            }
            for (QueryHandle h : handles) {
                assertTrue(h.isDone(), "every accepted query ended: " + h);
                try {
                    h.await();
                } catch (QueryCancelledException expected) {
                    assertTrue(expected.getMessage().endsWith("the worker pool is closing"));
                }
            }
            assertEquals(800, handles.size() + rejected.get());
        }));
    }
}
