package dev.spillway;

import dev.spillway.memory.testing.LeakCheck;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Runs engine tests with a private spill root and checks that nothing leaks. */
final class EngineTestSupport {
    private EngineTestSupport() {
    }

    /** A test body given an engine and a scratch directory for data files. */
    @FunctionalInterface
    interface Body {
        void run(Spillway sw, Path dataDir) throws Exception;
    }

    /** Runs {@code body} with a 256 MiB, 2-thread engine; fails on leaked memory or spill files. */
    static void withEngine(Body body) {
        withEngine(256L << 20, body);
    }

    static void withEngine(long memoryLimit, Body body) {
        withEngine(memoryLimit, UnaryOperator.identity(), body);
    }

    /** Like {@link #withEngine(long, Body)} with further settings (morsel rows, forced spilling, an event listener). */
    static void withEngine(long memoryLimit, UnaryOperator<Spillway.Builder> settings, Body body) {
        LeakCheck.assertNoLeaks(mem -> {
            Path spill = mem.tempRoot().resolve("spill");
            Path data = mem.dataDir();
            Spillway sw = settings.apply(Spillway.builder().memoryLimit(memoryLimit).threads(2).tempDir(spill)).build();
            try {
                body.run(sw, data);
            } finally {
                sw.close();
            }
            assertEquals(0, sw.budget().reserved(), "engine memory back to zero");
            try (var files = java.nio.file.Files.list(spill)) {
                assertEquals(0, files.count(), "no spill directory left");
            }
            java.nio.file.Files.delete(spill);
        });
    }
}
