package dev.spillway.spill;

import dev.spillway.errors.SpillException;
import dev.spillway.errors.SpillQuotaExceededException;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The private spill directory of one query: owner-only permissions ({@code rwx------} for the
 * directory, {@code rw-------} for its files, on file systems with POSIX permissions), a random
 * name inside its engine's locked {@link EngineDirectory} (so a later process can sweep it if this
 * one dies), created on the first spill and deleted with everything in it on {@link #close()} —
 * after success, failure or cancellation.
 *
 * <p>It owns the query's compression scratch (charged to the query's budget when the directory is
 * created) and serialises compression through it; writes themselves go to separate files. When
 * the manager encrypts, it also owns the query's {@link SpillCipher}: a random AES-256 key that
 * exists only in this object, so the files are unreadable once the process is gone.
 */
public final class SpillDirectory implements AutoCloseable {
    private static final LZ4Compressor COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();
    static final FileAttribute<?> OWNER_DIRECTORY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    static final FileAttribute<?> OWNER_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];

    private final SpillManager manager;
    private final String queryName;
    private final MemoryBudget budget;
    /** The query's own spill-disk quota, or -1 for none (the manager's query cap still applies). */
    private final long quotaBytes;
    private final NativeBuffer scratch;
    /** Largest raw chunk this query's files hold (from its cap; see {@link SpillFormat#chunkBytesFor}). */
    private final int chunkBytes;
    /** Null unless the manager encrypts; its key lives only here, for the query's life. */
    private final SpillCipher cipher;
    private final ReentrantLock scratchLock = new ReentrantLock();
    private final SpillStats stats = new SpillStats();
    private final AtomicLong bytesOnDisk = new AtomicLong();
    private final Set<SpillWriter> writers = ConcurrentHashMap.newKeySet();
    private final Set<SpillFile> files = ConcurrentHashMap.newKeySet();
    private volatile Path path;
    private volatile boolean closed;

    SpillDirectory(SpillManager manager, String queryName, MemoryBudget budget, long quotaBytes) {
        this.manager = manager;
        this.queryName = queryName;
        this.budget = budget;
        this.quotaBytes = quotaBytes;
        this.cipher = manager.encrypts() ? SpillCipher.withRandomKey() : null;
        // Encryption works in place in the scratch and appends the tag.
        // The scratch is exactly a pool size class. Compressed bytes go there only when they save a
        // sixteenth, so they always fit; encryption seals in place and appends the tag, so an
        // encrypting query's chunks leave room for it.
        int scratchBytes = SpillFormat.chunkBytesFor(budget.effectiveCap());
        this.chunkBytes = scratchBytes - (cipher != null ? SpillFormat.GCM_TAG_BYTES : 0);
        this.scratch = manager.pool().allocate(budget, scratchBytes);
    }

    /**
     * The directory, created on first use inside the engine's directory with permissions
     * {@code rwx------} (where the file system has POSIX permissions; elsewhere with its defaults).
     */
    public synchronized Path path() {
        ensureOpen();
        if (path == null) {
            Path engine = manager.acquireEngineDirectory();
            try {
                String safe = queryName.replaceAll("[^A-Za-z0-9._-]", "_");
                path = Files.createTempDirectory(engine, safe + "-",
                        posix(engine) ? new FileAttribute<?>[] {OWNER_DIRECTORY} : NONE);
            } catch (IOException e) {
                manager.releaseEngineDirectory();
                throw new SpillException("cannot create a spill directory under " + manager.root() + ": " + e, e);
            }
        }
        return path;
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Whether the directory exists on disk yet. */
    public boolean created() {
        return path != null;
    }

    /**
     * Creates a new spill file (owner read/write only) and a writer for it.
     *
     * @param label short text in the file name, e.g. {@code "join-build-p17"}
     */
    public SpillWriter newWriter(String label) {
        ensureOpen();
        String safe = label.replaceAll("[^A-Za-z0-9._-]", "_");
        Path file;
        try {
            Path dir = path();
            file = Files.createTempFile(dir, safe + "-", ".spill", posix(dir) ? new FileAttribute<?>[] {OWNER_FILE} : NONE);
        } catch (IOException e) {
            throw new SpillException("cannot create a spill file in " + path() + ": " + e, e);
        }
        SpillWriter w = new SpillWriter(this, file);
        writers.add(w);
        stats.fileCreated();
        manager.stats().fileCreated();
        for (SpillListener l : manager.listeners()) {
            l.fileCreated(file, label);
        }
        return w;
    }

    /** Opens a finished file for reading; blocks are decompressed into buffers charged to {@code budget}. */
    public SpillReader open(SpillFile file, MemoryBudget readBudget) {
        ensureOpen();
        return new SpillReader(this, file, readBudget);
    }

    /** Deletes a finished file whose data is no longer needed. */
    public void delete(SpillFile file) {
        if (files.remove(file)) {
            deleteFile(file.path(), file.byteSize());
        }
    }

    // ------------------------------------------------------------------ package internals

    SpillManager manager() {
        return manager;
    }

    BlockPool pool() {
        return manager.pool();
    }

    MemoryBudget budget() {
        return budget;
    }

    /** Largest raw chunk of this query's spill files. */
    public int chunkBytes() {
        return chunkBytes;
    }

    NativeBuffer scratch() {
        return scratch;
    }

    /** The query's cipher, or null when spill files are not encrypted. */
    SpillCipher cipher() {
        return cipher;
    }

    ReentrantLock scratchLock() {
        return scratchLock;
    }

    static LZ4Compressor compressor() {
        return COMPRESSOR;
    }

    void reserveDisk(long bytes, Path file, long writtenSoFar) {
        long cap = manager.queryCap();
        long now;
        do {
            now = bytesOnDisk.get();
            if (quotaBytes >= 0 && quotaBytes < cap && now + bytes > quotaBytes) {
                throw new SpillQuotaExceededException(queryName, quotaBytes, now, bytes, file);
            }
            if (now + bytes > cap) {
                throw new SpillException("query spill cap reached writing " + file + ": query '" + queryName + "' has "
                        + dev.spillway.memory.Bytes.format(now) + " spilled, " + dev.spillway.memory.Bytes.format(bytes)
                        + " more requested, cap " + dev.spillway.memory.Bytes.format(cap) + "; this file had "
                        + dev.spillway.memory.Bytes.format(writtenSoFar) + " written; free space "
                        + dev.spillway.memory.Bytes.format(SpillManager.usableSpace(manager.root())));
            }
        } while (!bytesOnDisk.compareAndSet(now, now + bytes));
        try {
            manager.reserveDisk(bytes, file, writtenSoFar);
        } catch (SpillException e) {
            bytesOnDisk.addAndGet(-bytes);
            throw e;
        }
    }

    void writerFinished(SpillWriter w, SpillFile f) {
        writers.remove(w);
        files.add(f);
    }

    void writerAborted(SpillWriter w, long bytes) {
        writers.remove(w);
        deleteFile(w.path(), bytes);
    }

    private void deleteFile(Path file, long bytes) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new SpillException("cannot delete spill file " + file + ": " + e, e);
        } finally {
            bytesOnDisk.addAndGet(-bytes);
            manager.releaseDisk(bytes);
            stats.fileDeleted();
            manager.stats().fileDeleted();
            for (SpillListener l : manager.listeners()) {
                l.fileDeleted(file, bytes);
            }
        }
    }

    /** This query's counters. */
    public SpillStats stats() {
        return stats;
    }

    /** Bytes in this query's spill files now. */
    public long bytesOnDisk() {
        return bytesOnDisk.get();
    }

    /** The query's own spill-disk quota in bytes, or -1 when it has none (the engine's caps apply). */
    public long quotaBytes() {
        return quotaBytes;
    }

    /** The query's name. */
    public String queryName() {
        return queryName;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("spill directory of query '" + queryName + "' is closed");
        }
    }

    /** Aborts open writers, deletes every file and the directory, releases the scratch. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        RuntimeException first = null;
        try {
            for (SpillWriter w : new ArrayList<>(writers)) {
                w.close();
            }
            for (SpillFile f : new ArrayList<>(files)) {
                files.remove(f);
                deleteFile(f.path(), f.byteSize());
            }
            if (path != null) {
                deleteTree(path);
            }
        } catch (RuntimeException e) {
            first = e;
        } finally {
            scratch.close();
            try {
                if (path != null) {
                    manager.releaseEngineDirectory();
                }
            } finally {
                manager.directoryClosed(this);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Best-effort removal from the shutdown hook. */
    void deleteQuietly() {
        Path p = path;
        if (p != null) {
            try {
                deleteTree(p);
            } catch (RuntimeException ignored) {
                // The JVM is exiting; nothing more can be done.
            }
        }
    }

    static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException gone) {
            // Already removed.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete spill directory " + root, e);
        }
    }

    List<SpillFile> files() {
        return List.copyOf(files);
    }
}
