package dev.spillway.scheduler;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CpuAffinityTest {
    private static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }

    @Test
    void pinnedThreadReadsBackItsCpu() throws Exception {
        assumeTrue(linux(), "CPU pinning is Linux-only");
        assertTrue(CpuAffinity.isSupported());
        int cpus = Runtime.getRuntime().availableProcessors();
        for (int cpu = 0; cpu < cpus; cpu++) {
            int target = cpu;
            AtomicReference<int[]> seen = new AtomicReference<>();
            Thread t = new Thread(() -> {
                boolean ok = CpuAffinity.pinCurrentThread(target);
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
            assertTrue(observed != null, "sched_setaffinity refused cpu " + target);
            for (int c : observed) {
                assertEquals(target, c, "thread pinned to cpu " + target + " ran on cpu " + c);
            }
        }
    }

    @Test
    void pinnedPoolRunsEachWorkerOnItsCpu() {
        assumeTrue(linux(), "CPU pinning is Linux-only");
        int cpus = Runtime.getRuntime().availableProcessors();
        assertNoLeaks(mem -> {
            Set<String> mismatches = ConcurrentHashMap.newKeySet();
            AtomicInteger checks = new AtomicInteger();
            try (WorkerPool pool = new WorkerPool(cpus, true)) {
                TestPipelines.RangeSource src = new TestPipelines.RangeSource(0, 200_000, 1000, mem.pool(), mem.budget());
                TestPipelines.SumSink sink = new TestPipelines.SumSink(src);
                Operator probe = new Operator() {
                    @Override
                    public String name() {
                        return "where-am-i";
                    }

                    @Override
                    public dev.spillway.memory.Morsel process(dev.spillway.memory.Morsel input, TaskContext ctx) {
                        int cpu = CpuAffinity.currentCpu();
                        checks.incrementAndGet();
                        if (cpu != ctx.worker() % cpus) {
                            mismatches.add("worker " + ctx.worker() + " on cpu " + cpu);
                        }
                        return input;
                    }
                };
                pool.run(new QueryPlan("pinned", List.of(new Pipeline("p", src, List.of(probe), sink))));
                assertEquals(TestPipelines.sum(0, 200_000), sink.result);
                for (WorkerStats w : pool.stats().workers()) {
                    assertEquals(w.worker() % cpus, w.cpu());
                }
            }
            assertTrue(checks.get() > 0);
            assertTrue(mismatches.isEmpty(), mismatches.toString());
        });
    }

    @Test
    void invalidCpuIsRefused() {
        assertTrue(!CpuAffinity.pinCurrentThread(-1) && !CpuAffinity.pinCurrentThread(100_000));
    }
}
