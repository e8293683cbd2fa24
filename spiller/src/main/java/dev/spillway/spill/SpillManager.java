package dev.spillway.spill;

import dev.spillway.event.StaleSweepFailed;
import dev.spillway.event.TmpfsWarning;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.Bytes;
import dev.spillway.memory.Closeables;
import dev.spillway.memory.MemoryBudget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The process-level side of spilling: where spill directories go, how much may be spilled, how
 * many files may be open, and cleaning up.
 *
 * <p>Root: the configured path, else {@code SPILLWAY_TEMP_DIR}, else {@code java.io.tmpdir}. At
 * start it sweeps directories left by processes that no longer exist and warns once when the root
 * is on tmpfs (spilling there goes back into RAM). Each query gets a private
 * {@link SpillDirectory}; a shutdown hook deletes the directories still alive when the JVM exits.
 */
public final class SpillManager implements AutoCloseable {
    /** Environment variable naming the spill root. */
    public static final String TEMP_DIR_ENV = "SPILLWAY_TEMP_DIR";
    static final String DIR_PREFIX = "spillway-";
    private static final Pattern DIR_NAME = Pattern.compile("spillway-(\\d+)-.+");
    private static final System.Logger LOG = System.getLogger(SpillManager.class.getName());
    private static final Set<SpillDirectory> LIVE = ConcurrentHashMap.newKeySet();
    private static final Set<Path> WARNED_TMPFS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (SpillDirectory d : List.copyOf(LIVE)) {
                d.deleteQuietly();
            }
        }, "spillway-spill-cleanup"));
    }

    private final Path root;
    private final BlockPool pool;
    private final long processCap;
    private final long queryCap;
    private final FileHandles handles;
    private final SpillStats stats = new SpillStats();
    private final AtomicLong bytesOnDisk = new AtomicLong();
    private final Set<SpillDirectory> directories = ConcurrentHashMap.newKeySet();
    private final List<SpillListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final boolean onTmpfs;
    private final boolean compress;
    private final boolean encrypt;
    private volatile boolean closed;

    /**
     * Creates the manager, creating the root if needed.
     *
     * @throws SpillException when the root cannot be created or is not a writable directory
     */
    public SpillManager(SpillConfig config, BlockPool pool) {
        this.pool = pool;
        this.root = resolveRoot(config.root());
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new SpillException("cannot create spill directory " + root + ": " + e.getMessage()
                    + "; set another with SPILLWAY_TEMP_DIR or the builder's tempDir", e);
        }
        if (!Files.isDirectory(root) || !Files.isWritable(root)) {
            throw new SpillException("spill root " + root + " is not a writable directory; set another with "
                    + TEMP_DIR_ENV + " or the builder's tempDir");
        }
        long free = usableSpace(root);
        this.processCap = config.processCapBytes() >= 0 ? config.processCapBytes() : (long) (free * 0.9);
        this.queryCap = config.queryCapBytes() >= 0 ? config.queryCapBytes() : processCap;
        this.handles = new FileHandles(config.maxOpenFiles());
        this.compress = config.compress();
        this.encrypt = config.encrypt();
        if (config.sweepStale()) {
            sweepStale();
        }
        this.onTmpfs = "tmpfs".equals(MountInfo.fileSystemType(root));
        if (onTmpfs && WARNED_TMPFS.add(root)) {
            LOG.log(System.Logger.Level.WARNING, new TmpfsWarning(root, TEMP_DIR_ENV + " (or the builder's tempDir)").line());
        }
    }

    /** The spill root for a configured path (null: environment, then {@code java.io.tmpdir}). */
    public static Path resolveRoot(Path configured) {
        if (configured != null) {
            return configured.toAbsolutePath();
        }
        String env = System.getenv(TEMP_DIR_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    }

    /**
     * Creates the private spill directory of a query; its compression scratch is charged to
     * {@code budget} now, so that spilling under memory pressure needs no further memory.
     */
    public SpillDirectory createQueryDirectory(String queryName, MemoryBudget budget) {
        if (closed) {
            throw new IllegalStateException("spill manager is closed");
        }
        SpillDirectory d = new SpillDirectory(this, queryName, budget);
        directories.add(d);
        LIVE.add(d);
        return d;
    }

    /**
     * Deletes directories under the root left by processes that no longer run (never those of a
     * live process).
     *
     * @return how many directories were deleted
     */
    public int sweepStale() {
        int removed = 0;
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, DIR_PREFIX + "*")) {
            for (Path p : entries) {
                Matcher m = DIR_NAME.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(p)) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid != self && ProcessHandle.of(pid).isEmpty()) {
                    SpillDirectory.deleteTree(p);
                    removed++;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, new StaleSweepFailed(root, e.toString()).line());
        }
        return removed;
    }

    /** Adds a listener to every directory's events. */
    public void addListener(SpillListener listener) {
        listeners.add(listener);
    }

    List<SpillListener> listeners() {
        return listeners;
    }

    /** The spill root. */
    public Path root() {
        return root;
    }

    /** Whether the root is on tmpfs. */
    public boolean onTmpfs() {
        return onTmpfs;
    }

    /** The process spill cap in bytes. */
    public long processCap() {
        return processCap;
    }

    /** The per-query spill cap in bytes. */
    public long queryCap() {
        return queryCap;
    }

    /** Bytes currently in spill files of this manager. */
    public long bytesOnDisk() {
        return bytesOnDisk.get();
    }

    /** Process-wide counters. */
    public SpillStats stats() {
        return stats;
    }

    /** Spill files open now. */
    public int openFiles() {
        return handles.openCount();
    }

    /** Most spill files open at once so far. */
    public int peakOpenFiles() {
        return handles.peakOpen();
    }

    boolean compress() {
        return compress;
    }

    /** Whether spilled chunks are encrypted (AES-GCM, a random key per query directory). */
    public boolean encrypts() {
        return encrypt;
    }

    BlockPool pool() {
        return pool;
    }

    FileHandles handles() {
        return handles;
    }

    /** Reserves disk bytes against the process cap; throws naming path and sizes when over. */
    void reserveDisk(long bytes, Path file, long writtenSoFar) {
        long now;
        do {
            now = bytesOnDisk.get();
            if (now + bytes > processCap) {
                throw new SpillException("spill cap reached writing " + file + ": the process has " + Bytes.format(now)
                        + " spilled, " + Bytes.format(bytes) + " more requested, cap " + Bytes.format(processCap)
                        + "; this file had " + Bytes.format(writtenSoFar) + " written; free space "
                        + Bytes.format(usableSpace(root)));
            }
        } while (!bytesOnDisk.compareAndSet(now, now + bytes));
    }

    void releaseDisk(long bytes) {
        bytesOnDisk.addAndGet(-bytes);
    }

    void directoryClosed(SpillDirectory d) {
        directories.remove(d);
        LIVE.remove(d);
    }

    static long usableSpace(Path p) {
        try {
            return Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Closes (deletes) every query directory still open. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Closeables.closeAll(new ArrayList<>(directories));
    }
}
