package dev.spillway.memory;

import dev.spillway.errors.MemoryLeakException;
import dev.spillway.errors.MemoryLimitExceededException;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBudgetTest {

    @Test
    void childReservationsCountAgainstEveryAncestor() {
        try (MemoryBudget root = MemoryBudget.root("process", 1000);
             MemoryBudget query = root.child("query", 600);
             MemoryBudget op = query.child("join")) {
            assertTrue(op.tryReserve(500));
            assertEquals(500, op.reserved());
            assertEquals(500, query.reserved());
            assertEquals(500, root.reserved());
            assertEquals(100, op.available(), "the query cap (600) binds before the root's");
            assertEquals(600, op.effectiveCap());
            assertFalse(op.tryReserve(101));
            assertEquals(500, op.reserved(), "a refused reservation rolls back every level");
            assertEquals(500, root.reserved());
            assertTrue(root.tryReserve(450));
            assertEquals(50, op.available(), "the root's cap now binds");
            assertFalse(op.tryReserve(51));
            assertTrue(op.tryReserve(50));
            assertEquals(550, query.reserved());
            root.release(450);
            op.release(550);
            assertEquals(0, root.reserved());
            assertEquals(1000, root.peak());
            assertEquals(550, query.peak());
            assertEquals(550, op.peak());
        }
    }

    @Test
    void releasingMoreThanReservedFails() {
        try (MemoryBudget root = MemoryBudget.root("r", 10)) {
            assertTrue(root.tryReserve(5));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> root.release(6));
            assertTrue(e.getMessage().contains("released more than it reserved"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> root.release(-1));
            assertThrows(IllegalArgumentException.class, () -> root.tryReserve(-1));
            assertEquals(5, root.reserved(), "a refused release changes nothing");
            root.release(5);
        }
    }

    @Test
    void leakReportNamesTheHoldingChildren() {
        MemoryBudget root = MemoryBudget.root("process", 1 << 20);
        MemoryBudget query = root.child("query-7");
        MemoryBudget build = query.child("join-build");
        MemoryBudget probe = query.child("join-probe");
        assertTrue(build.tryReserve(4096));
        assertTrue(probe.tryReserve(100));
        probe.release(100);
        probe.close();
        MemoryLeakException e = assertThrows(MemoryLeakException.class, query::close);
        assertTrue(e.getMessage().contains("still reserved in 'process/query-7'"), e.getMessage());
        assertTrue(e.getMessage().contains("- join-build: 4.0 KiB (4096 bytes)"), e.getMessage());
        assertFalse(e.getMessage().contains("join-probe"), "closed children with nothing reserved are not named");
        query.close();
        MemoryLeakException again = assertThrows(MemoryLeakException.class, root::close);
        assertTrue(again.getMessage().contains("query-7") && again.getMessage().contains("join-build"), again.getMessage());
        build.release(4096);
        build.close();
        assertEquals(0, root.reserved());
    }

    @Test
    void closedBudgetRefusesReservations() {
        MemoryBudget root = MemoryBudget.root("r", 100);
        MemoryBudget child = root.child("c");
        child.close();
        child.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> child.tryReserve(1));
        assertTrue(e.getMessage().contains("'r/c' is closed"), e.getMessage());
        assertTrue(root.children().isEmpty());
        root.close();
    }

    @Test
    void stressManyThreadsNeverExceedTheCaps() throws Exception {
        long seed = System.nanoTime();
        final long rootCap = 1_000_000;
        final long childCap = 700_000;
        try (MemoryBudget root = MemoryBudget.root("root", rootCap);
             MemoryBudget a = root.child("a", childCap);
             MemoryBudget b = root.child("b", childCap)) {
            int threads = 4;
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> violation = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(threads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                MemoryBudget target = t % 2 == 0 ? a : b;
                Random rnd = new Random(seed + t);
                long deadline = System.nanoTime() + 2_000_000_000L;
                Thread th = new Thread(() -> {
                    List<Long> held = new ArrayList<>();
                    try {
                        for (int i = 0; i < 20_000_000 && !stop.get() && ((i & 1023) != 0 || System.nanoTime() < deadline); i++) {
                            if (held.isEmpty() || rnd.nextBoolean()) {
                                long n = 1 + rnd.nextInt(50_000);
                                if (target.tryReserve(n)) {
                                    held.add(n);
                                    long r = root.reserved();
                                    long c = target.reserved();
                                    if (r > rootCap || c > childCap) {
                                        violation.compareAndSet(null, "root " + r + ", child " + c);
                                    }
                                }
                            } else {
                                target.release(held.remove(rnd.nextInt(held.size())));
                            }
                        }
                    } finally {
                        for (long n : held) {
                            target.release(n);
                        }
                        done.countDown();
                    }
                });
                ts.add(th);
                th.start();
            }
            Thread observer = new Thread(() -> {
                while (done.getCount() > 0) {
                    long r = root.reserved();
                    if (r > rootCap || r < 0) {
                        violation.compareAndSet(null, "observer saw root " + r);
                    }
                }
            });
            observer.start();
            for (Thread th : ts) {
                th.join();
            }
            stop.set(true);
            observer.join();
            assertNull(violation.get(), "seed " + seed);
            assertEquals(0, root.reserved(), "seed " + seed);
            assertEquals(0, a.reserved());
            assertEquals(0, b.reserved());
            assertTrue(root.peak() <= rootCap && root.peak() > 0, "peak " + root.peak());
            assertTrue(a.peak() <= childCap && b.peak() <= childCap);
        }
    }

    @Test
    void theLimitMessageNamesWhatAParentHoldsItselfBesideItsChildren() {
        try (MemoryBudget root = MemoryBudget.root("engine", 1 << 20)) {
            MemoryBudget query = root.child("query-1");
            MemoryBudget join = query.child("join-0");
            query.reserve(700 << 10);
            join.reserve(100 << 10);
            MemoryLimitExceededException e = assertThrows(MemoryLimitExceededException.class, () -> join.reserve(512 << 10));
            String m = e.getMessage();
            assertTrue(m.contains("engine/query-1 (itself) 700.0 KiB"), m);
            assertTrue(m.contains("engine/query-1/join-0 100.0 KiB"), m);
            assertTrue(m.indexOf("(itself)") < m.indexOf("join-0 100"), "biggest first: " + m);
            join.release(100 << 10);
            query.release(700 << 10);
            join.close();
            query.close();
        }
    }
}
