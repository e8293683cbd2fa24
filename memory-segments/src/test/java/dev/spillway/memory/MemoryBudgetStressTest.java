package dev.spillway.memory;

import dev.spillway.errors.MemoryLimitExceededException;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Several threads reserving and releasing at once. Each run is seeded (the seed is in every
 * failure message; rerun with {@code -Dspillway.seed=N}). Runs are bounded by an operation count
 * and a soft deadline so they stay short on a busy machine; how many operations ran never decides
 * the verdict, and the join timeout is only a hang detector.
 */
class MemoryBudgetStressTest {
    private static final long MIB = 1L << 20;
    private static final int THREADS = 4;
    private static final long SOFT_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long HANG_MILLIS = TimeUnit.SECONDS.toMillis(120);

    private static long seed() {
        return Long.getLong("spillway.seed", System.nanoTime());
    }

    private static String tag(long seed) {
        return "seed=" + seed + " (rerun with -Dspillway.seed=" + seed + ")";
    }

    private record Held(MemoryBudget budget, long bytes) {
    }

    /** Counts cap violations and keeps the first few for the failure message. */
    private static final class Violations {
        private final AtomicLong count = new AtomicLong();
        private final List<String> first = new CopyOnWriteArrayList<>();

        void add(String what) {
            if (count.incrementAndGet() <= 10) {
                first.add(what);
            }
        }

        long count() {
            return count.get();
        }

        @Override
        public String toString() {
            return count.get() + " cap violation(s), first: " + first;
        }
    }

