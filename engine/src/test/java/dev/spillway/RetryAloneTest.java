package dev.spillway;

import dev.spillway.event.QueryRetried;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.options.JoinType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A query refused memory while another query ran beside it runs again alone: after the running
 * queries end, with queries submitted meanwhile waiting for it; a query refused alone runs once
 * more with every spillable operator spilling; with {@code retryAlone(false)} a refusal fails at once. The attempts here register as queries the way
 * {@code LazyFrame} does and are refused a real reservation beyond the engine's cap.
 */
class RetryAloneTest {
    private static final long CAP = 8L << 20;

    @Test
    void aQueryRefusedBesideAnotherRunsAgainAloneOnceTheOtherEnds(@TempDir Path tmp) throws Exception {
        ConcurrentLinkedQueue<SpillwayEvent> events = new ConcurrentLinkedQueue<>();
        try (Spillway sw = engine(tmp, true, events); ExecutorService threads = Executors.newCachedThreadPool()) {
            CountDownLatch otherRuns = new CountDownLatch(1);
            CountDownLatch otherMayEnd = new CountDownLatch(1);
            CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
                Spillway.RunningQuery q = sw.queryStarted("other");
                otherRuns.countDown();
                try {
                    otherMayEnd.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    q.end();
                }
            }, threads);
            assertTrue(otherRuns.await(10, TimeUnit.SECONDS));
            AtomicInteger attempts = new AtomicInteger();
            CompletableFuture<String> retried = CompletableFuture.supplyAsync(
                    () -> sw.retryingAlone(attempt(sw, "mine", attempts, 1)), threads);
            // The first attempt fails beside "other"; the retry waits for "other" to end.
            waitUntil(() -> attempts.get() == 1 && events.stream().anyMatch(e -> e instanceof QueryRetried));
            Thread.sleep(200);
            assertFalse(retried.isDone(), "the retry must wait while another query runs");
            // A query submitted now waits behind the one waiting to run alone.
            AtomicInteger lateAttempts = new AtomicInteger();
            CompletableFuture<String> late = CompletableFuture.supplyAsync(
                    () -> sw.retryingAlone(attempt(sw, "late", lateAttempts, 0)), threads);
            Thread.sleep(200);
            assertEquals(0, lateAttempts.get(), "a new query must not start while one waits to run alone");
            otherMayEnd.countDown();
            assertEquals("mine", retried.get(10, TimeUnit.SECONDS));
            assertEquals("late", late.get(10, TimeUnit.SECONDS));
            other.get(10, TimeUnit.SECONDS);
            assertEquals(2, attempts.get());
            assertEquals(1, lateAttempts.get());
            List<QueryRetried> r = events.stream().filter(e -> e instanceof QueryRetried).map(QueryRetried.class::cast).toList();
            assertEquals(1, r.size());
            assertEquals("mine", r.get(0).query());
            assertTrue(r.get(0).reason().contains("memory"), r.get(0).line());
            assertEquals(0, sw.budget().reserved());
        }
    }

    @Test
    void aRefusalWithNobodyBesideRunsOnceMoreSpillingEverythingAndRetryOffFailsAtOnce(@TempDir Path tmp) {
        ConcurrentLinkedQueue<SpillwayEvent> events = new ConcurrentLinkedQueue<>();
        try (Spillway sw = engine(tmp, true, events)) {
            List<Double> forced = new CopyOnWriteArrayList<>();
            AtomicInteger attempts = new AtomicInteger();
            Supplier<String> refusedTwice = attempt(sw, "alone", attempts, 5);
            RuntimeException e = assertThrows(RuntimeException.class, () -> sw.retryingAlone(() -> {
                forced.add(sw.forceSpillNow());
                return refusedTwice.get();
            }));
            assertInstanceOf(MemoryLimitExceededException.class, e);
            assertEquals(2, attempts.get(), "a query refused alone runs once more, spilling everything");
            assertEquals(List.of(0.0, 1.0), forced, "the retry plans with every partition spilled");
            assertEquals(0.0, sw.forceSpillNow(), "the setting does not outlive the retry");
            assertEquals(1, e.getSuppressed().length, "the first refusal is kept");
            List<QueryRetried> r = retries(events);
            assertEquals(1, r.size());
            assertEquals(QueryRetried.SPILLING_EVERYTHING, r.get(0).how());
            events.clear();

            // Refused beside another, refused alone, then the plan spilling everything fits.
            Spillway.RunningQuery other = sw.queryStarted("other");
            AtomicInteger thrice = new AtomicInteger();
            Supplier<String> refusedOnce = attempt(sw, "third-time", thrice, 2);
            CompletableFuture<String> done = CompletableFuture.supplyAsync(() -> sw.retryingAlone(refusedOnce));
            try {
                waitUntil(() -> thrice.get() == 1);
            } catch (InterruptedException ie) {
                throw new AssertionError(ie);
            } finally {
                other.end();
            }
            assertEquals("third-time", done.join());
            assertEquals(3, thrice.get());
            assertEquals(List.of(QueryRetried.ALONE, QueryRetried.SPILLING_EVERYTHING),
                    retries(events).stream().map(QueryRetried::how).toList());
            events.clear();

            // A failure other than a refusal is never retried, beside others or not.
            Spillway.RunningQuery beside = sw.queryStarted("other");
            try {
                IllegalStateException bad = new IllegalStateException("not a memory refusal");
                AtomicInteger tries = new AtomicInteger();
                assertSame(bad, assertThrows(IllegalStateException.class, () -> sw.retryingAlone(() -> {
                    tries.incrementAndGet();
                    Spillway.RunningQuery q = sw.queryStarted("failing");
                    q.end();
                    sw.queryFailed(q);
                    throw bad;
                })));
                assertEquals(1, tries.get());
            } finally {
                beside.end();
            }
            assertTrue(retries(events).isEmpty());
        }
        try (Spillway sw = engine(tmp, false, events)) {
            Spillway.RunningQuery other = sw.queryStarted("other");
            try {
                AtomicInteger attempts = new AtomicInteger();
                assertThrows(MemoryLimitExceededException.class, () -> sw.retryingAlone(attempt(sw, "off", attempts, 5)));
                assertEquals(1, attempts.get(), "retryAlone(false) fails at once");
            } finally {
                other.end();
            }
            AtomicInteger attempts = new AtomicInteger();
            assertThrows(MemoryLimitExceededException.class, () -> sw.retryingAlone(attempt(sw, "off-alone", attempts, 5)));
            assertEquals(1, attempts.get(), "retryAlone(false) fails at once");
        }
        assertTrue(retries(events).isEmpty());
    }

    /**
     * A join whose build table and collected result do not fit the cap together: refused while
     * probing (the tables cannot spill then), it succeeds when retried with every build partition
     * on disk, and the result is exact.
     */
    @Test
    void aJoinWhoseTablesAndResultDoNotFitTogetherSucceedsSpillingEverything(@TempDir Path tmp) {
        long buildRows = 100_000;
        long probeRows = 220_000;
        for (boolean retry : new boolean[] {false, true}) {
            ConcurrentLinkedQueue<SpillwayEvent> events = new ConcurrentLinkedQueue<>();
            try (Spillway sw = Spillway.builder().memoryLimit(CAP).tempDir(tmp).threads(1).memoryWait(java.time.Duration.ZERO)
                    .retryAlone(retry).eventListener(events::add).build()) {
                LazyFrame build = sw.range("k", 0, buildRows).withColumns(Expr.col("k").times(Expr.lit(3L)).alias("payload"));
                LazyFrame probe = sw.range("i", 0, probeRows).withColumns(Expr.col("i").mod(Expr.lit(buildRows)).alias("k"));
                LazyFrame q = probe.join(build, "k", JoinType.INNER);
                if (!retry) {
                    RuntimeException e = assertThrows(RuntimeException.class, q::collect);
                    assertTrue(refused(e), "without the retry the join is refused: " + e);
                    continue;
                }
                try (DataFrame df = q.collect()) {
                    assertEquals(probeRows, df.rowCount());
                    long sum = 0;
                    for (Object v : df.columnValues("payload")) {
                        sum += (Long) v;
                    }
                    long expected = 0;
                    for (long i = 0; i < probeRows; i++) {
                        expected += 3 * (i % buildRows);
                    }
                    assertEquals(expected, sum);
                }
                assertEquals(List.of(QueryRetried.SPILLING_EVERYTHING), retries(events).stream().map(QueryRetried::how).toList());
                assertEquals(0, sw.budget().reserved());
            }
        }
    }

    private static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MemoryLimitExceededException) {
                return true;
            }
        }
        return false;
    }

    private static List<QueryRetried> retries(ConcurrentLinkedQueue<SpillwayEvent> events) {
        return events.stream().filter(e -> e instanceof QueryRetried).map(QueryRetried.class::cast).toList();
    }

    private static Spillway engine(Path tmp, boolean retry, ConcurrentLinkedQueue<SpillwayEvent> events) {
        return Spillway.builder().memoryLimit(CAP).tempDir(tmp).threads(2).memoryWait(java.time.Duration.ZERO)
                .retryAlone(retry).eventListener(events::add).build();
    }

    /**
     * One attempt, registered as a query the way LazyFrame registers one: its first
     * {@code refusals} runs reserve more than the cap (and are refused), the later ones succeed.
     */
    private static Supplier<String> attempt(Spillway sw, String name, AtomicInteger count, int refusals) {
        return () -> {
            Spillway.RunningQuery q = sw.queryStarted(name);
            int n = count.incrementAndGet();
            try (MemoryBudget b = sw.budget().child(name)) {
                if (n <= refusals) {
                    b.reserve(CAP + 1);
                }
            } catch (RuntimeException e) {
                q.end();
                sw.queryFailed(q);
                throw e;
            }
            q.end();
            return name;
        };
    }

    private static void waitUntil(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(5);
        }
    }
}
