package dev.spillway;

import dev.spillway.memory.Bytes;
import dev.spillway.memory.Morsel;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The settings of a {@link Spillway}, resolved once at {@link Spillway.Builder#build()}.
 * Precedence, per setting: a value given to the builder, else the environment variable, else the
 * default.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>environment</th><th>default</th></tr>
 *   <tr><td>memory limit</td><td>{@code SPILLWAY_MEMORY_LIMIT} (e.g. {@code 1g})</td><td>50% of physical RAM</td></tr>
 *   <tr><td>temp dir</td><td>{@code SPILLWAY_TEMP_DIR}</td><td>{@code java.io.tmpdir}</td></tr>
 *   <tr><td>threads</td><td>{@code SPILLWAY_THREADS}</td><td>available processors</td></tr>
 *   <tr><td>verbose</td><td>{@code SPILLWAY_VERBOSE} ({@code 1}/{@code true})</td><td>off</td></tr>
 *   <tr><td>spill encryption</td><td>{@code SPILLWAY_SPILL_ENCRYPTION} ({@code 1}/{@code true})</td><td>off</td></tr>
 * </table>
 *
 * @param memoryLimit bytes of native memory all queries together may hold
 * @param tempDir     spill root, or null for the environment/default
 * @param threads     worker threads
 * @param verbose     whether to log events
 * @param pinThreads  whether to pin workers to CPUs
 * @param morselRows  rows per morsel of generated sources and CSV scans
 * @param forceSpill  fraction (0 to 1) of the partitions of spillable operators written to disk
 *                    even without memory pressure, to exercise out-of-core paths (as Polars'
 *                    {@code POLARS_FORCE_OOC}); 0 in normal use
 * @param spillEncryption whether spilled chunks are encrypted (AES-256-GCM, a random key per
 *                    query held only in memory)
 */
public record SpillwayConfig(long memoryLimit, Path tempDir, int threads, boolean verbose, boolean pinThreads,
        int morselRows, double forceSpill, boolean spillEncryption) {
    /** Environment variable that turns spill encryption on ({@code 1}/{@code true}). */
    public static final String SPILL_ENCRYPTION_ENV = "SPILLWAY_SPILL_ENCRYPTION";

    /** Fraction of physical RAM used as the default memory limit. */
    public static final double DEFAULT_MEMORY_FRACTION = 0.5;

    /** Validates the values. */
    public SpillwayConfig {
        if (memoryLimit < (4L << 20)) {
            throw new IllegalArgumentException("memory limit " + Bytes.format(memoryLimit)
                    + " is below the working minimum of 4 MiB (one query needs its spill scratch and a few column buffers)");
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be between 1 and 1024, got " + threads);
        }
        if (morselRows < 1) {
            throw new IllegalArgumentException("morsel rows must be >= 1, got " + morselRows);
        }
        if (!(forceSpill >= 0 && forceSpill <= 1)) {
            throw new IllegalArgumentException("forceSpill must be between 0 and 1, got " + forceSpill);
        }
    }

    static SpillwayConfig resolve(Long memoryLimit, Path tempDir, Integer threads, Boolean verbose, boolean pin,
            Integer morselRows, Double forceSpill, Boolean spillEncryption, Map<String, String> env) {
        long mem = memoryLimit != null ? memoryLimit
                : env.containsKey("SPILLWAY_MEMORY_LIMIT") ? parseEnvSize(env.get("SPILLWAY_MEMORY_LIMIT"))
                : defaultMemoryLimit();
        int t = threads != null ? threads
                : env.containsKey("SPILLWAY_THREADS") ? parseEnvInt("SPILLWAY_THREADS", env.get("SPILLWAY_THREADS"))
                : Runtime.getRuntime().availableProcessors();
        boolean v = verbose != null ? verbose : env.containsKey("SPILLWAY_VERBOSE") && truthy(env.get("SPILLWAY_VERBOSE"));
        double force = forceSpill != null ? forceSpill
                : env.containsKey("SPILLWAY_FORCE_SPILL") ? parseFraction(env.get("SPILLWAY_FORCE_SPILL")) : 0;
        boolean encrypt = spillEncryption != null ? spillEncryption
                : env.containsKey(SPILL_ENCRYPTION_ENV) && parseSwitch(SPILL_ENCRYPTION_ENV, env.get(SPILL_ENCRYPTION_ENV));
        int rows = morselRows != null ? morselRows : defaultMorselRows(mem, t);
        return new SpillwayConfig(mem, tempDir, t, v, pin, rows, force, encrypt);
    }

    /** Bytes of cap per worker for each row of a morsel, when the morsel size is derived from the cap. */
    static final long CAP_BYTES_PER_MORSEL_ROW = 512;
    /** The smallest derived morsel. */
    static final int MIN_DERIVED_MORSEL_ROWS = 4096;

    /**
     * The default rows per morsel: {@link Morsel#DEFAULT_ROWS} (131,072) when each worker has at
     * least 64 MiB of the cap, else the power of two that gives each worker 512 bytes of cap per
     * morsel row (at least 4,096 rows). Every worker holds a few morsels in flight (its input, the
     * output of each operator, the sort's run buffer, the join's probe results) and none of that
     * can be spilled, so at small caps full-size morsels alone would fill the cap: at 4 MiB with 2
     * workers a 300,000-row group-by, sort or join failed with 131,072-row morsels; with 128 bytes
     * a row (32,768 rows on one worker) the stress grid's joins at 4 MiB were still refused on a
     * quarter of the seeds (the query's 1.25 MiB of spill scratch, the probe side's morsels and the
     * join's in-memory partitions), with 512 bytes none were.
     */
    static int defaultMorselRows(long memoryLimit, int threads) {
        long rows = memoryLimit / ((long) Math.max(1, threads) * CAP_BYTES_PER_MORSEL_ROW);
        if (rows >= Morsel.DEFAULT_ROWS) {
            return Morsel.DEFAULT_ROWS;
        }
        return (int) Math.max(MIN_DERIVED_MORSEL_ROWS, Long.highestOneBit(Math.max(1, rows)));
    }

    private static double parseFraction(String s) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SPILLWAY_FORCE_SPILL='" + s + "' is not a number between 0 and 1", e);
        }
    }

    private static long parseEnvSize(String s) {
        try {
            return Bytes.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SPILLWAY_MEMORY_LIMIT: " + e.getMessage(), e);
        }
    }

    private static int parseEnvInt(String name, String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + s + "' is not a whole number", e);
        }
    }

    /** A security switch: a value that is neither on nor off is an error, not silently "off". */
    private static boolean parseSwitch(String name, String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off", "" -> false;
            default -> throw new IllegalArgumentException(name + "='" + s + "' is not a switch; use 1/true/yes/on or 0/false/no/off");
        };
    }

    private static boolean truthy(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
    }

    /** {@value #DEFAULT_MEMORY_FRACTION} of the physical (or container) memory. */
    public static long defaultMemoryLimit() {
        long total = 8L << 30;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            total = os.getTotalMemorySize();
        }
        return (long) (total * DEFAULT_MEMORY_FRACTION);
    }

    /** Defaults with no builder values, from the process environment. */
    public static SpillwayConfig defaults() {
        return resolve(null, null, null, null, false, Morsel.DEFAULT_ROWS, null, null, System.getenv());
    }
}
