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
 * {@code perf-scripts/stress.sh --grid}). Every query kind at 8, 16 and 64 MiB, on two of the
 * worker counts 1, 2 and 4 each (rotating, so that each kind meets each count across the caps),
 * and the AsOf join at the 4 MiB minimum; then every fault mode at 16 MiB for every other kind
 * (each kind meets two faults), the worker count rotating. One seed per setting by default. Every seed's result is exact or its fault's own exception, the
 * engines end at rest, and the whole run is inside the module's leak check. The other kinds are
 * left out at 4 MiB here because the engine still refuses some of their seeds there with
 * "memory limit exceeded" (the long grid counts them). {@code -Dspillway.stress.seeds=N} runs N
 * seeds per setting, {@code -Dspillway.stress.first-seed=S} starts at seed S (random otherwise;
 * failures name their seed and the command that repeats it).
 */
class StressGridTest {
    private static final int SEEDS = Integer.getInteger("spillway.stress.seeds", 1);
    private static final long FIRST_SEED = Long.getLong("spillway.stress.first-seed", System.nanoTime() % 1_000_000);
    private static final int[] THREADS = {1, 2, 4};

    @Test
    void everyKindAtEveryCapAndWorkerCount() {
        List<StressGrid.Setting> settings = new ArrayList<>();
        long[] caps = {2 * StressGrid.MIN_CAP, 16L << 20, 64L << 20};
        StressGrid.Kind[] kinds = StressGrid.Kind.values();
        for (int c = 0; c < caps.length; c++) {
            for (int k = 0; k < kinds.length; k++) {
                for (int turn = 0; turn < 2; turn++) {
                    settings.add(new StressGrid.Setting(caps[c], THREADS[(c + k + turn) % 3], kinds[k], StressGrid.Fault.NONE));
                }
            }
        }
        for (int threads : THREADS) {
            settings.add(new StressGrid.Setting(StressGrid.MIN_CAP, threads, StressGrid.Kind.ASOF, StressGrid.Fault.NONE));
        }
        runAll(settings);
    }

    @Test
    void everyFaultMode() {
        List<StressGrid.Setting> settings = new ArrayList<>();
        StressGrid.Kind[] kinds = StressGrid.Kind.values();
        for (StressGrid.Fault fault : StressGrid.Fault.values()) {
            if (fault != StressGrid.Fault.NONE) {
                for (int k = fault.ordinal() % 2; k < kinds.length; k += 2) {
                    settings.add(new StressGrid.Setting(16L << 20, THREADS[(fault.ordinal() + k) % 3], kinds[k], fault));
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
