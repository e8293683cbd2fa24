package dev.spillway.scheduler;

import dev.spillway.memory.Morsel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CpuAffinityTest {
    private static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }

    @Test
    void allowedCpusAreDistinctAscendingAndIncludeTheCurrentOne() {
        int[] cpus = CpuAffinity.allowedCpus();
        assertTrue(cpus.length >= 1);
        for (int i = 1; i < cpus.length; i++) {
            assertTrue(cpus[i - 1] < cpus[i], Arrays.toString(cpus));
        }
        if (linux()) {
            assertTrue(CpuAffinity.isSupported(), "Linux with native access granted supports pinning");
            int now = CpuAffinity.currentCpu();
            assertTrue(Arrays.stream(cpus).anyMatch(c -> c == now), "running on " + now + ", allowed " + Arrays.toString(cpus));
        }
    }

    @Test
    void pinnedThreadReadsBackItsCpuWithSchedGetcpu() throws Exception {
        assumeTrue(linux(), "CPU pinning is Linux-only");
        for (int cpu : CpuAffinity.allowedCpus()) {
            AtomicReference<int[]> seen = new AtomicReference<>();
            Thread t = new Thread(() -> {
                boolean ok = CpuAffinity.pinCurrentThread(cpu);
                int[] observed = new int[20];
                for (int i = 0; i < observed.length; i++) {
                    Thread.yield();
                    observed[i] = CpuAffinity.currentCpu();
                }
                seen.set(ok ? observed : null);
            });
            t.start();
            t.join();
            int[] observed = seen.get();
            assertNotNull(observed, "sched_setaffinity refused cpu " + cpu);
            for (int c : observed) {
                assertEquals(cpu, c, "thread pinned to cpu " + cpu + " ran on cpu " + c);
            }
        }
    }

    @Test
    void pinnedPoolRunsEachWorkerOnItsCpu() {
        assumeTrue(linux(), "CPU pinning is Linux-only");
        int[] allowed = CpuAffinity.allowedCpus();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertNoLeaks(mem -> {
            Set<String> mismatches = ConcurrentHashMap.newKeySet();
            AtomicInteger checks = new AtomicInteger();
            // One worker more than CPUs: the assignment wraps around.
            try (WorkerPool pool = new WorkerPool(allowed.length + 1, true)) {
                List<WorkerStats> workers = pool.stats().workers();
                for (WorkerStats w : workers) {
                    assertEquals(allowed[w.worker() % allowed.length], w.cpu());
                }
                TestPipelines.RangeSource src = new TestPipelines.RangeSource(0, 200_000, 1000, mem.pool(), mem.budget());
                TestPipelines.SumSink sink = new TestPipelines.SumSink(src);
                Operator probe = new Operator() {
                    @Override
                    public String name() {
                        return "where-am-i";
                    }

                    @Override
                    public Morsel process(Morsel input, TaskContext ctx) {
                        int cpu = CpuAffinity.currentCpu();
                        checks.incrementAndGet();
                        int expected = workers.get(ctx.worker()).cpu();
                        if (cpu != expected) {
                            mismatches.add("worker " + ctx.worker() + " pinned to " + expected + " ran on cpu " + cpu);
                        }
                        return input;
                    }
                };
                pool.run(new QueryPlan("pinned", List.of(new Pipeline("p", src, List.of(probe), sink))));
                assertEquals(TestPipelines.sum(0, 200_000), sink.result);
            }
            assertTrue(checks.get() > 0);
            assertTrue(mismatches.isEmpty(), mismatches.toString());
        }));
    }

    @Test
    void invalidCpuIsRefused() {
        assertFalse(CpuAffinity.pinCurrentThread(-1));
        assertFalse(CpuAffinity.pinCurrentThread(100_000));
    }
}
