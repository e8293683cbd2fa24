package dev.spillway.memory;

import dev.spillway.errors.MemoryLimitExceededException;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BlockPoolTest {

    @Test
    void sizeClassesRoundUpToPowersOfTwoAndLargeRequestsAreExact() {
        try (BlockPool pool = new BlockPool()) {
            assertEquals(256, pool.capacityFor(1));
            assertEquals(4096, pool.capacityFor(4096));
            assertEquals(8192, pool.capacityFor(4097));
            assertEquals(1L << 20, pool.capacityFor((1L << 19) + 1));
            assertEquals(1L << 20, pool.capacityFor(1L << 20));
            // Above a block: quarter steps between powers of two, whole pages.
            assertEquals(5L << 18, pool.capacityFor((1L << 20) + 1));
            assertEquals(7L << 18, pool.capacityFor(1_600_000));
            assertEquals(2L << 20, pool.capacityFor((7L << 18) + 1));
            assertEquals(5L << 28, pool.capacityFor((1L << 30) + 12345));
        }
        assertThrows(IllegalArgumentException.class, () -> new BlockPool(3000));
    }

    @Test
    void budgetIsChargedTheCapacityAndBackToZero() {
        assertNoLeaks(mem -> {
            try (NativeBuffer small = mem.pool().allocate(mem.budget(), 100);
                 NativeBuffer large = mem.pool().allocate(mem.budget(), 3L << 20)) {
                assertEquals(256 + (3L << 20), mem.budget().reserved());
                assertEquals(256, small.capacity());
                assertEquals(3L << 20, large.capacity());
                assertEquals(3L << 20, mem.pool().dedicatedBytes());
                large.segment().set(ValueLayout.JAVA_LONG, (3L << 20) - 8, 42L);
                assertEquals(42L, large.segment().get(ValueLayout.JAVA_LONG, (3L << 20) - 8));
            }
            assertEquals(0, mem.budget().reserved());
            assertEquals(0, mem.pool().dedicatedBytes());
        });
    }

    @Test
    void closeAbandoningUnmapsBuffersStillInUseWhoseLaterCloseOnlyReturnsTheirBytes() {
        try (MemoryBudget root = MemoryBudget.root("abandon", 64L << 20)) {
            BlockPool pool = new BlockPool();
            pool.chargeIdleTo(root);
            NativeBuffer small = pool.allocate(root, 100);
            NativeBuffer large = pool.allocate(root, 3L << 20);
            try (NativeBuffer freedLarge = pool.allocate(root, 3L << 20)) {
                freedLarge.segment().set(ValueLayout.JAVA_LONG, 0, 1L);
            }
            small.segment().set(ValueLayout.JAVA_LONG, 0, 7L);
            large.segment().set(ValueLayout.JAVA_LONG, 0, 7L);
            assertThrows(IllegalStateException.class, pool::close, "a plain close refuses buffers in use");
            assertEquals(2, pool.closeAbandoning());
            assertTrue(pool.isClosed());
            assertEquals(0, pool.retainedBytes());
            assertThrows(IllegalStateException.class, () -> small.segment().get(ValueLayout.JAVA_LONG, 0));
            assertThrows(IllegalStateException.class, () -> large.segment().get(ValueLayout.JAVA_LONG, 0));
            small.close();
            large.close();
            assertEquals(0, root.reserved());
            assertEquals(0, pool.outstandingBuffers());
            assertEquals(0, pool.closeAbandoning(), "idempotent");
        }
    }

    @Test
    void freedLargeMappingsAreReusedRetainedAndTrimmed() {
        try (MemoryBudget root = MemoryBudget.root("large", 64L << 20); BlockPool pool = new BlockPool()) {
            pool.chargeIdleTo(root);
            long address;
            try (NativeBuffer a = pool.allocate(root, 1_600_000)) {
                address = a.segment().address();
                a.segment().set(ValueLayout.JAVA_LONG, 0, 7L);
            }
            // Kept warm and counted against the cap, not given back at once.
            assertEquals(7L << 18, pool.retainedBytes());
            assertEquals(0, pool.dedicatedBytes());
            try (NativeBuffer b = pool.allocate(root, 1_700_000)) {
                assertEquals(address, b.segment().address(), "a request of the same class reuses the mapping");
                assertEquals(0, pool.retainedBytes());
                assertEquals(7L << 18, root.reserved());
            }
            try (NativeBuffer c = pool.allocate(root, 3L << 20)) {
                assertNotEquals(address, c.segment().address(), "another class gets a mapping of its own");
            }
            assertEquals((7L << 18) + (3L << 20), pool.retainedBytes());
            pool.reserve(0);
            assertEquals(0, pool.retainedBytes(), "large mappings beyond the reserve are unmapped");
            assertEquals(0, pool.outstandingBuffers());
        }
    }

    @Test
    void withoutACapFreedMemoryStaysForTheQueryAndGoesBackBetweenQueries() {
        assumeTrue(OsMemory.canRelease(), "needs madvise");
        try (MemoryBudget root = MemoryBudget.root("r", MemoryBudget.UNLIMITED); BlockPool pool = new BlockPool()) {
            pool.chargeIdleTo(root);
            List<NativeBuffer> held = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                held.add(pool.allocate(root, MIB));
            }
            held.forEach(NativeBuffer::close);
            assertEquals(80 * MIB, pool.retainedBytes(), "beyond the default reserve, still kept while uncapped");
            pool.releaseIdle();
            assertTrue(pool.retainedBytes() <= BlockPool.DEFAULT_RESERVE / 2, "between queries: " + pool.retainedBytes());
        }
    }

    @Test
    void freedMemoryUpToTheHighWaterMarkStaysWhenTheCapHasRoomAndTheCapStillHolds() {
        assumeTrue(OsMemory.canRelease(), "needs madvise");
        for (long cap : new long[] {MemoryBudget.UNLIMITED, 40 * MIB, 24 * MIB}) {
            try (MemoryBudget root = MemoryBudget.root("r", cap); BlockPool pool = new BlockPool()) {
                pool.chargeIdleTo(root);
                pool.reserve(2 * MIB);
                List<NativeBuffer> held = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    held.add(pool.allocate(root, MIB));
                }
                held.forEach(NativeBuffer::close);
                held.clear();
                if (cap - 16 * MIB >= 16 * MIB) {
                    assertEquals(16 * MIB, pool.retainedBytes(), "up to the 16 MiB high-water mark, freed memory stays; cap " + cap);
                } else {
                    // Near the cap only what the mark leaves of it (8 MiB) may stay.
                    assertTrue(pool.retainedBytes() <= cap - 16 * MIB, "retained " + pool.retainedBytes() + " under the cap " + cap);
                }
                // Pieces of another size: under a cap, retained pages make room before any refusal.
                for (int i = 0; i < 7; i++) {
                    held.add(pool.allocate(root, 3 * MIB));
                    assertTrue(cap == MemoryBudget.UNLIMITED || root.reserved() + pool.retainedBytes() <= cap,
                            "reserved " + root.reserved() + " + retained " + pool.retainedBytes() + " within the cap " + cap);
                }
                held.forEach(NativeBuffer::close);
                pool.releaseIdle();
                assertTrue(pool.retainedBytes() <= MIB, "between queries: " + pool.retainedBytes());
            }
        }
    }

    @Test
    void freedPiecesAreRecycled() {
        assertNoLeaks(mem -> {
            long address;
            try (NativeBuffer a = mem.pool().allocate(mem.budget(), 1L << 20)) {
                address = a.segment().address();
            }
            try (NativeBuffer b = mem.pool().allocate(mem.budget(), 1L << 20)) {
                assertEquals(address, b.segment().address(), "the most recently freed block comes back first");
            }
            long slabs = mem.pool().mappedBytes();
            for (int i = 0; i < 100; i++) {
                try (NativeBuffer c = mem.pool().allocate(mem.budget(), 5000)) {
                    c.segment().fill((byte) 1);
                }
            }
            assertEquals(slabs, mem.pool().mappedBytes(), "recycling allocates no new slab");
        });
    }

    @Test
    void zeroedAllocationIsZero() {
        assertNoLeaks(mem -> {
            try (NativeBuffer dirty = mem.pool().allocate(mem.budget(), 8192)) {
                dirty.segment().fill((byte) 0x7F);
            }
            try (NativeBuffer clean = mem.pool().allocateZeroed(mem.budget(), 8192)) {
                assertEquals(-1, clean.segment().mismatch(java.lang.foreign.MemorySegment.ofArray(new byte[8192])));
            }
        });
    }

    @Test
    void refCountingFreesOnLastCloseAndRejectsOverClose() {
        assertNoLeaks(mem -> {
            NativeBuffer b = mem.pool().allocate(mem.budget(), 10);
            b.retain();
            assertEquals(2, b.refCount());
            b.close();
            assertTrue(mem.budget().reserved() > 0, "one reference left");
            b.close();
            assertEquals(0, mem.budget().reserved());
            assertThrows(IllegalStateException.class, b::close);
            assertThrows(IllegalStateException.class, b::retain);
        });
    }

    @Test
    void closingThePoolWithBuffersInUseFails() {
        MemoryBudget budget = MemoryBudget.root("r", 1 << 20);
        BlockPool pool = new BlockPool();
        NativeBuffer b = pool.allocate(budget, 10);
        IllegalStateException e = assertThrows(IllegalStateException.class, pool::close);
        assertTrue(e.getMessage().contains("1 buffer(s) still in use"), e.getMessage());
        b.close();
        pool.close();
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.allocate(budget, 1));
        budget.close();
    }

    @Test
    void concurrentAllocateAndFreeEndsBalanced() throws Exception {
        long seed = System.nanoTime();
        assertNoLeaks(64L << 20, mem -> {
            AtomicReference<Throwable> error = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Random rnd = new Random(seed + t);
                Thread th = new Thread(() -> {
                    List<NativeBuffer> held = new ArrayList<>();
                    try {
                        for (int i = 0; i < 20_000; i++) {
                            if (held.size() < 8 && rnd.nextBoolean()) {
                                long size = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 1 << 21 : 1 << 16);
                                NativeBuffer b = mem.pool().allocate(mem.budget(), size);
                                b.segment().set(ValueLayout.JAVA_BYTE, size - 1, (byte) i);
                                held.add(b);
                            } else if (!held.isEmpty()) {
                                held.remove(rnd.nextInt(held.size())).close();
                            }
                        }
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    } finally {
                        held.forEach(NativeBuffer::close);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertNull(error.get(), "seed " + seed);
            assertEquals(0, mem.pool().outstandingBuffers());
        });
    }

    private static final long MIB = 1L << 20;

    @Test
    void retainedMemorySharesTheCapAndIsGivenBackBeforeARefusal() {
        assumeTrue(OsMemory.canRelease(), "needs madvise");
        try (MemoryBudget root = MemoryBudget.root("r", 8 * MIB); BlockPool pool = new BlockPool()) {
            pool.chargeIdleTo(root);
            pool.reserve(64 * MIB);
            List<NativeBuffer> held = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                NativeBuffer b = pool.allocate(root, MIB);
                b.segment().fill((byte) 7);
                held.add(b);
            }
            held.forEach(NativeBuffer::close);
            assertEquals(0, root.reserved());
            assertEquals(6 * MIB, pool.retainedBytes(), "freed blocks stay resident within the reserve");
            assertEquals(2 * MIB, root.available(), "retained memory is not available without a release");
            // A dedicated 5 MiB buffer cannot reuse the blocks: retained pages must go first.
            try (NativeBuffer big = pool.allocate(root, 5 * MIB)) {
                assertEquals(5 * MIB, big.capacity());
                assertEquals(5 * MIB, root.reserved());
                assertTrue(root.reserved() + pool.retainedBytes() <= 8 * MIB,
                        "reserved + retained " + (root.reserved() + pool.retainedBytes()) + " above the cap");
                assertTrue(pool.releasedBytes() >= 3 * MIB, "released " + pool.releasedBytes());
            }
            // A released block reads as zero: its pages really went back to the OS.
            pool.reserve(0);
            try (NativeBuffer again = pool.allocate(root, MIB)) {
                assertEquals(-1, again.segment().mismatch(java.lang.foreign.MemorySegment.ofArray(new byte[(int) MIB])),
                        "a released block comes back as fresh zero pages");
            }
        }
    }

    @Test
    void memoryBeyondTheReserveAndTheHighWaterMarkGoesBackAndIdleReleaseTakesSmallPieces() {
        assumeTrue(OsMemory.canRelease(), "needs madvise");
        try (MemoryBudget root = MemoryBudget.root("r", 64 * MIB); BlockPool pool = new BlockPool()) {
            pool.chargeIdleTo(root);
            pool.reserve(2 * MIB);
            List<NativeBuffer> held = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                held.add(pool.allocate(root, MIB));
            }
            for (int i = 0; i < 64; i++) {
                held.add(pool.allocate(root, 8192));
            }
            held.forEach(NativeBuffer::close);
            held.clear();
            // The high-water mark (8.5 MiB) and as much again fit the 64 MiB cap: all of it stays.
            long peak = root.peak();
            assertEquals(peak, pool.retainedBytes(), "up to the high-water mark, freed memory stays");
            // A phase that asks for other sizes maps anew; when it frees them, what the pool then
            // keeps beyond the high-water mark goes back.
            for (int i = 0; i < 4; i++) {
                held.add(pool.allocate(root, 3 * MIB));
            }
            held.forEach(NativeBuffer::close);
            assertTrue(pool.retainedBytes() <= root.peak(), "retained " + pool.retainedBytes() + ", peak " + root.peak());
            assertTrue(pool.releasedBytes() > 0, "released " + pool.releasedBytes());
            pool.releaseIdle();
            assertTrue(pool.retainedBytes() <= MIB, "retained after an idle release " + pool.retainedBytes());
        }
    }

    @Test
    void idleMemoryIsGivenBackOnThePoolsOwnThread() throws Exception {
        assumeTrue(OsMemory.canRelease(), "needs madvise");
        try (MemoryBudget root = MemoryBudget.root("r", MemoryBudget.UNLIMITED); BlockPool pool = new BlockPool()) {
            pool.chargeIdleTo(root);
            List<NativeBuffer> held = new ArrayList<>();
            for (int i = 0; i < 96; i++) {
                held.add(pool.allocate(root, MIB));
            }
            held.forEach(NativeBuffer::close);
            assertEquals(96 * MIB, pool.retainedBytes(), "without a cap a running query keeps what it freed");
            pool.releaseIdleInBackground();
            pool.awaitIdleRelease();
            assertTrue(pool.retainedBytes() <= BlockPool.DEFAULT_RESERVE / 2, "retained " + pool.retainedBytes());
            assertTrue(pool.releasedBytes() >= 96 * MIB - BlockPool.DEFAULT_RESERVE / 2, "released " + pool.releasedBytes());
            // Below the idle target nothing is requested and nothing waits.
            long released = pool.releasedBytes();
            pool.releaseIdleInBackground();
            pool.awaitIdleRelease();
            assertEquals(released, pool.releasedBytes());
        }
    }

    @Test
    void closingWhileABackgroundTrimRunsWaitsForIt() {
        assumeTrue(OsMemory.canRelease(), "needs madvise");
        for (int round = 0; round < 20; round++) {
            try (MemoryBudget root = MemoryBudget.root("r", MemoryBudget.UNLIMITED)) {
                BlockPool pool = new BlockPool();
                pool.chargeIdleTo(root);
                List<NativeBuffer> held = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    held.add(pool.allocate(root, MIB));
                }
                held.forEach(NativeBuffer::close);
                pool.releaseIdleInBackground();
                pool.close();
                assertEquals(0, pool.retainedBytes());
                // A closed pool no longer trims in the background: the request runs here and finds nothing.
                pool.releaseIdleInBackground();
                assertEquals(0, pool.retainedBytes());
            }
        }
    }

    @Test
    void pagesWhoseSmallPiecesAreAllFreeAreGivenBack() {
        assumeTrue(OsMemory.canRelease(), "needs madvise");
        try (MemoryBudget root = MemoryBudget.root("r", 64 * MIB); BlockPool pool = new BlockPool()) {
            pool.chargeIdleTo(root);
            List<NativeBuffer> held = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                held.add(pool.allocate(root, 256));
                held.add(pool.allocate(root, 1024));
            }
            NativeBuffer pinned = held.remove(0);
            held.forEach(NativeBuffer::close);
            long retained = pool.retainedBytes();
            assertTrue(retained >= 63 * 256 + 64 * 1024, "freed small pieces stay resident: " + retained);
            pool.reserve(0);
            pool.releaseIdle();
            // Only the page that still holds the pinned 256-byte piece stays, with its 15 free pieces.
            assertEquals(15 * 256, pool.retainedBytes());
            pinned.close();
            pool.releaseIdle();
            assertEquals(0, pool.retainedBytes());
        }
    }

    @Test
    void onlyARootCountsAPoolAndOnlyOne() {
        try (MemoryBudget root = MemoryBudget.root("r", 8 * MIB); BlockPool a = new BlockPool(); BlockPool b = new BlockPool()) {
            MemoryBudget child = root.child("c");
            assertThrows(IllegalArgumentException.class, () -> a.chargeIdleTo(child));
            a.chargeIdleTo(root);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.chargeIdleTo(root));
            assertTrue(e.getMessage().contains("another pool"), e.getMessage());
            child.close();
        }
    }

    @Test
    void concurrentUseKeepsReservedPlusRetainedWithinTheCap() throws Exception {
        long seed = System.nanoTime();
        long cap = 16 * MIB;
        int threads = 4;
        try (MemoryBudget root = MemoryBudget.root("r", cap); BlockPool pool = new BlockPool()) {
            pool.chargeIdleTo(root);
            AtomicReference<Throwable> error = new AtomicReference<>();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random rnd = new Random(seed + t);
                workers.add(Thread.ofPlatform().start(() -> {
                    List<NativeBuffer> held = new ArrayList<>();
                    try {
                        for (int i = 0; i < 20_000; i++) {
                            if (held.size() < 6 && rnd.nextBoolean()) {
                                long size = 1 + rnd.nextInt(rnd.nextInt(20) == 0 ? 3 << 20 : 1 << 18);
                                if (!root.tryReserve(0) || root.available() < pool.capacityFor(size)) {
                                    continue;
                                }
                                NativeBuffer b;
                                try {
                                    b = pool.allocate(root, size);
                                } catch (MemoryLimitExceededException e) {
                                    continue;
                                }
                                b.segment().set(ValueLayout.JAVA_BYTE, size - 1, (byte) i);
                                held.add(b);
                            } else if (!held.isEmpty()) {
                                held.remove(rnd.nextInt(held.size())).close();
                            }
                            // The two counters are read one after the other while other threads
                            // move pieces between them; each thread has at most one piece in flight.
                            long total = root.reserved() + pool.retainedBytes();
                            if (total > cap + threads * (3L << 20)) {
                                throw new AssertionError("reserved + retained " + total + " above the cap " + cap);
                            }
                        }
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    } finally {
                        held.forEach(NativeBuffer::close);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            assertNull(error.get(), "seed " + seed);
            assertEquals(0, root.reserved());
            assertTrue(pool.retainedBytes() <= cap, "retained " + pool.retainedBytes() + ", seed " + seed);
            assertEquals(0, pool.outstandingBuffers());
        }
    }
}
