package dev.spillway.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockPoolTest {

    @Test
    void sizeClassesRoundUpToPowersOfTwoAndLargeRequestsAreExact() {
        try (BlockPool pool = new BlockPool()) {
            assertEquals(256, pool.capacityFor(1));
            assertEquals(4096, pool.capacityFor(4096));
            assertEquals(8192, pool.capacityFor(4097));
            assertEquals(1L << 20, pool.capacityFor((1L << 19) + 1));
            assertEquals(1L << 20, pool.capacityFor(1L << 20));
            assertEquals((1L << 20) + 64, pool.capacityFor((1L << 20) + 1));
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
    void freedPiecesAreRecycled() {
        assertNoLeaks(mem -> {
            long address;
            try (NativeBuffer a = mem.pool().allocate(mem.budget(), 1L << 20)) {
                address = a.segment().address();
            }
            try (NativeBuffer b = mem.pool().allocate(mem.budget(), 1L << 20)) {
                assertEquals(address, b.segment().address(), "the most recently freed block comes back first");
            }
            long slabs = mem.pool().retainedBytes();
            for (int i = 0; i < 100; i++) {
                try (NativeBuffer c = mem.pool().allocate(mem.budget(), 5000)) {
                    c.segment().fill((byte) 1);
                }
            }
            assertEquals(slabs, mem.pool().retainedBytes(), "recycling allocates no new slab");
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
}
