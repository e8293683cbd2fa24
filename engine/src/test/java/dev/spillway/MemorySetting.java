package dev.spillway;

import dev.spillway.event.SpillwayEvent;
import dev.spillway.memory.testing.LeakCheck;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One of the three memory settings of the differential tests: no cap (an in-memory engine); a
 * moderate cap with half of the spillable state forced to disk; a tiny cap with small morsels and
 * everything spillable forced to disk. Each test picks its own moderate and tiny numbers.
 *
 * @param name       NO_CAP, MODERATE or TINY, shown in failure messages and spill directory names
 * @param cap        the engine's memory limit in bytes
 * @param morselRows the engine's morsel size
 * @param forceSpill the share of spillable state forced to disk (0, 0.5 or 1.0)
 * @param encrypt    whether the engine encrypts its spill files ({@code spillEncryption})
 */
record MemorySetting(String name, long cap, int morselRows, double forceSpill, boolean encrypt) {
    MemorySetting(String name, long cap, int morselRows, double forceSpill) {
        this(name, cap, morselRows, forceSpill, false);
    }

    /** No cap: 1 GiB, default morsels, nothing forced. */
    static final MemorySetting NO_CAP = new MemorySetting("NO_CAP", 1L << 30, 131_072, 0);

    /** The usual three settings: {@link #NO_CAP}, a moderate cap (forceSpill 0.5) and a tiny cap (forceSpill 1.0). */
    static List<MemorySetting> three(long moderateCap, int moderateMorselRows, long tinyCap, int tinyMorselRows) {
        return List.of(NO_CAP, new MemorySetting("MODERATE", moderateCap, moderateMorselRows, 0.5),
                new MemorySetting("TINY", tinyCap, tinyMorselRows, 1.0));
    }

    /**
     * {@code settings} and, last, a copy of their tiny setting with encrypted spill files
     * ({@code TINY_ENCRYPTED}): the encryption dimension of a differential test.
     */
    static List<MemorySetting> withEncryptedTiny(List<MemorySetting> settings) {
        MemorySetting tiny = settings.stream().filter(MemorySetting::isTiny).findFirst().orElseThrow();
        List<MemorySetting> out = new java.util.ArrayList<>(settings);
        out.add(new MemorySetting("TINY_ENCRYPTED", tiny.cap, tiny.morselRows, tiny.forceSpill, true));
        return List.copyOf(out);
    }

    boolean isNoCap() {
        return equals(NO_CAP);
    }

    boolean isTiny() {
        return name.startsWith("TINY");
    }

    /** Sets this setting's cap, morsel size, forced spilling and spill encryption on {@code b} (fits {@code EngineTestSupport.withEngine}). */
    Spillway.Builder applyTo(Spillway.Builder b) {
        return b.memoryLimit(cap).morselRows(morselRows).forceSpill(forceSpill).spillEncryption(encrypt);
    }

    /** A 2-thread engine builder at this setting, spilling into {@code spillDir}. */
    Spillway.Builder builder(Path spillDir) {
        return applyTo(Spillway.builder().threads(2).tempDir(spillDir));
    }

    /** Work with an engine at one setting. */
    @FunctionalInterface
    interface EngineBody<T> {
        T run(Spillway sw) throws Exception;
    }

    /**
     * Runs {@code body} with an engine at this setting that spills into a directory of its own under
     * {@code mem}'s temp root (removed afterwards) and reports its events to {@code events}
     * (none if null).
     */
    <T> T withEngine(LeakCheck.TestMemory mem, List<SpillwayEvent> events, EngineBody<T> body) throws Exception {
        Path spill = mem.tempRoot().resolve("spill-" + name);
        Spillway.Builder b = builder(spill);
        if (events != null) {
            b.eventListener(events::add);
        }
        try (Spillway sw = b.build()) {
            assertTrue(sw.spills().encrypts() == encrypt, name + ": spill encryption " + encrypt);
            return body.run(sw);
        } finally {
            Files.deleteIfExists(spill);
        }
    }

    /** Fails unless the engine's peak reservation stayed within this setting's cap. */
    void assertPeakWithinCap(Spillway sw, String what) {
        assertTrue(sw.budget().peak() <= cap, what + ": peak " + sw.budget().peak() + " over the cap " + cap);
    }

    @Override
    public String toString() {
        return name;
    }
}
