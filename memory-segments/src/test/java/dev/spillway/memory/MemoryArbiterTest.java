package dev.spillway.memory;

import dev.spillway.errors.MemoryLimitExceededException;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine-wide arbiter: cross-query spilling with its fairness rule, and the bounded wait. */
class MemoryArbiterTest {
    private static final long MIB = 1L << 20;

    @Test
    void aQueryBelowItsShareMakesTheLargestHolderElsewhereSpill() {
        assertNoLeaks(8 * MIB, mem -> {
            new MemoryArbiter(mem.budget(), Duration.ofSeconds(5), 1);
            MemoryBudget a = mem.budget().child("query-a");
            MemoryBudget b = mem.budget().child("query-b");
            List<String> seen = new CopyOnWriteArrayList<>();
            try (MemoryManager ma = new MemoryManager(a); MemoryManager mb = new MemoryManager(b)) {
                BufferHoldingParty big = new BufferHoldingParty("a-table", mem.pool(), a.child("op"), (byte) 1);
                BufferHoldingParty small = new BufferHoldingParty("b-table", mem.pool(), b.child("op"), (byte) 2);
                ma.register(big);
                mb.register(small);
                ma.addListener(new MemoryManager.PressureListener() {
                    @Override
                    public void onSpill(Spillable party, long requested, long freed) {
                        throw new AssertionError("the four-argument callback is the one the arbiter calls");
                    }

                    @Override
                    public void onSpill(Spillable party, String askedBy, long requested, long freed) {
                        seen.add(party.name() + " for " + askedBy);
                    }
                });
                try {
                    for (int i = 0; i < 6; i++) {
                        big.allocate(MIB);
                    }
                    small.allocate(MIB);
                    // b holds 1 MiB, below its 4 MiB share: a (6 MiB, over its share) must give.
                    small.allocate(2 * MIB);
                    assertTrue(big.spilledBytes() > 0, "the larger query over its share spilled");
                    assertEquals(0, small.spilledBytes(), "the query below its share kept its memory");
                    assertTrue(seen.contains("a-table for query-b"), seen.toString());
                    assertEquals(big.spilledBytes(), ma.bytesSpilledForOtherQueries());
                    assertEquals(big.spilledBytes(), mb.bytesFromOtherQueries());
                    assertEquals(1, mb.reclaimCalls());
                    assertEquals(0, ma.reclaimCalls(), "a never asked");
                } finally {
                    big.releaseAll();
                    small.releaseAll();
                }
            }
        });
    }

    @Test
    void aQueryOverItsShareSpillsItselfFirst() {
        assertNoLeaks(8 * MIB, mem -> {
            new MemoryArbiter(mem.budget(), Duration.ofSeconds(5), 1);
            MemoryBudget a = mem.budget().child("query-a");
            MemoryBudget b = mem.budget().child("query-b");
            try (MemoryManager ma = new MemoryManager(a); MemoryManager mb = new MemoryManager(b)) {
                BufferHoldingParty own = new BufferHoldingParty("a-table", mem.pool(), a.child("op"), (byte) 1);
                BufferHoldingParty other = new BufferHoldingParty("b-table", mem.pool(), b.child("op"), (byte) 2);
                ma.register(own);
                mb.register(other);
                try {
                    for (int i = 0; i < 3; i++) {
                        other.allocate(MIB);
                    }
                    for (int i = 0; i < 5; i++) {
                        own.allocate(MIB);
                    }
                    // a holds 5 MiB (over its share), b 3 MiB (within): a's next megabyte is its own.
                    own.allocate(MIB);
                    assertTrue(own.spilledBytes() > 0);
                    assertEquals(0, other.spilledBytes(), "the query within its share was left alone");
                    assertEquals(0, ma.bytesFromOtherQueries());
                } finally {
                    own.releaseAll();
                    other.releaseAll();
                }
            }
        });
    }

