package dev.spillway;

import dev.spillway.event.QueryRetried;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryLimitExceededException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * queries end, with queries submitted meanwhile waiting for it; a refusal with nobody beside, or
 * with {@code retryAlone(false)}, fails at once. The attempts here register as queries the way
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
    void aRefusalWithNobodyBesideOrWithRetryOffFailsAtOnce(@TempDir Path tmp) throws Exception {
        ConcurrentLinkedQueue<SpillwayEvent> events = new ConcurrentLinkedQueue<>();
        try (Spillway sw = engine(tmp, true, events)) {
            AtomicInteger attempts = new AtomicInteger();
            RuntimeException e = assertThrows(RuntimeException.class, () -> sw.retryingAlone(attempt(sw, "alone", attempts, 5)));
            assertInstanceOf(MemoryLimitExceededException.class, e);
            assertEquals(1, attempts.get(), "a query that fails alone is not run again");
            // A failure other than a refusal is never retried, beside others or not.
            Spillway.RunningQuery other = sw.queryStarted("other");
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
                other.end();
            }
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
        }
        assertTrue(events.stream().noneMatch(e -> e instanceof QueryRetried));
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
