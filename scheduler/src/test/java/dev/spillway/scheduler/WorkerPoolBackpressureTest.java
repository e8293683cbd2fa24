package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.TestPipelines.RangeSource;
import dev.spillway.scheduler.TestPipelines.SumSink;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bounded morsels in flight, refusing sinks, waiting sources, idle workers. */
class WorkerPoolBackpressureTest {
    private static final Duration HANG = Duration.ofSeconds(60);

    @Test
    void slowSinkBoundsTheMorselsInFlight() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
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
                QueryHandle h = pool.submit(new QueryPlan("bounded", List.of(new Pipeline("p", src, List.of(), slowSink, 2))));
                h.await();
                assertEquals(TestPipelines.sum(0, 100_000), slowSink.result);
                // Counted by the source and the sink themselves, not by the scheduler.
                assertTrue(src.maxInFlight.get() <= 2, "in flight: " + src.maxInFlight.get());
            }
        }));
    }

    @Test
    void sinkThatIsNotReadyIsNotFedUntilItIs() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
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

    /** Refuses every other offer, as a sink that must spill before it takes more would. */
    static class RefusingSink extends SumSink {
        final AtomicInteger offers = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();

        RefusingSink(RangeSource source) {
            super(source);
        }

        boolean refuse(int offer) {
            return offer % 2 == 1;
        }

        @Override
        public boolean offer(long[] local, Morsel morsel, TaskContext ctx) {
            if (refuse(offers.incrementAndGet())) {
                refused.incrementAndGet();
                return false;
            }
            consume(local, morsel, ctx);
            return true;
        }
    }

    @Test
    void refusedMorselsAreKeptInFlightAndOfferedAgainExactlyOnce() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 300 * 100, 100, mem.pool(), mem.budget());
                RefusingSink sink = new RefusingSink(src);
                QueryHandle h = pool.submit(new QueryPlan("refusing", List.of(new Pipeline("p", src, List.of(), sink, 3))));
                h.await();
                assertEquals(TestPipelines.sum(0, 30_000), sink.result, "every row exactly once");
                assertEquals(300, sink.consumed.get());
                assertEquals(300, src.pulls.get(), "a refused morsel is not pulled again from the source");
                assertTrue(sink.refused.get() >= 300, "refusals: " + sink.refused.get());
                assertTrue(src.maxInFlight.get() <= 3, "waiting morsels count as in flight: " + src.maxInFlight.get());
                assertEquals(sink.refused.get(), h.pipelineStats().get(0).refusals());
            }
        }));
    }

    @Test
    void cancellingWhileTheSinkRefusesClosesTheWaitingMorsels() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                RangeSource src = new RangeSource(0, 1_000_000, 1000, mem.pool(), mem.budget());
                RefusingSink stuck = new RefusingSink(src) {
                    @Override
                    boolean refuse(int offer) {
                        return offer > 5;
                    }
                };
                QueryHandle h = pool.submit(new QueryPlan("stuck", List.of(new Pipeline("p", src, List.of(), stuck, 4))));
                // Each of the 4 tickets ends up holding one refused morsel, offered again and again.
                PipelineStats ps = h.pipelineStats().get(0);
                while (stuck.refused.get() < 50 || ps.inFlight() < 4) {
                    Thread.onSpinWait();
                }
                assertEquals(4, ps.inFlight());
                assertEquals(9, src.pulls.get(), "5 taken + one waiting morsel per ticket, none pulled while one waits");
                assertTrue(h.cancel());
                assertThrows(QueryCancelledException.class, h::await);
                assertEquals(0, h.pipelineStats().get(0).inFlight(), "the waiting morsels were closed");
                // The leak check verifies their memory was returned.
            }
        }));
    }

    @Test
    void sourceWithNothingNowIsPolledAgainUntilItIsExhausted() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                // Hands out a morsel only on every fourth call; says "not yet" in between.
                RangeSource inner = new RangeSource(0, 20_000, 1000, mem.pool(), mem.budget());
                AtomicInteger calls = new AtomicInteger();
                AtomicBoolean innerDone = new AtomicBoolean();
                Source trickle = new Source() {
                    @Override
                    public String name() {
                        return "trickle";
                    }

                    @Override
                    public Morsel next(TaskContext ctx) {
                        if (calls.incrementAndGet() % 4 != 0) {
                            return null;
                        }
                        Morsel m = inner.next(ctx);
                        if (m == null) {
                            innerDone.set(true);
                        }
                        return m;
                    }

                    @Override
                    public boolean isExhausted() {
                        return innerDone.get();
                    }
                };
                SumSink sink = new SumSink(inner);
                QueryHandle h = pool.submit(new QueryPlan("trickle", List.of(new Pipeline("p", trickle, List.of(), sink))));
                h.await();
                assertEquals(TestPipelines.sum(0, 20_000), sink.result);
                assertTrue(h.pipelineStats().get(0).sourceWaits() >= 60, h.pipelineStats().toString());
            }
        }));
    }

    @Test
    void idleWorkersParkUntilNewWorkWakesThem() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                for (int round = 0; round < 3; round++) {
                    awaitAllAsleep(pool);
                    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                    long cpu0 = 0;
                    for (Thread t : pool.workerThreads()) {
                        cpu0 += mx.getThreadCpuTime(t.threadId());
                    }
                    Thread.sleep(200);
                    long cpu1 = 0;
                    for (Thread t : pool.workerThreads()) {
                        cpu1 += mx.getThreadCpuTime(t.threadId());
                        assertEquals(Thread.State.WAITING, t.getState(), "still parked: " + t);
                    }
                    // A busy-looping worker would burn ~200 ms of CPU here; a parked one burns none.
                    assertTrue(cpu1 - cpu0 < 50_000_000L, "idle workers used " + (cpu1 - cpu0) / 1_000_000 + " ms of CPU");

                    RangeSource src = new RangeSource(0, 100_000, 1000, mem.pool(), mem.budget());
                    SumSink sink = new SumSink(src);
                    pool.run(new QueryPlan("wake" + round, List.of(new Pipeline("p", src, List.of(), sink))));
                    assertEquals(TestPipelines.sum(0, 100_000), sink.result);
                }
                for (WorkerStats w : pool.stats().workers()) {
                    assertTrue(w.sleeps() >= 1 && w.idleNanos() > 0, w.toString());
                }
            }
        }));
    }

    private static void awaitAllAsleep(WorkerPool pool) throws InterruptedException {
        while (true) {
            boolean all = true;
            for (Thread t : pool.workerThreads()) {
                all &= t.getState() == Thread.State.WAITING;
            }
            if (all) {
                return;
            }
            Thread.sleep(5);
        }
    }

    @Test
    void moreTasksThanTheQueueHoldsOverflowWithoutDeadlock() {
        assertTimeoutPreemptively(HANG, () -> assertNoLeaks(mem -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                // Two pipelines with the maximal ticket count: more tasks than queue slots.
                RangeSource a = new RangeSource(0, 50_000, 100, mem.pool(), mem.budget());
                RangeSource b = new RangeSource(0, 70_000, 100, mem.pool(), mem.budget());
                SumSink sa = new SumSink(a);
                SumSink sb = new SumSink(b);
                int tickets = Pipeline.MAX_IN_FLIGHT_LIMIT;
                assertTrue(2 * tickets > WorkerPool.QUEUE_CAPACITY);
                pool.run(new QueryPlan("flood", List.of(new Pipeline("a", a, List.of(), sa, tickets),
                        new Pipeline("b", b, List.of(), sb, tickets))));
                assertEquals(TestPipelines.sum(0, 50_000), sa.result);
                assertEquals(TestPipelines.sum(0, 70_000), sb.result);
                assertEquals(0, pool.stats().queuedTasks());
            }
        }));
    }
}
