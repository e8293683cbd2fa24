package dev.spillway;

import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.operators.join.JoinType;
import dev.spillway.scheduler.QueryCancelledException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Spillway#close()} while a query runs on another thread, at many points of the query
 * (planning, building, spilling, probing, merging, releasing): close neither throws nor reports a
 * leak, it returns with the budget at zero, no buffer outstanding, the block pool closed and no
 * spill directory left, and the query fails with a cancellation that says the engine closed.
 */
class CloseDuringQueryTest {
    private static final int ROUNDS = 32;
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
    void closeDuringAQueryReleasesEverythingAndClosesThePool() throws Exception {
        long started = System.nanoTime();
        for (int i = 0; i < ROUNDS; i++) {
            int round = i;
            // 0 to 186 ms in uneven steps: before the query registers, while it plans, builds, spills and merges.
            long delayMicros = (round * 7919L) % 31 * 6_000L;
            LeakCheck.assertNoLeaks(mem -> closeAfter(mem.tempRoot().resolve("s"), round, delayMicros));
        }
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(60), "the rounds took too long");
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
