package dev.spillway;

import dev.spillway.memory.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CI-sized subset of the stress grid ({@link StressGrid}; the long run is
 * {@code perf-scripts/stress.sh --grid}): every query kind at every cap of the grid (4, 8, 16 and
 * 64 MiB) on 1, 2 and 4 workers, and every fault mode for every kind, a few seeds each. Every
 * seed's result is exact or its fault's own exception, and the engines end at rest; the whole
 * run is inside the module's leak check. {@code -Dspillway.stress.seeds=N} runs N seeds per
 * setting, {@code -Dspillway.stress.first-seed=S} starts elsewhere.
 */
class StressGridTest {
    private static final int SEEDS = Integer.getInteger("spillway.stress.seeds", 1);
    private static final long FIRST_SEED = Long.getLong("spillway.stress.first-seed", System.nanoTime() % 1_000_000);

    @Test
    void everyKindAtEveryCapAndWorkerCount() {
        List<StressGrid.Setting> settings = new ArrayList<>();
        for (long cap : new long[] {StressGrid.MIN_CAP, 2 * StressGrid.MIN_CAP, 16L << 20, 64L << 20}) {
            for (int threads : new int[] {1, 2, 4}) {
                for (StressGrid.Kind kind : StressGrid.Kind.values()) {
                    settings.add(new StressGrid.Setting(cap, threads, kind, StressGrid.Fault.NONE));
                }
            }
        }
        runAll(settings);
    }

    @Test
    void everyFaultForEveryKind() {
        List<StressGrid.Setting> settings = new ArrayList<>();
        for (StressGrid.Fault fault : StressGrid.Fault.values()) {
            if (fault != StressGrid.Fault.NONE) {
                for (StressGrid.Kind kind : StressGrid.Kind.values()) {
                    settings.add(new StressGrid.Setting(16L << 20, 2, kind, fault));
                }
            }
        }
        runAll(settings);
    }

    private static void runAll(List<StressGrid.Setting> settings) {
        LeakCheck.assertNoLeaks(mem -> {
            Path work = mem.dataDir().resolve("grid");
            Path readerSpill = mem.tempRoot().resolve("reader");
            List<String> failed = new ArrayList<>();
            int total = 0;
            try (Spillway reader = Spillway.builder().memoryLimit(1L << 30).threads(2).tempDir(readerSpill).build()) {
                for (StressGrid.Setting s : settings) {
                    StressGrid.Tally t = StressGrid.run(s, FIRST_SEED, SEEDS, work, reader, null);
                    assertEquals(SEEDS, t.total(), s + ": seeds run");
                    assertEquals(t.total(), t.exact() + t.faulted() + t.failures().size(), s + ": every seed counted once");
                    total += t.total();
                    t.failures().forEach(f -> failed.add(f + "\n  repeat: " + f.reproduction()));
                }
            }
            assertTrue(failed.isEmpty(), failed.size() + " of " + total + " seeded runs failed:\n" + String.join("\n", failed));
            try (var left = Files.list(readerSpill)) {
                assertEquals(List.of(), left.toList(), "the reader left no spill directory");
            }
            Files.delete(readerSpill);
            Files.deleteIfExists(work);
        });
    }
}
