package dev.spillway.memory;

import dev.spillway.errors.MemoryLeakException;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NativeBuffer} reference counting and ownership. */
class NativeBufferTest {
    @Test
    void theLastCloseFreesAndAnExtraCloseThrows() {
        assertNoLeaks(mem -> {
            NativeBuffer b = mem.pool().allocate(mem.budget(), 1000);
            assertEquals(1, b.refCount());
            assertSame(b, b.retain());
            assertEquals(2, b.refCount());

            b.close();
            assertEquals(1, b.refCount());
            assertEquals(mem.pool().capacityFor(1000), mem.budget().reserved(), "still charged while a reference is open");
            assertEquals(1, mem.pool().outstandingBuffers());

            b.close();
            assertEquals(0, b.refCount());
            assertEquals(0, mem.budget().reserved());
            assertEquals(0, mem.pool().outstandingBuffers());

            IllegalStateException twice = assertThrows(IllegalStateException.class, b::close);
            assertTrue(twice.getMessage().contains("closed more often than retained"), twice.getMessage());
            assertEquals(0, mem.budget().reserved(), "an extra close must not release twice");
            IllegalStateException revive = assertThrows(IllegalStateException.class, b::retain);
            assertTrue(revive.getMessage().contains("already freed"), revive.getMessage());
        });
    }

    @Test
    void aBufferKnowsItsBudgetAndDescribesItself() {
        assertNoLeaks(mem -> {
            MemoryBudget op = mem.budget().child("query").child("scan");
            try (NativeBuffer b = mem.pool().allocate(op, 3 * 4096)) {
                assertSame(op, b.budget());
                assertEquals(4 * 4096, op.reserved());
                assertEquals("NativeBuffer[16.0 KiB, refs=1, budget=test/query/scan]", b.toString());
            }
        });
    }

    @Test
    void aBufferHeldAtCloseOfItsBudgetIsReportedAsALeak() {
        assertNoLeaks(mem -> {
            MemoryBudget query = mem.budget().child("query-1");
            MemoryBudget sort = query.child("sort");
            NativeBuffer run = mem.pool().allocate(sort, 2L << 20);
            MemoryLeakException leak = assertThrows(MemoryLeakException.class, query::close);
            assertTrue(leak.getMessage().contains("sort: 2.0 MiB (2097152 bytes)"), leak.getMessage());
            run.close();
            assertEquals(0, query.reserved());
        });
    }

    @Test
    void referencesClosedFromSeveralThreadsFreeExactlyOnce() {
        assertNoLeaks(mem -> {
            int holders = 8;
            for (int round = 0; round < 200; round++) {
                NativeBuffer b = mem.pool().allocate(mem.budget(), 64 * 1024);
                for (int i = 0; i < holders; i++) {
                    b.retain();
                }
                CountDownLatch start = new CountDownLatch(1);
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < holders; i++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            start.await();
                            b.close();
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
                start.countDown();
                b.close();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(60));
                    assertFalse(t.isAlive(), "round " + round + ": a closing thread hung");
                }
                assertEquals(List.of(), failures, "round " + round);
                assertEquals(0, b.refCount(), "round " + round);
                assertEquals(0, mem.budget().reserved(), "round " + round);
                assertEquals(0, mem.pool().outstandingBuffers(), "round " + round);
            }
        });
    }
}