    @Test
    void concurrentReservationsNeverExceedACapAndEndAtZero() throws Exception {
        long seed = seed();
        String tag = tag(seed);
        MemoryBudget root = MemoryBudget.root("process", 10 * MIB);
        MemoryBudget a = root.child("a", 6 * MIB);
        MemoryBudget b = root.child("b", 7 * MIB);
        MemoryBudget aOp = a.child("a-op");
        MemoryBudget bOp = b.child("b-op", 3 * MIB);
        List<MemoryBudget> all = List.of(root, a, b, aOp, bOp);

        AtomicBoolean stop = new AtomicBoolean();
        Violations violations = new Violations();
        AtomicLong observed = new AtomicLong();
        Thread observer = Thread.ofPlatform().name("cap-observer").start(() -> {
            while (!stop.get()) {
                for (MemoryBudget m : all) {
                    long r = m.reserved();
                    if (r > m.cap() || r < 0) {
                        violations.add("observer saw " + m.path() + " at " + r + " (cap " + m.cap() + ")");
                    }
                }
                observed.incrementAndGet();
                Thread.onSpinWait();
            }
        });

        AtomicLong granted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        ConcurrentLinkedQueue<Held> stillHeld = new ConcurrentLinkedQueue<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            SplittableRandom rnd = new SplittableRandom(seed + 0x9E3779B97F4A7C15L * (t + 1));
            workers.add(Thread.ofPlatform().name("budget-worker-" + t).start(() -> {
                List<Held> held = new ArrayList<>();
                try {
                    long deadline = System.nanoTime() + SOFT_DEADLINE_NANOS;
                    for (long ops = 0; ops < 20_000 || (ops < 2_000_000 && System.nanoTime() < deadline); ops++) {
                        if (held.size() < 16 && rnd.nextInt(3) != 0) {
                            MemoryBudget target = all.get(rnd.nextInt(all.size()));
                            long bytes = rnd.nextLong(1, MIB + 1);
                            boolean ok;
                            if (rnd.nextBoolean()) {
                                ok = target.tryReserve(bytes);
                            } else {
                                try {
                                    target.reserve(bytes);
                                    ok = true;
                                } catch (MemoryLimitExceededException e) {
                                    ok = false;
                                }
                            }
                            if (ok) {
                                granted.incrementAndGet();
                                held.add(new Held(target, bytes));
                                for (MemoryBudget m = target; m != null; m = m.parent()) {
                                    long r = m.reserved();
                                    if (r > m.cap()) {
                                        violations.add("after a reserve of " + bytes + " on " + target.path() + ", "
                                                + m.path() + " was at " + r + " (cap " + m.cap() + ")");
                                    }
                                }
                            } else {
                                refused.incrementAndGet();
                            }
                        } else if (!held.isEmpty()) {
                            int i = rnd.nextInt(held.size());
                            Held h = held.get(i);
                            held.set(i, held.getLast());
                            held.removeLast();
                            h.budget().release(h.bytes());
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    stillHeld.addAll(held);
                }
            }));
        }
        for (Thread w : workers) {
            w.join(HANG_MILLIS);
            assertFalse(w.isAlive(), w.getName() + " hung; " + tag);
        }
        stop.set(true);
        observer.join(HANG_MILLIS);
        assertFalse(observer.isAlive(), "observer hung; " + tag);

        for (Throwable f : failures) {
            throw new AssertionError("a worker failed; " + tag, f);
        }
        assertEquals(0, violations.count(), violations + "; " + tag);
        assertTrue(observed.get() > 0, tag);
        assertTrue(granted.get() > 0, "nothing was ever granted; " + tag);
        assertTrue(refused.get() > 0, "the caps never refused, so they were never tested; " + tag);

        // Quiescent now: every counter must equal what the workers still hold below it (no lost update).
        Map<MemoryBudget, Long> expected = new HashMap<>();
        for (Held h : stillHeld) {
            for (MemoryBudget m = h.budget(); m != null; m = m.parent()) {
                expected.merge(m, h.bytes(), Long::sum);
            }
        }
        for (MemoryBudget m : all) {
            assertEquals(expected.getOrDefault(m, 0L), m.reserved(), m.path() + "; " + tag);
        }

        for (Held h : stillHeld) {
            h.budget().release(h.bytes());
        }
        for (MemoryBudget m : all) {
            assertEquals(0, m.reserved(), m.path() + " did not end at zero; " + tag);
            assertTrue(m.peak() <= m.effectiveCap(), m.path() + " peak " + m.peak() + " above the caps above it; " + tag);
        }
        assertTrue(root.peak() > 0, tag);
        for (MemoryBudget m : all.reversed()) {
            m.close();
        }
    }

    @Test
    void pressureFromSeveralThreadsSpillsWithoutDeadlockOrLeak() {
        long seed = seed();
        String tag = tag(seed);
        assertNoLeaks(8 * MIB, mem -> {
            MemoryBudget query = mem.budget().child("query", 8 * MIB);
            List<BufferHoldingParty> parties = new ArrayList<>();
            AtomicLong listenedBytes = new AtomicLong();
            try (MemoryManager mm = new MemoryManager(query)) {
                mm.addListener((party, requested, freed) -> listenedBytes.addAndGet(freed));
                for (int t = 0; t < THREADS; t++) {
                    BufferHoldingParty p = new BufferHoldingParty("party-" + t, mem.pool(),
                            query.child("op-" + t), (byte) (t + 1));
                    parties.add(p);
                    mm.register(p);
                }
                AtomicLong granted = new AtomicLong();
                AtomicLong refused = new AtomicLong();
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    BufferHoldingParty own = parties.get(t);
                    SplittableRandom rnd = new SplittableRandom(seed + 31L * (t + 1));
                    workers.add(Thread.ofPlatform().name("pressure-worker-" + t).start(() -> {
                        try {
                            long deadline = System.nanoTime() + SOFT_DEADLINE_NANOS;
                            for (long ops = 0; ops < 2_000 || (ops < 200_000 && System.nanoTime() < deadline); ops++) {
                                int dice = rnd.nextInt(16);
                                if (dice == 0) {
                                    own.releaseAll();
                                    continue;
                                }
                                // Mostly pool-sized pieces; now and then a dedicated large buffer.
                                long bytes = dice == 1 ? rnd.nextLong(MIB + 1, 2 * MIB) : rnd.nextLong(1, 256 * 1024);
                                // Half the time the owner holds its lock across the reservation, as an
                                // operator growing its table does, so it may be asked to spill itself.
                                boolean holdLock = rnd.nextBoolean();
                                if (holdLock) {
                                    own.lock().lock();
                                }
                                try {
                                    own.allocate(bytes);
                                    granted.incrementAndGet();
                                } catch (MemoryLimitExceededException e) {
                                    refused.incrementAndGet();
                                } finally {
                                    if (holdLock) {
                                        own.lock().unlock();
                                    }
                                }
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
                for (Thread w : workers) {
                    w.join(HANG_MILLIS);
                    if (w.isAlive()) {
                        fail(w.getName() + " hung (deadlock?); " + tag);
                    }
                }
                for (Throwable f : failures) {
                    throw new AssertionError("a worker failed; " + tag, f);
                }
                long held = 0;
                long spilled = 0;
                for (BufferHoldingParty p : parties) {
                    held += p.spillableBytes();
                    spilled += p.spilledBytes();
                }
                assertEquals(held, query.reserved(), "memory not held by a party; " + tag);
                assertTrue(granted.get() > 0, tag);
                assertTrue(mm.reclaimCalls() > 0, "the cap never caused pressure; " + tag);
                assertEquals(spilled, mm.bytesReclaimed(), tag);
                assertEquals(spilled, listenedBytes.get(), "listeners missed spills; " + tag);
                assertTrue(query.peak() <= 8 * MIB, "peak " + query.peak() + "; " + tag);
            } finally {
                for (BufferHoldingParty p : parties) {
                    p.releaseAll();
                }
            }
            assertEquals(0, query.reserved(), tag);
        });
    }
}
