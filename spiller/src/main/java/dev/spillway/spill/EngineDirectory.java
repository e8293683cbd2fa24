package dev.spillway.spill;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The directory one engine ({@link SpillManager}) keeps under the spill root while it has
 * anything there: its queries' spill directories and the journal of its sinks' temporary files.
 *
 * <p>It holds a {@value #LOCK_FILE} file locked with {@link FileChannel#tryLock()} for as long as
 * the directory exists. The operating system drops the lock when the process dies, however it
 * dies, so "the lock can be taken" means "no live process owns this directory" — unlike a
 * process id, which another process may reuse, or which means nothing across PID namespaces on a
 * shared volume. A directory is created under a hidden name, its lock file created and locked,
 * and only then renamed to {@code spillway-<pid>-<random>}, so a directory under that name
 * without a held lock is never one being set up.
 *
 * <p>The journal ({@value #STAGED_FILE}) lists the temporary files and staging directories of the
 * engine's running file sinks; an engine that sweeps a dead engine's directory deletes them too
 * (only names a sink makes: {@code .<name>.<digits>.tmp}, {@code .spillway-staging-<digits>}).
 */
final class EngineDirectory implements AutoCloseable {
    /** The lock file's name. */
    static final String LOCK_FILE = "lock";
    /** The journal of staged sink outputs. */
    static final String STAGED_FILE = "staged";
    static final String PREFIX = "spillway-";
    static final String INIT_PREFIX = ".spillway-init-";
    /** A directory of this engine scheme or of the older one (a query directory named by process id). */
    private static final Pattern DIR_NAME = Pattern.compile("(?:spillway-|\\.spillway-init-)(\\d+)-.+");
    /** Names of what file sinks stage: {@code OrderedFileSink} temp files, {@code PartitionedFileSink} staging directories. */
    private static final Pattern STAGED_NAME = Pattern.compile("\\..+\\.\\d+\\.tmp|\\.spillway-staging-\\d+");
    private static final System.Logger LOG = System.getLogger(EngineDirectory.class.getName());

    private final Path path;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private EngineDirectory(Path path, FileChannel lockChannel, FileLock lock) {
        this.path = path;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** Creates a locked engine directory under {@code root}. */
    static EngineDirectory create(Path root) throws IOException {
        long pid = ProcessHandle.current().pid();
        boolean posix = posix(root);
        Path init = Files.createTempDirectory(root, INIT_PREFIX + pid + "-",
                posix ? new FileAttribute<?>[] {SpillDirectory.OWNER_DIRECTORY} : new FileAttribute<?>[0]);
        FileChannel ch = null;
        try {
            Path lockFile = init.resolve(LOCK_FILE);
            ch = posix ? FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    SpillDirectory.OWNER_FILE) : FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new IOException("cannot lock " + lockFile + ", which this process just created");
            }
            ch.write(ByteBuffer.wrap(("pid " + pid + "\n").getBytes(StandardCharsets.US_ASCII)));
            String suffix = init.getFileName().toString().substring(INIT_PREFIX.length());
            Path path = root.resolve(PREFIX + suffix);
            Files.move(init, path, StandardCopyOption.ATOMIC_MOVE);
            return new EngineDirectory(path, ch, lock);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            try {
                SpillDirectory.deleteTree(init);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** The directory. */
    Path path() {
        return path;
    }

    /** Rewrites the journal of staged sink outputs (atomically: a new file moved over the old). */
    void writeJournal(Collection<Path> staged) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path p : staged) {
            sb.append(p.toAbsolutePath()).append('\n');
        }
        Path tmp = path.resolve(STAGED_FILE + ".new");
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, path.resolve(STAGED_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes the directory and everything in it, then drops the lock. Idempotent. */
    @Override
    public void close() {
        try {
            SpillDirectory.deleteTree(path);
        } finally {
            try {
                if (lock.isValid()) {
                    lock.release();
                }
                lockChannel.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the lock of " + path + ": " + e);
            }
        }
    }

    // ------------------------------------------------------------------ sweeping

    /**
     * Deletes what dead engines left under {@code root}: every {@code spillway-*} (or hidden,
     * half-made {@code .spillway-init-*}) directory whose lock file no live process holds, with
     * the sink outputs its journal lists. A directory without a lock file is one of the older,
     * per-query kind (or one caught between its creation and its lock file): it goes only when the
     * process named in it no longer exists. Never touches a directory whose lock is held, by
     * another process or by this one.
     *
     * @return the directories deleted
     */
    static List<Path> sweep(Path root) throws IOException {
        List<Path> removed = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path p : entries) {
                Matcher m = DIR_NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    candidates.add(p);
                }
            }
        }
        for (Path p : candidates) {
            Path lockFile = p.resolve(LOCK_FILE);
            if (Files.exists(lockFile)) {
                try {
                    if (sweepLocked(p, lockFile)) {
                        removed.add(p);
                    }
                } catch (IOException | RuntimeException e) {
                    // Another user's directory, or one that vanished: leave it, sweep the rest.
                    LOG.log(System.Logger.Level.DEBUG, "not sweeping " + p + ": " + e);
                }
                continue;
            }
            Matcher m = DIR_NAME.matcher(p.getFileName().toString());
            long pid;
            try {
                pid = m.matches() ? Long.parseLong(m.group(1)) : self;
            } catch (NumberFormatException e) {
                continue;
            }
            if (pid != self && ProcessHandle.of(pid).isEmpty() && Files.notExists(lockFile)) {
                SpillDirectory.deleteTree(p);
                removed.add(p);
            }
        }
        return removed;
    }

    /** Takes the lock of {@code dir} if no one holds it, deletes its staged outputs and the directory. */
    private static boolean sweepLocked(Path dir, Path lockFile) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        } catch (NoSuchFileException gone) {
            return false; // removed meanwhile by its owner
        }
        try (ch) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException ours) {
                return false; // an engine of this process holds it
            }
            if (lock == null) {
                return false; // a live process holds it
            }
            try {
                deleteStaged(dir.resolve(STAGED_FILE));
                SpillDirectory.deleteTree(dir);
                return true;
            } finally {
                if (lock.isValid()) {
                    lock.release();
                }
            }
        }
    }

    private static void deleteStaged(Path journal) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
        } catch (NoSuchFileException none) {
            return;
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            Path p = Path.of(line);
            if (!p.isAbsolute() || p.getFileName() == null || !STAGED_NAME.matcher(p.getFileName().toString()).matches()) {
                LOG.log(System.Logger.Level.WARNING, "[spillway] spiller: stale-journal-entry-skipped path=" + line
                        + " (not a sink's temporary file)");
                continue;
            }
            if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                SpillDirectory.deleteTree(p);
            } else {
                Files.deleteIfExists(p);
            }
        }
    }
}
