package dev.spillway.sql;

import dev.spillway.internal.EngineInternals;

import dev.spillway.Spillway;
import dev.spillway.memory.testing.LeakCheck;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs SQL tests on an engine with a private spill root and checks that nothing leaks. */
final class SqlTestSupport {
    private SqlTestSupport() {
    }

    /** A test body given an engine and a scratch directory for data files. */
    @FunctionalInterface
    interface Body {
        void run(Spillway sw, Path dataDir) throws Exception;
    }

    /** Runs {@code body} with a 2-thread engine of {@code memoryLimit} bytes; fails on leaked memory or spill files. */
    static void withEngine(long memoryLimit, int morselRows, double forceSpill, Body body) {
        LeakCheck.assertNoLeaks(mem -> {
            Path spill = mem.tempRoot().resolve("spill");
            Spillway sw = Spillway.builder().memoryLimit(memoryLimit).threads(2).tempDir(spill).morselRows(morselRows)
                    .forceSpill(forceSpill).build();
            try {
                body.run(sw, mem.dataDir());
            } finally {
                sw.close();
            }
            assertEquals(0, EngineInternals.budget(sw).reserved(), "engine memory back to zero");
            if (Files.exists(spill)) {
                try (var files = Files.list(spill)) {
                    assertEquals(0, files.count(), "no spill directory left");
                }
                Files.delete(spill);
            }
        });
    }

    /** {@link #withEngine(long, int, double, Body)} with 256 MiB, default morsels, no forced spilling. */
    static void withEngine(Body body) {
        withEngine(256L << 20, 131_072, 0, body);
    }
}
