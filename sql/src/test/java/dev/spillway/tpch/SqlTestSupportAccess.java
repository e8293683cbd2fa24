package dev.spillway.tpch;

import dev.spillway.internal.EngineInternals;

import dev.spillway.Spillway;
import dev.spillway.memory.testing.LeakCheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A 2-thread engine without a cap inside the leak check, for the TPC-H SQL tests of this package. */
final class SqlTestSupportAccess {
    private SqlTestSupportAccess() {
    }

    /** A test body given an engine. */
    @FunctionalInterface
    interface Body {
        void run(Spillway sw) throws Exception;
    }

    static void withEngine(Body body) {
        LeakCheck.assertNoLeaks(mem -> {
            java.nio.file.Path spill = mem.tempRoot().resolve("spill");
            Spillway sw = Spillway.builder().threads(2).tempDir(spill).memoryLimit(1L << 30).build();
            try {
                body.run(sw);
            } finally {
                sw.close();
                java.nio.file.Files.deleteIfExists(spill);
            }
            assertEquals(0, EngineInternals.budget(sw).reserved(), "engine memory back to zero");
        });
    }
}