    @Test
    void aReservationWaitsForMemoryAnotherQueryReleases() {
        assertNoLeaks(8 * MIB, mem -> {
            MemoryArbiter arbiter = new MemoryArbiter(mem.budget(), Duration.ofSeconds(60), 1);
            MemoryBudget a = mem.budget().child("query-a");
            MemoryBudget b = mem.budget().child("query-b");
            try (MemoryManager ma = new MemoryManager(a); MemoryManager mb = new MemoryManager(b)) {
                // Not spillable: a morsel in flight, a loaded hash table.
                NativeBuffer held = mem.pool().allocate(a, 6 * MIB);
                CompletableFuture<NativeBuffer> waiter = CompletableFuture.supplyAsync(() -> mem.pool().allocate(b, 4 * MIB));
                try {
                    while (arbiter.waits() == 0 && !waiter.isDone()) {
                        Thread.onSpinWait();
                    }
                    assertFalse(waiter.isDone(), "the reservation did not wait");
                } finally {
                    held.close();
                }
                try (NativeBuffer got = waiter.get(60, TimeUnit.SECONDS)) {
                    assertEquals(4 * MIB, got.segment().byteSize());
                }
                assertEquals(1, arbiter.waitsSatisfied());
                assertEquals(0, ma.reclaimCalls() + mb.reclaimCalls(), "nothing was spillable");
            }
        });
    }

    @Test
    void aReservationFailsAfterTheWaitWithTheSpecificMessage() {
        assertNoLeaks(8 * MIB, mem -> {
            MemoryArbiter arbiter = new MemoryArbiter(mem.budget(), Duration.ofMillis(400), 1);
            MemoryBudget a = mem.budget().child("query-a");
            MemoryBudget b = mem.budget().child("query-b");
            try (MemoryManager ma = new MemoryManager(a); MemoryManager mb = new MemoryManager(b);
                 NativeBuffer held = mem.pool().allocate(a, 6 * MIB)) {
                long t0 = System.nanoTime();
                MemoryLimitExceededException e = assertThrows(MemoryLimitExceededException.class,
                        () -> mem.pool().allocate(b, 4 * MIB).close());
                assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(400), "gave up before the wait");
                assertTrue(e.getMessage().contains("'test/query-b' needs 4.0 MiB"), e.getMessage());
                assertTrue(e.getMessage().contains("ms for other queries to release memory (the memory wait is 400 ms)"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("test/query-a"), "names the holder: " + e.getMessage());
                assertEquals(1, arbiter.waits());
                assertEquals(0, arbiter.waitsSatisfied());
                assertEquals(6 * MIB, held.segment().byteSize());
                assertEquals(0, ma.reclaimCalls() + mb.reclaimCalls(), "nothing was spillable");
            }
        });
    }

    @Test
    void aCancelledQueryStopsWaiting() {
        assertNoLeaks(8 * MIB, mem -> {
            new MemoryArbiter(mem.budget(), Duration.ofSeconds(60), 1);
            MemoryBudget a = mem.budget().child("query-a");
            MemoryBudget b = mem.budget().child("query-b");
            AtomicBoolean cancelled = new AtomicBoolean();
            try (MemoryManager ma = new MemoryManager(a); MemoryManager mb = new MemoryManager(b);
                 NativeBuffer held = mem.pool().allocate(a, 6 * MIB)) {
                mb.cancelWhen(cancelled::get);
                CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> mem.pool().allocate(b, 4 * MIB).close());
                cancelled.set(true);
                Exception e = assertThrows(Exception.class, () -> waiter.get(30, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof MemoryLimitExceededException, e.toString());
                assertTrue(e.getCause().getMessage().contains("stopped waiting because its query was cancelled"),
                        e.getCause().getMessage());
                assertEquals(6 * MIB, held.segment().byteSize());
                assertEquals(0, ma.reclaimCalls());
            }
        });
    }

    @Test
    void anArbiterServesOnlyARoot() {
        assertNoLeaks(8 * MIB, mem -> {
            MemoryBudget child = mem.budget().child("query");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new MemoryArbiter(child, Duration.ofSeconds(1), 1));
            assertTrue(e.getMessage().contains("'test/query'"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new MemoryArbiter(mem.budget(), Duration.ofSeconds(-1), 1));
            child.close();
        });
    }
}
