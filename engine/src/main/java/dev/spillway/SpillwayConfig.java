package dev.spillway;

import dev.spillway.memory.Bytes;
import dev.spillway.memory.MemoryArbiter;
import dev.spillway.memory.Morsel;

import dev.spillway.operators.sort.ExternalSort;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of a {@link Spillway}, resolved once at {@link Spillway.Builder#build()}.
 * Precedence, per setting: a value given to the builder, else the system property
 * {@code spillway.<builder method>}, else the environment variable {@code SPILLWAY_<BUILDER_METHOD>},
 * else the default. A property or variable whose value does not parse fails {@code build()} with an
 * {@link IllegalArgumentException} that names it, its value and what is valid.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>builder</th><th>system property</th><th>environment</th><th>default</th></tr>
 *   <tr><td>{@code memoryLimit}</td><td>{@code spillway.memoryLimit}</td><td>{@code SPILLWAY_MEMORY_LIMIT}</td><td>50% of physical RAM</td></tr>
 *   <tr><td>{@code tempDir}</td><td>{@code spillway.tempDir}</td><td>{@code SPILLWAY_TEMP_DIR}</td><td>{@code java.io.tmpdir}</td></tr>
 *   <tr><td>{@code threads}</td><td>{@code spillway.threads}</td><td>{@code SPILLWAY_THREADS}</td><td>available processors</td></tr>
 *   <tr><td>{@code verbose}</td><td>{@code spillway.verbose}</td><td>{@code SPILLWAY_VERBOSE}</td><td>off</td></tr>
 *   <tr><td>{@code pinThreads}</td><td>{@code spillway.pinThreads}</td><td>{@code SPILLWAY_PIN_THREADS}</td><td>off</td></tr>
 *   <tr><td>{@code morselRows}</td><td>{@code spillway.morselRows}</td><td>{@code SPILLWAY_MORSEL_ROWS}</td><td>131,072, less when a worker has under 64 MiB of the cap</td></tr>
 *   <tr><td>{@code forceSpill}</td><td>{@code spillway.forceSpill}</td><td>{@code SPILLWAY_FORCE_SPILL}</td><td>0</td></tr>
 *   <tr><td>{@code spillEncryption}</td><td>{@code spillway.spillEncryption}</td><td>{@code SPILLWAY_SPILL_ENCRYPTION}</td><td>off</td></tr>
 *   <tr><td>{@code sortFanIn}</td><td>{@code spillway.sortFanIn}</td><td>{@code SPILLWAY_SORT_FAN_IN}</td><td>64</td></tr>
 *   <tr><td>{@code closeTimeout}</td><td>{@code spillway.closeTimeout}</td><td>{@code SPILLWAY_CLOSE_TIMEOUT}</td><td>30 s</td></tr>
 *   <tr><td>{@code memoryWait}</td><td>{@code spillway.memoryWait}</td><td>{@code SPILLWAY_MEMORY_WAIT}</td><td>5 s</td></tr>
 *   <tr><td>{@code retryAlone}</td><td>{@code spillway.retryAlone}</td><td>{@code SPILLWAY_RETRY_ALONE}</td><td>on</td></tr>
 * </table>
 *
 * @param memoryLimit bytes of native memory all queries together may hold
 * @param tempDir     spill root, or null for {@code java.io.tmpdir}
 * @param threads     worker threads
 * @param verbose     whether to log every event (warnings are logged regardless)
 * @param pinThreads  whether to pin workers to CPUs
 * @param morselRows  rows per morsel of generated sources and CSV scans
 * @param forceSpill  fraction (0 to 1) of the partitions of spillable operators written to disk
 *                    even without memory pressure, to exercise out-of-core paths (as Polars'
 *                    {@code POLARS_FORCE_OOC}); 0 in normal use
 * @param spillEncryption whether spilled chunks are encrypted (AES-256-GCM, a random key per
 *                    query held only in memory)
 * @param sortFanIn   most sorted runs a sort merges at once
 * @param closeTimeout how long {@link Spillway#close()} waits for cancelled queries
 * @param memoryWait  how long a refused reservation waits for other queries' memory
 * @param retryAlone  whether a query refused memory beside others runs once more alone
 */
public record SpillwayConfig(long memoryLimit, Path tempDir, int threads, boolean verbose, boolean pinThreads,
        int morselRows, double forceSpill, boolean spillEncryption, int sortFanIn, Duration closeTimeout,
        Duration memoryWait, boolean retryAlone) {
    /** Environment variable that turns spill encryption on ({@code 1}/{@code true}). */
    public static final String SPILL_ENCRYPTION_ENV = "SPILLWAY_SPILL_ENCRYPTION";

    /** Fraction of physical RAM used as the default memory limit. */
    public static final double DEFAULT_MEMORY_FRACTION = 0.5;

    /** The smallest memory limit: one query needs its spill scratch and a few column buffers. */
    static final long MIN_MEMORY_LIMIT = 4L << 20;
    /** The most worker threads. */
    static final int MAX_THREADS = 1024;

    /** Validates the values. */
    public SpillwayConfig {
        if (memoryLimit < MIN_MEMORY_LIMIT) {
            throw new IllegalArgumentException("memory limit " + Bytes.format(memoryLimit)
                    + " is below the working minimum of 4 MiB (one query needs its spill scratch and a few column buffers)");
        }
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be between 1 and 1024, got " + threads);
        }
        if (morselRows < 1) {
            throw new IllegalArgumentException("morsel rows must be >= 1, got " + morselRows);
        }
        if (!(forceSpill >= 0 && forceSpill <= 1)) {
            throw new IllegalArgumentException("forceSpill must be between 0 and 1, got " + forceSpill);
        }
        if (sortFanIn < 2) {
            throw new IllegalArgumentException("sort fan-in must be at least 2, got " + sortFanIn);
        }
        if (closeTimeout == null || closeTimeout.isNegative()) {
            throw new IllegalArgumentException("close timeout must be zero or positive, got " + closeTimeout);
        }
        if (memoryWait == null || memoryWait.isNegative()) {
            throw new IllegalArgumentException("memory wait must be zero or positive, got " + memoryWait);
        }
    }

    /**
     * Resolves every setting: the builder's value when given, else {@code settings}' system
     * property or environment variable, else the default.
     */
    static SpillwayConfig resolve(Spillway.Builder b, Settings settings) {
        Long givenMem = settings.get(b.memoryLimit, "memoryLimit", Settings.size(MIN_MEMORY_LIMIT), null);
        long mem = givenMem != null ? givenMem : defaultMemoryLimit();
        Integer givenThreads = settings.get(b.threads, "threads", Settings.count(1, MAX_THREADS), null);
        int t = givenThreads != null ? givenThreads : Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
        Integer givenRows = settings.get(b.morselRows, "morselRows", Settings.count(1, Integer.MAX_VALUE), null);
        return new SpillwayConfig(mem,
                settings.get(b.tempDir, "tempDir", Settings.path(), null),
                t,
                settings.get(b.verbose, "verbose", Settings.onOff(), false),
                settings.get(b.pin, "pinThreads", Settings.onOff(), false),
                givenRows != null ? givenRows : defaultMorselRows(mem, t),
                settings.get(b.forceSpill, "forceSpill", Settings.fraction(), 0.0),
                settings.get(b.spillEncryption, "spillEncryption", Settings.onOff(), false),
                settings.get(b.sortFanIn, "sortFanIn", Settings.count(2, Integer.MAX_VALUE), ExternalSort.DEFAULT_FAN_IN),
                settings.get(b.closeTimeout, "closeTimeout", Settings.duration(), Spillway.DEFAULT_CLOSE_TIMEOUT),
                settings.get(b.memoryWait, "memoryWait", Settings.duration(), MemoryArbiter.DEFAULT_RELEASE_WAIT),
                settings.get(b.retryAlone, "retryAlone", Settings.onOff(), true));
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

    /** {@value #DEFAULT_MEMORY_FRACTION} of the physical (or container) memory. */
    public static long defaultMemoryLimit() {
        long total = 8L << 30;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            total = os.getTotalMemorySize();
        }
        return (long) (total * DEFAULT_MEMORY_FRACTION);
    }

    /**
     * The settings of an engine built with no builder values but {@link Morsel#DEFAULT_ROWS}-row
     * morsels, from the process's system properties and environment.
     */
    public static SpillwayConfig defaults() {
        return resolve(Spillway.builder().morselRows(Morsel.DEFAULT_ROWS), Settings.system());
    }
}
