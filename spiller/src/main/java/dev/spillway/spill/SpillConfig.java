package dev.spillway.spill;

import java.nio.file.Path;

/**
 * Settings of a {@link SpillManager}.
 *
 * @param root            spill root; null means {@code SPILLWAY_TEMP_DIR}, else {@code java.io.tmpdir}
 * @param processCapBytes most bytes spilled at once by the process; -1 means 90% of the free space
 *                        seen at start
 * @param queryCapBytes   most bytes spilled at once by one query; -1 means the process cap
 * @param maxOpenFiles    most spill files open at once (default 64)
 * @param sweepStale      whether to delete directories left by dead processes at start
 * @param compress        whether to LZ4-compress chunks (off only to measure the raw baseline)
 * @param encrypt         whether to encrypt every chunk with AES-GCM under a random key per query
 *                        directory, held only in memory ({@link SpillCipher})
 */
public record SpillConfig(Path root, long processCapBytes, long queryCapBytes, int maxOpenFiles, boolean sweepStale,
        boolean compress, boolean encrypt) {
    /** Default maximum of open spill files. */
    public static final int DEFAULT_MAX_OPEN_FILES = 64;

    /** Validates the numbers. */
    public SpillConfig {
        if (maxOpenFiles < 1) {
            throw new IllegalArgumentException("max open spill files must be >= 1, got " + maxOpenFiles);
        }
        if (processCapBytes < -1 || queryCapBytes < -1) {
            throw new IllegalArgumentException("spill caps must be >= 0 or -1 (default)");
        }
    }

    /** Defaults: root from the environment, caps from free space, 64 open files, sweep on, compressed, not encrypted. */
    public static SpillConfig defaults() {
        return new SpillConfig(null, -1, -1, DEFAULT_MAX_OPEN_FILES, true, true, false);
    }

    /** With another root. */
    public SpillConfig withRoot(Path newRoot) {
        return new SpillConfig(newRoot, processCapBytes, queryCapBytes, maxOpenFiles, sweepStale, compress, encrypt);
    }

    /** With another process cap. */
    public SpillConfig withProcessCap(long bytes) {
        return new SpillConfig(root, bytes, queryCapBytes, maxOpenFiles, sweepStale, compress, encrypt);
    }

    /** With another query cap. */
    public SpillConfig withQueryCap(long bytes) {
        return new SpillConfig(root, processCapBytes, bytes, maxOpenFiles, sweepStale, compress, encrypt);
    }

    /** With another open-file maximum. */
    public SpillConfig withMaxOpenFiles(int n) {
        return new SpillConfig(root, processCapBytes, queryCapBytes, n, sweepStale, compress, encrypt);
    }

    /** With compression on or off. */
    public SpillConfig withCompression(boolean on) {
        return new SpillConfig(root, processCapBytes, queryCapBytes, maxOpenFiles, sweepStale, on, encrypt);
    }

    /** With stale-directory sweeping on or off. */
    public SpillConfig withSweepStale(boolean sweep) {
        return new SpillConfig(root, processCapBytes, queryCapBytes, maxOpenFiles, sweep, compress, encrypt);
    }

    /** With AES-GCM encryption of spilled chunks on or off. */
    public SpillConfig withEncryption(boolean on) {
        return new SpillConfig(root, processCapBytes, queryCapBytes, maxOpenFiles, sweepStale, compress, on);
    }
}
