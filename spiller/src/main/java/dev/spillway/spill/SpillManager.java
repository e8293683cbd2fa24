package dev.spillway.spill;

import dev.spillway.errors.SpillException;

import dev.spillway.event.StaleSweepFailed;
import dev.spillway.event.TmpfsWarning;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.Bytes;
import dev.spillway.memory.Closeables;
import dev.spillway.memory.MemoryBudget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process-level side of spilling: where spill directories go, how much may be spilled, how
 * many files may be open, and cleaning up.
 *
 * <p>Root: the configured path, else {@code SPILLWAY_TEMP_DIR}, else {@code java.io.tmpdir}. At
 * start it sweeps what engines of dead processes left (directories whose lock file no live process
 * holds, and the sink temporary files their journals list; {@link EngineDirectory}) and warns
 * once when the root is on tmpfs (spilling there goes back into RAM). While it has anything on
 * disk the engine keeps one locked directory under the root; each query gets a private
 * {@link SpillDirectory} inside it; a shutdown hook deletes the directories still alive when the
 * JVM exits.
 */
public final class SpillManager implements AutoCloseable {
    /** Environment variable naming the spill root. */
    public static final String TEMP_DIR_ENV = "SPILLWAY_TEMP_DIR";
    private static final System.Logger LOG = System.getLogger(SpillManager.class.getName());
    private static final Set<SpillDirectory> LIVE = ConcurrentHashMap.newKeySet();
    private static final Set<EngineDirectory> LIVE_ENGINES = ConcurrentHashMap.newKeySet();
    private static final Set<Path> WARNED_TMPFS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (SpillDirectory d : List.copyOf(LIVE)) {
                d.deleteQuietly();
            }
            for (EngineDirectory d : List.copyOf(LIVE_ENGINES)) {
                try {
                    d.close();
                } catch (RuntimeException ignored) {
                    // The JVM is exiting; the lock goes with it and the next engine sweeps the rest.
                }
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
    /** Guards {@link #engineDir}, {@link #engineUsers} and {@link #staged}. */
    private final Object engineGuard = new Object();
    private EngineDirectory engineDir;
    /** Live query directories on disk plus recorded sink outputs. */
    private int engineUsers;
    private final Set<Path> staged = new java.util.LinkedHashSet<>();
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
        return createQueryDirectory(queryName, budget, -1);
    }

    /**
     * Like {@link #createQueryDirectory(String, MemoryBudget)}, with a spill-disk quota of the
     * query's own: a write that would take its spill files past {@code quotaBytes} fails with a
     * {@link SpillQuotaExceededException} (the manager's process and query caps still apply).
     *
     * @param quotaBytes the quota, or -1 for none
     * @throws IllegalArgumentException when {@code quotaBytes} is below -1
     */
    public SpillDirectory createQueryDirectory(String queryName, MemoryBudget budget, long quotaBytes) {
        if (quotaBytes < -1) {
            throw new IllegalArgumentException("spill quota of query '" + queryName + "' must be >= 0 bytes (or -1 for"
                    + " none), got " + quotaBytes);
        }
        if (closed) {
            throw new IllegalStateException("spill manager is closed");
        }
        SpillDirectory d = new SpillDirectory(this, queryName, budget, quotaBytes);
        directories.add(d);
        LIVE.add(d);
        return d;
    }

    /**
     * Deletes what engines of dead processes left under the root: their directories (whose lock
     * file no live process holds; see {@link EngineDirectory}) and the temporary files of the file
     * sinks they were running. Never touches a live engine's directory, in this process or another.
     *
     * @return how many directories were deleted
     */
    public int sweepStale() {
        try {
            List<Path> removed = EngineDirectory.sweep(root);
            for (Path p : removed) {
                LOG.log(System.Logger.Level.DEBUG, "[spillway] spiller: stale-directory-removed path=" + p);
            }
            return removed.size();
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, new StaleSweepFailed(root, e.toString()).line());
            return 0;
        }
    }

    /**
     * The engine's directory under the root, created (and locked) when the first user needs it;
     * each call must be paired with {@link #releaseEngineDirectory()}.
     */
    Path acquireEngineDirectory() {
        synchronized (engineGuard) {
            if (engineDir == null) {
                try {
                    engineDir = EngineDirectory.create(root);
                } catch (IOException | UncheckedIOException e) {
                    throw new SpillException("cannot create a spill directory under " + root + ": " + e, e);
                }
                LIVE_ENGINES.add(engineDir);
            }
            engineUsers++;
            return engineDir.path();
        }
    }

    /** Ends one use of the engine's directory; the last one deletes it and drops its lock. */
    void releaseEngineDirectory() {
        synchronized (engineGuard) {
            if (engineUsers == 0) {
                throw new IllegalStateException("engine spill directory released more often than acquired");
            }
            if (--engineUsers == 0) {
                EngineDirectory d = engineDir;
                engineDir = null;
                LIVE_ENGINES.remove(d);
                d.close();
            }
        }
    }

    /**
     * Records that a file sink writes its output to {@code staged} (a temporary file or staging
     * directory) until {@link #stagingEnded}: if this process dies meanwhile, the next engine on
     * this root deletes it when it sweeps this engine's directory. Best effort: when the journal
     * cannot be written the sink goes on (a warning is logged) and only the clean-up is lost.
     */
    public void stagingStarted(Path staged) {
        synchronized (engineGuard) {
            try {
                acquireEngineDirectory();
            } catch (SpillException e) {
                LOG.log(System.Logger.Level.WARNING, "[spillway] spiller: staging-not-recorded path=" + staged + " reason="
                        + e.getMessage());
                return;
            }
            this.staged.add(staged.toAbsolutePath());
            writeJournal();
        }
    }

    /** The sink's output at {@code staged} was moved into place or deleted. */
    public void stagingEnded(Path staged) {
        synchronized (engineGuard) {
            if (this.staged.remove(staged.toAbsolutePath())) {
                if (engineUsers > 1) {
                    writeJournal();
                }
                releaseEngineDirectory();
            }
        }
    }

    /** Sink outputs recorded and not yet ended. */
    public List<Path> staged() {
        synchronized (engineGuard) {
            return List.copyOf(staged);
        }
    }

    private void writeJournal() {
        try {
            engineDir.writeJournal(staged);
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "[spillway] spiller: staging-journal-failed dir=" + engineDir.path()
                    + " reason=" + e);
        }
    }

    /** The engine's directory under the root, or null while it has nothing there. */
    public Path engineDirectory() {
        synchronized (engineGuard) {
            return engineDir == null ? null : engineDir.path();
        }
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

    /** Closes (deletes) every query directory still open, then the engine's directory. Idempotent. */
    @Override
    public void close() {
        closed = true;
        try {
            Closeables.closeAll(new ArrayList<>(directories));
        } finally {
            synchronized (engineGuard) {
                if (engineDir != null) {
                    LIVE_ENGINES.remove(engineDir);
                    engineDir.close();
                    engineDir = null;
                    engineUsers = 0;
                    staged.clear();
                }
            }
        }
    }
}
