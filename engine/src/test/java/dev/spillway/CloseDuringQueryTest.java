package dev.spillway;

import dev.spillway.event.PartitionEvicted;
import dev.spillway.errors.MemoryLeakException;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.JoinType;
import dev.spillway.errors.QueryCancelledException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Spillway#close()} while a query runs on another thread, at many points of the query
 * (planning, building, spilling, probing, merging, releasing): close neither throws nor reports a
 * leak, it returns with the budget at zero, no buffer outstanding, the block pool closed and no
 * spill directory left, and the query fails with a cancellation that says the engine closed.
 * Frames left open are named and their memory unmapped; a query that does not end within the
 * close timeout is named, keeps what it uses, and a later close finishes the job.
 */
class CloseDuringQueryTest {
    /** Rounds of the close test: 24 in CI; {@code perf-scripts/stress.sh --close N} runs N. */
    private static final int ROUNDS = Integer.getInteger("spillway.close.rounds", 24);
    private static final long ROWS = 2_000_000;

    /** A join into a group-by, a sort, a cached input read twice, by round; long enough to outlast every delay. */
    private static LazyFrame query(Spillway sw, int round) {
        LazyFrame in = sw.range("v", 0, ROWS).withColumns(col("v").mod(lit(ROWS / 4)).alias("k"));
        return switch (round % 3) {
            case 0 -> in.join(sw.range("k", 0, ROWS / 4).withColumns(col("k").times(lit(3L)).alias("w")), "k", JoinType.INNER)
                    .groupBy("k").agg(col("w").sum().alias("s"));
            case 1 -> in.sort("k", "v");
            default -> {
                LazyFrame c = in.cache();
                yield c.groupBy("k").agg(col("v").sum().alias("s")).join(c.select(col("k"), col("v")), "k", JoinType.INNER);
            }
        };
    }

    @Test
    void closeDuringAQueryReleasesEverythingAndClosesThePool() {
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            // 0 to 180 ms in uneven steps: before the query registers, while it plans, builds, spills and merges.
            long delayMicros = (round * 7919L) % 31 * 6_000L;
            LeakCheck.assertNoLeaks(mem -> closeAfter(mem.tempRoot().resolve("s"), round, delayMicros));
        }
    }

    @Test
    void aFrameLeftOpenIsReportedAndItsMemoryStillGoesBack() {
        LeakCheck.assertNoLeaks(mem -> {
            Path root = mem.tempRoot().resolve("s");
            // 300,000-row morsels: their 2.3 MiB columns are mappings of their own, above a block.
            Spillway sw = Spillway.builder().memoryLimit(32L << 20).threads(2).morselRows(300_000).tempDir(root).build();
            DataFrame small = sw.range("v", 0, 1_000).collect();
            DataFrame large = sw.range("v", 0, 1_000_000).collect();
            assertEquals(999L, small.getLong(999, "v"));
            assertTrue(sw.pool().dedicatedBytes() > 0, "the large frame uses mappings of their own");
            MemoryLeakException leak = assertThrows(MemoryLeakException.class, sw::close);
            assertTrue(leak.getMessage().contains("query-1") && leak.getMessage().contains("query-2"), leak.getMessage());
            assertTrue(leak.getMessage().contains("unmapped"), leak.getMessage());
            assertTrue(sw.pool().isClosed(), "the block pool is closed");
            assertThrows(IllegalStateException.class, () -> small.getLong(999, "v"), "a leaked frame's memory is gone");
            assertThrows(IllegalStateException.class, () -> large.getLong(999_999, "v"), "a leaked frame's memory is gone");
            small.close();
            large.close();
            assertEquals(0, sw.budget().reserved(), "closing the frames gave their bytes back");
            assertEquals(0, sw.pool().outstandingBuffers(), "no buffer outstanding");
            try (var left = Files.list(root)) {
                assertEquals(List.of(), left.toList(), "no spill directory left");
            }
            Files.delete(root);
        });
    }

    @Test
    void aQueryThatDoesNotReleaseInTimeIsNamedAndALaterCloseFinishes() {
        LeakCheck.assertNoLeaks(mem -> {
            Path root = mem.tempRoot().resolve("s");
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch resume = new CountDownLatch(1);
            AtomicBoolean armed = new AtomicBoolean(true);
            // The listener runs on the worker that evicts: holding it there keeps the query from ending.
            Spillway sw = Spillway.builder().memoryLimit(32L << 20).threads(2).morselRows(8192).forceSpill(1.0).tempDir(root)
                    .closeTimeout(Duration.ofMillis(300)).eventListener(e -> {
                        if (e instanceof PartitionEvicted && armed.compareAndSet(true, false)) {
                            blocked.countDown();
                            awaitQuietly(resume);
                        }
                    }).build();
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread caller = Thread.ofPlatform().name("close-test-held-query").start(() -> {
                try (DataFrame df = query(sw, 0).collect()) {
                    assertTrue(df.rowCount() > 0);
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            assertTrue(blocked.await(30, TimeUnit.SECONDS), "the query spilled");
            MemoryLeakException held = assertThrows(MemoryLeakException.class, sw::close);
            assertTrue(held.getMessage().contains("query 'query-1'") && held.getMessage().contains("close-test-held-query"),
                    held.getMessage());
            assertTrue(!sw.pool().isClosed(), "the pool stays open while a query may use it");
            resume.countDown();
            Throwable t = outcome.get(30, TimeUnit.SECONDS);
            caller.join();
            assertInstanceOf(QueryCancelledException.class, t);
            sw.close();
            assertTrue(sw.pool().isClosed(), "the second close closed the pool");
            assertEquals(0, sw.budget().reserved(), "engine memory back to zero");
            assertEquals(0, sw.pool().outstandingBuffers(), "no buffer outstanding");
            try (var left = Files.list(root)) {
                assertEquals(List.of(), left.toList(), "no spill directory left");
            }
            Files.delete(root);
        });
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeAfter(Path root, int round, long delayMicros) throws Exception {
        String what = "round " + round + " (close after " + delayMicros / 1000 + " ms)";
        Spillway sw = Spillway.builder().memoryLimit(32L << 20).threads(2).morselRows(8192)
                .forceSpill(round % 2 == 0 ? 1.0 : 0.0).tempDir(root).build();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread caller = Thread.ofPlatform().name("close-test-query-" + round).start(() -> {
            try (DataFrame df = query(sw, round).collect()) {
                assertTrue(df.rowCount() > 0);
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        TimeUnit.MICROSECONDS.sleep(delayMicros);
        sw.close();
        assertTrue(sw.pool().isClosed(), what + ": the block pool is closed");
        assertEquals(0, sw.budget().reserved(), what + ": engine memory back to zero");
        assertEquals(0, sw.pool().outstandingBuffers(), what + ": no buffer outstanding");
        Throwable t = outcome.get(30, TimeUnit.SECONDS);
        caller.join();
        if (t == null) {
            fail(what + ": the query finished before close; make it longer");
        }
        if (t instanceof IllegalStateException closed) {
            // close() came first: the query never started.
            assertTrue(closed.getMessage().contains("closed"), what + ": " + closed);
        } else {
            QueryCancelledException cancelled = assertInstanceOf(QueryCancelledException.class, t, what);
            assertNotNull(cancelled.getMessage());
            assertTrue(cancelled.getMessage().contains("Spillway instance was closed"), what + ": " + cancelled.getMessage());
        }
        try (var left = Files.list(root)) {
            assertEquals(List.of(), left.toList(), what + ": no spill directory left");
        }
        Files.delete(root);
    }
}
