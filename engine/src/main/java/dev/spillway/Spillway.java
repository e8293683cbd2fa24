package dev.spillway;

import dev.spillway.arrow.ArrowStreamScan;
import dev.spillway.event.EngineStarted;
import dev.spillway.event.EventSink;
import dev.spillway.event.OpenFileLimit;
import dev.spillway.event.QueryRetried;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.event.TmpfsWarning;
import dev.spillway.formats.HiveColumns;
import dev.spillway.formats.ipc.IpcScan;
import dev.spillway.formats.parquet.ParquetScan;
import dev.spillway.internal.EngineInternals;
import dev.spillway.jfr.JfrSpillListener;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.Bytes;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryArbiter;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLeakException;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.options.CsvOptions;
import dev.spillway.operators.csv.CsvScan;
import dev.spillway.plan.CsvScanNode;
import dev.spillway.plan.ExternalScan;
import dev.spillway.plan.ExternalScanNode;
import dev.spillway.plan.FormatScanNode;
import dev.spillway.plan.InMemoryNode;
import dev.spillway.errors.PlanException;
import dev.spillway.plan.RangeNode;
import dev.spillway.scheduler.QueryHandle;
import dev.spillway.scheduler.WorkerPool;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillManager;
import dev.spillway.spi.SqlFrontEnd;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The engine: owns the memory budget, the worker pool and the spill directories, and starts lazy
 * queries.
 *
 * <pre>{@code
 * try (Spillway sw = Spillway.builder().memoryLimit("1g").threads(2).build()) {
 *     try (DataFrame df = sw.scanCsv(Path.of("orders.csv"))
 *             .filter(col("amount").gt(lit(100.0)))
 *             .collect()) {
 *         System.out.println(df);
 *     }
 * }
 * }</pre>
 *
 * <p>Thread-safe: many threads may build and run queries on one instance at once; they share the
 * workers (fairly) and the memory limit. Closing it cancels running queries, waits (a bounded
 * time) until they have released what they hold, and frees everything; frames still open at that
 * point are reported as leaked.
 */
public final class Spillway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.spillway");
    /** The default of {@link Builder#closeTimeout}. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private static final String CLOSED_REASON = "the Spillway instance was closed";

    static {
        EngineInternals.register(new InternalAccess());
    }

    private final SpillwayConfig config;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryBudget unlimited;
    private final WorkerPool workers;
    private final SpillManager spills;
    private final MemoryBudget owned;
    private final List<Morsel> ownedMorsels = new ArrayList<>();
    /** Arrow C streams taken by {@link #fromArrowStream}; guarded by {@code ownedMorsels}. */
    private final List<ExternalScan> ownedScans = new ArrayList<>();
    private final AtomicLong querySeq = new AtomicLong();
    /** The builder's listeners, lines and records, as one sink; null when there are none. */
    private final EventSink events;
    private final Consumer<QueryProgress> progress;
    /** Receives every query's profile when it ends; null for none. Set once by the builder. */
    private Consumer<QueryProfile> profileListener;
    private final ThreadLocal<QueryProfile> threadProfile = new ThreadLocal<>();
    private volatile QueryProfile lastProfile;
    /** The tables of {@link #sql}, from the SQL module; created at the first use. */
    private volatile SqlFrontEnd.Catalog sqlCatalog;
    private int sortFanIn = dev.spillway.operators.sort.ExternalSort.DEFAULT_FAN_IN;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    /** Decides which query's operators spill when a reservation under {@link #budget} fails. */
    private final MemoryArbiter arbiter;
    /**
     * Queries from their start until they released their resources or handed them to a result;
     * guarded by itself, and {@link #closed} is set under the same lock, so a query either
     * registers before close() looks or fails to start.
     */
    private final Set<RunningQuery> running = new LinkedHashSet<>();
    private volatile boolean closed;
    /** Set (under {@link #running}) by the close() that goes on to free everything; guarded by {@link #running}. */
    private boolean released;
    /** The thread running a query alone after a refusal beside others, or null; guarded by {@link #running}. */
    private Thread aloneOwner;
    /** Threads waiting to run a query alone; new queries wait behind them. Guarded by {@link #running}. */
    private int aloneWaiting;
    /** The last query that failed on this thread (to tell whether another query ran beside it). */
    private final ThreadLocal<RunningQuery> lastFailed = new ThreadLocal<>();
    /** Set while a query is retried with every spillable operator spilling (see {@link #retryingAlone}). */
    private final ThreadLocal<Boolean> spillingEverything = new ThreadLocal<>();
    private final boolean retryAlone;

    private Spillway(SpillwayConfig config, EventSink events, Consumer<QueryProgress> progress, Duration memoryWait,
            boolean retryAlone) {
        this.config = config;
        this.retryAlone = retryAlone;
        this.events = events;
        this.progress = progress;
        this.pool = new BlockPool();
        this.budget = MemoryBudget.root("spillway", config.memoryLimit());
        // At most threads - 1 reservations wait for other queries' memory at once, so a worker is
        // always left to run the work that releases it.
        this.arbiter = new MemoryArbiter(budget, memoryWait, Math.max(0, config.threads() - 1));
        pool.chargeIdleTo(budget);
        this.unlimited = MemoryBudget.root("spillway-in-memory", MemoryBudget.UNLIMITED);
        this.owned = budget.child("frames");
        SpillManager sm = null;
        try {
            sm = new SpillManager(SpillConfig.defaults().withRoot(config.tempDir()).withEncryption(config.spillEncryption()), pool);
            this.workers = new WorkerPool(config.threads(), config.pinThreads());
        } catch (RuntimeException e) {
            if (sm != null) {
                sm.close();
            }
            pool.close();
            throw e;
        }
        this.spills = sm;
        if (config.verbose()) {
            LOG.log(System.Logger.Level.INFO, new EngineStarted(config.memoryLimit(), config.threads(), spills.root()).line());
        }
        spills.addListener(new JfrSpillListener());
        if (spills.onTmpfs() && events != null) {
            // SpillManager already warned through System.Logger; the listener gets the same line.
            events.accept(new TmpfsWarning(spills.root(), SpillManager.TEMP_DIR_ENV));
        }
        long fdLimit = maxFileDescriptors();
        int fileCap = SpillConfig.defaults().maxOpenFiles();
        if (fdLimit > 0 && fdLimit < 4L * fileCap) {
            log(new OpenFileLimit(fdLimit, fileCap, true));
        } else if (config.verbose() || events != null) {
            log(new OpenFileLimit(fdLimit, fileCap, false));
        }
    }

    private static long maxFileDescriptors() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return -1;
    }

    /**
     * The profile of the last query this thread ran on this engine ({@code collect()},
     * {@code sinkCsv()}, ...), or of the last query any thread ran when this one ran none; null
     * before the first query.
     */
    public QueryProfile lastProfile() {
        QueryProfile own = threadProfile.get();
        return own != null ? own : lastProfile;
    }

    /**
     * Keeps {@code profile} as the last one, and as this thread's when {@code callerThread} (a
     * query finished off its caller's thread, a stream's or a submitted one, is not this thread's).
     */
    void recordProfile(QueryProfile profile, boolean callerThread) {
        if (callerThread) {
            threadProfile.set(profile);
        }
        lastProfile = profile;
        Consumer<QueryProfile> l = profileListener;
        if (l != null) {
            l.accept(profile);
        }
    }

    Consumer<QueryProgress> progressListener() {
        return progress;
    }

    /** A builder with defaults (see {@link SpillwayConfig}). */
    public static Builder builder() {
        return new Builder();
    }

    /** An engine with the defaults, overridden by {@code spillway.*} system properties and {@code SPILLWAY_*} variables. */
    public static Spillway create() {
        return builder().build();
    }

    /** The resolved settings. */
    public SpillwayConfig config() {
        return config;
    }

    /**
     * The engine's memory now: bytes reserved by running queries and collected frames, the most
     * ever reserved at once, and the cap ({@link Long#MAX_VALUE} when unlimited).
     */
    public MemoryUsage memoryUsage() {
        return new MemoryUsage(budget.reserved(), budget.peak(), budget.cap());
    }

    /** The process memory budget (all queries' memory). */
    MemoryBudget budget() {
        return budget;
    }

    /** The memory arbiter: which query's operators spill under pressure, and how long a reservation waits. */
    MemoryArbiter arbiter() {
        return arbiter;
    }

    /** The spill manager (spill root, stats). */
    SpillManager spills() {
        return spills;
    }

    /** The worker pool. */
    WorkerPool workers() {
        return workers;
    }

    BlockPool pool() {
        return pool;
    }

    MemoryBudget unlimitedBudget() {
        return unlimited;
    }

    String nextQueryName() {
        return nextQueryName(null);
    }

    /** {@code query-<n>}, or {@code <given>-<n>} for a name given in {@link QueryOptions}: unique either way. */
    String nextQueryName(String given) {
        return (given == null ? "query" : given) + "-" + querySeq.incrementAndGet();
    }

    /** Most sorted runs a sort merges at once (see {@link Builder#sortFanIn}). */
    public int sortFanIn() {
        return sortFanIn;
    }

    /**
     * Reports an event: its line to System.Logger (at WARNING when it is a warning, whether or not
     * the engine is verbose; at INFO when verbose), and the event to the builder's listeners.
     */
    void log(SpillwayEvent event) {
        if (isWarning(event)) {
            LOG.log(System.Logger.Level.WARNING, event.line());
        } else if (config.verbose()) {
            LOG.log(System.Logger.Level.INFO, event.line());
        }
        if (events != null) {
            events.accept(event);
        }
    }

    /** Events that call for the operator's attention and so are logged without verbose. */
    static boolean isWarning(SpillwayEvent event) {
        return event instanceof OpenFileLimit o && o.low();
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this Spillway instance is closed");
        }
    }

    /**
     * Registers a query that is starting on the calling thread; {@link #close()} cancels it and
     * waits for its {@link RunningQuery#end() end}.
     *
     * @throws IllegalStateException when this instance is closed
     */
    RunningQuery queryStarted(String name) {
        Thread me = Thread.currentThread();
        synchronized (running) {
            ensureOpen();
            // A query that runs alone keeps others out until it ends, and one waiting to run alone
            // goes first; a query nested in one this thread runs already never waits (it would
            // wait for itself).
            if (!runsQueryOn(me)) {
                while (aloneOwner != null ? aloneOwner != me : aloneWaiting > 0) {
                    waitOnRunning("to start beside a query that runs alone");
                }
            }
            RunningQuery q = new RunningQuery(name, me);
            if (!running.isEmpty()) {
                q.besideOthers = true;
                running.forEach(r -> r.besideOthers = true);
            }
            running.add(q);
            return q;
        }
    }

    /** Whether {@code t} started a query that has not ended; under {@link #running}. */
    private boolean runsQueryOn(Thread t) {
        for (RunningQuery q : running) {
            if (q.thread == t) {
                return true;
            }
        }
        return false;
    }

    /** Waits on {@link #running} (held) for a change; throws when closed or interrupted meanwhile. */
    private void waitOnRunning(String what) {
        try {
            running.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            CancellationException c = new CancellationException("interrupted while waiting " + what);
            c.initCause(e);
            throw c;
        }
        ensureOpen();
    }

    /**
     * Runs {@code attempt} (one query, making its sinks afresh), and once more when a reservation
     * of it was refused: first alone, when other queries ran beside it — after the running
     * queries end and before any other starts — so that a query that fits the cap on its own
     * does not fail because others held the memory it needed; then, when it was refused running
     * alone, alone again with every spillable operator writing all of its partitions to disk
     * (joins keep no build table in memory while probing, group-bys and sorts spill everything,
     * cached inputs spill their backlog), the plan with the smallest working set. Each query's
     * memory is released, and its partial output removed, when it fails; each retry is reported
     * as a {@link QueryRetried} event. A failure other than a refused reservation, a refusal by a
     * query's own memory quota (other queries are not in its way), a query nested in another on
     * the same thread, or an engine already forcing every spill fails as before.
     * Off with {@link Builder#retryAlone(boolean) retryAlone(false)}.
     */
    <T> T retryingAlone(Supplier<T> attempt) {
        lastFailed.remove();
        try {
            return attempt.get();
        } catch (RuntimeException e) {
            RunningQuery failed = lastFailed.get();
            lastFailed.remove();
            MemoryLimitExceededException refusal = refusal(e);
            // A cap below the engine's (a query's memory quota) refuses the same however many
            // queries run: running alone would not help.
            if (!retryAlone || failed == null || refusal == null || closed || refusal.capBytes() < budget.cap()) {
                throw e;
            }
            synchronized (running) {
                if (runsQueryOn(Thread.currentThread())) {
                    throw e;
                }
            }
            RuntimeException last = e;
            if (failed.besideOthers) {
                log(new QueryRetried(failed.name, QueryRetried.ALONE, firstLine(refusal(e))));
                lastFailed.remove();
                try {
                    return runAlone(attempt);
                } catch (RuntimeException again) {
                    again.addSuppressed(e);
                    last = again;
                    RunningQuery failedAlone = lastFailed.get();
                    lastFailed.remove();
                    if (failedAlone == null || refusal(again) == null || closed) {
                        throw again;
                    }
                }
            }
            if (config.forceSpill() >= 1.0) {
                throw last;
            }
            log(new QueryRetried(failed.name, QueryRetried.SPILLING_EVERYTHING, firstLine(refusal(last))));
            try {
                return runAlone(() -> {
                    spillingEverything.set(Boolean.TRUE);
                    try {
                        return attempt.get();
                    } finally {
                        spillingEverything.remove();
                    }
                });
            } catch (RuntimeException again) {
                again.addSuppressed(last);
                throw again;
            } finally {
                lastFailed.remove();
            }
        }
    }

    /**
     * The fraction of their partitions that spillable operators of a query planned on this thread
     * now write to disk: the configured one, or all of them in a retry after a refusal.
     */
    double forceSpillNow() {
        return Boolean.TRUE.equals(spillingEverything.get()) ? 1.0 : config.forceSpill();
    }

    private static String firstLine(Throwable t) {
        return String.valueOf(t.getMessage()).lines().findFirst().orElse("");
    }

    /** The refused reservation behind {@code e}, or null. */
    private static MemoryLimitExceededException refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MemoryLimitExceededException m) {
                return m;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private <T> T runAlone(Supplier<T> attempt) {
        Thread me = Thread.currentThread();
        synchronized (running) {
            aloneWaiting++;
            try {
                while (aloneOwner != null || !running.isEmpty()) {
                    waitOnRunning("for the running queries to end, to run a query alone");
                }
                aloneOwner = me;
            } finally {
                aloneWaiting--;
                running.notifyAll();
            }
        }
        try {
            return attempt.get();
        } finally {
            synchronized (running) {
                aloneOwner = null;
                running.notifyAll();
            }
        }
    }

    /** A query started on this thread failed; remembers whether another query ran beside it. */
    void queryFailed(RunningQuery q) {
        lastFailed.set(q);
    }

    /**
     * A query between its start and the moment it released its resources (a failed query, a file
     * sink) or handed them to the caller (a collected {@link DataFrame}).
     */
    final class RunningQuery {
        private final String name;
        private final Thread thread;
        private volatile QueryHandle handle;
        /** Whether another query ran at some moment of this one's run; guarded by {@link #running}. */
        private boolean besideOthers;

        private RunningQuery(String name, Thread thread) {
            this.name = name;
            this.thread = thread;
        }

        /** The query was submitted; cancels it at once when the instance closed meanwhile. */
        void submitted(QueryHandle h) {
            handle = h;
            // close() sets `closed` before it reads `handle`: one of the two sides cancels.
            if (closed) {
                h.cancel(CLOSED_REASON);
            }
        }

        private void cancel() {
            QueryHandle h = handle;
            if (h != null) {
                h.cancel(CLOSED_REASON);
            }
        }

        /** The query holds nothing of the engine's any more (or its result owns it). Idempotent. */
        void end() {
            synchronized (running) {
                if (running.remove(this)) {
                    running.notifyAll();
                }
            }
        }

        @Override
        public String toString() {
            QueryHandle h = handle;
            return "query '" + name + "' (thread " + thread.getName() + ", " + thread.getState()
                    + (h == null ? ", not submitted" : h.isDone() ? ", ended, releasing" : ", running") + ")";
        }
    }

    // ------------------------------------------------------------------ sources

    /** Scans a CSV file, several files matched by a glob ({@code data/*.csv}), with default options. */
    public LazyFrame scanCsv(Path path) {
        return scanCsv(path, CsvOptions.defaults());
    }

    /** Scans a CSV file or glob with options. */
    public LazyFrame scanCsv(Path path, CsvOptions options) {
        return scanCsv(expand(path), options);
    }

    /**
     * Scans several CSV files with the same columns, in the given order.
     *
     * @throws PlanException when a file is missing or the schema cannot be inferred
     */
    public LazyFrame scanCsv(List<Path> files, CsvOptions options) {
        ensureOpen();
        if (files.isEmpty()) {
            throw new PlanException("no CSV file to scan");
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new PlanException("CSV file " + f + " does not exist or is not a regular file");
            }
        }
        Schema schema = CsvScan.inferSchema(files, options);
        return new LazyFrame(this, new CsvScanNode(files, options, schema, null));
    }

    /**
     * Scans a Parquet file, the files matched by a glob ({@code data/*.parquet}), or every
     * {@code .parquet} file below a directory. Only the columns the query needs are decoded (and
     * only they must have a supported type); row groups whose statistics rule out a filter's
     * {@code column op literal} conjuncts are skipped; row groups are decoded in parallel, in
     * morsel-sized slices.
     *
     * <p>A directory written hive-style ({@code dir/country=DE/part-00000.parquet}, as
     * {@link LazyFrame#sinkParquet(Path, dev.spillway.options.Partitioning)} writes it) gets its
     * partition columns back as the last columns, typed int64, date, boolean or string from the
     * directory names ({@code __HIVE_DEFAULT_PARTITION__} is null); a filter on one skips the
     * files of the other values.
     *
     * @throws dev.spillway.errors.FormatException for a missing or corrupt file
     * @throws PlanException when a glob or directory holds no file, or a partition column repeats a file column
     */
    public LazyFrame scanParquet(Path path) {
        ensureOpen();
        return formatScan(FormatScanNode.Format.PARQUET, path, ".parquet");
    }

    /**
     * Scans an Arrow IPC file (Feather v2, uncompressed), the files matched by a glob, or every
     * {@code .arrow}/{@code .feather} file below a directory (hive partition columns restored as in
     * {@link #scanParquet}). Files are memory-mapped and their buffers read in place, without copying.
     *
     * @throws dev.spillway.errors.FormatException for a missing or corrupt file or an unsupported column type
     */
    public LazyFrame scanIpc(Path path) {
        ensureOpen();
        return formatScan(FormatScanNode.Format.IPC, path, ".arrow", ".feather");
    }

    private LazyFrame formatScan(FormatScanNode.Format format, Path path, String... extensions) {
        boolean dir = Files.isDirectory(path);
        List<Path> files = dir ? listTree(path, extensions) : expand(path);
        Schema schema = format == FormatScanNode.Format.PARQUET ? ParquetScan.readSchema(files.get(0))
                : IpcScan.readSchema(files.get(0));
        HiveColumns hive = dir ? HiveColumns.discover(path, files) : null;
        if (hive != null) {
            List<Field> all = new ArrayList<>(schema.fields());
            for (Field f : hive.fields()) {
                if (schema.indexOf(f.name()) >= 0) {
                    throw new PlanException("partition column '" + f.name() + "' of " + path + " is also a column of "
                            + files.get(0) + "; rename one of them");
                }
                all.add(f);
            }
            schema = new Schema(all).withUnreadable(schema.unreadable());
        }
        return new LazyFrame(this, new FormatScanNode(format, files, schema, null, List.of(), hive));
    }

    /** The files below {@code dir} with one of {@code extensions}, sorted; hidden ({@code .x}, {@code _x}) entries are skipped. */
    private static List<Path> listTree(Path dir, String... extensions) {
        List<Path> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            all.filter(Files::isRegularFile).filter(p -> {
                Path rel = dir.relativize(p);
                for (Path part : rel) {
                    String n = part.toString();
                    if (n.startsWith(".") || n.startsWith("_")) {
                        return false;
                    }
                }
                String name = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                for (String ext : extensions) {
                    if (name.endsWith(ext)) {
                        return true;
                    }
                }
                return false;
            }).forEach(out::add);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new PlanException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new PlanException("no " + String.join(" or ", extensions) + " file below " + dir);
        }
        out.sort(null);
        return out;
    }

    private static List<Path> expand(Path path) {
        String text = path.toString();
        if (!text.contains("*") && !text.contains("?") && !text.contains("[") && !text.contains("{")) {
            return List.of(path);
        }
        Path dir = path.getParent() == null ? Path.of(".") : path.getParent();
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + path.getFileName());
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (matcher.matches(p.getFileName()) && Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new PlanException("cannot list " + dir + " for the pattern " + path.getFileName() + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new PlanException("no file matches " + path);
        }
        out.sort(null);
        return out;
    }

    /**
     * Writes several frames to files from one run of one plan: every subplan the frames share
     * (a {@link LazyFrame#cache() cached} frame, or any frame the targets derive from) is computed
     * once and fanned out to all of them. Each file appears only when the whole run succeeds; a
     * failed run leaves none of them (a file whose sink finished before another failed may
     * already be in place).
     *
     * @return rows written, per target in the order given
     * @throws IllegalArgumentException when no target is given, a frame belongs to another
     *                                  engine, or two targets write the same path
     */
    public long[] sinkAll(SinkTarget... targets) {
        ensureOpen();
        if (targets.length == 0) {
            throw new IllegalArgumentException("sinkAll needs at least one target, e.g. SinkTarget.csv(frame, path)");
        }
        Map<Path, SinkTarget> paths = new java.util.HashMap<>();
        for (SinkTarget t : targets) {
            if (t.frame().engine() != this) {
                throw new IllegalArgumentException("sinkAll target " + t + " is a frame of another Spillway instance");
            }
            SinkTarget other = paths.putIfAbsent(t.path().toAbsolutePath().normalize(), t);
            if (other != null) {
                throw new IllegalArgumentException("sinkAll targets " + other + " and " + t + " write the same file "
                        + t.path() + "; give each target its own path");
            }
        }
        return LazyFrame.sinkAll(this, List.of(targets));
    }

    /**
     * Makes {@code frame} visible to {@link #sql} as table {@code name} (case-insensitive),
     * replacing a table of the same name. Files need no registration: {@code read_parquet('glob')},
     * {@code read_csv('glob')} and {@code read_ipc('glob')} read them in {@code FROM}.
     *
     * @return this engine
     * @throws PlanException when the SQL module is not on the class path
     */
    public Spillway register(String name, LazyFrame frame) {
        ensureOpen();
        if (frame != null && frame.engine() != this) {
            throw new PlanException("table " + name + " belongs to another Spillway instance");
        }
        sqlCatalog().register(name, frame);
        return this;
    }

    /** Removes table {@code name} registered for {@link #sql}; returns whether it existed. */
    public boolean unregister(String name) {
        return sqlCatalog().unregister(name);
    }

    /**
     * Plans a SQL query over the tables {@link #register registered} on this engine and the files
     * named in {@code FROM}: a lazy frame, run like any other by {@code collect()} or a sink. The
     * text may be a script of {@code CREATE VIEW ... ;} statements ending with the query. Needs the
     * Spillway SQL module on the class path; its documentation lists the SQL supported. Safe to
     * call from several threads.
     *
     * @throws PlanException when the SQL module is not on the class path; the module's exception
     *                       (with line, column and the names nearest an unknown one) for bad SQL
     */
    public LazyFrame sql(String query) {
        ensureOpen();
        return sqlCatalog().sql(query);
    }

    private SqlFrontEnd.Catalog sqlCatalog() {
        SqlFrontEnd.Catalog c = sqlCatalog;
        if (c == null) {
            synchronized (this) {
                c = sqlCatalog;
                if (c == null) {
                    SqlFrontEnd frontEnd = ServiceLoader.load(SqlFrontEnd.class, Spillway.class.getClassLoader()).findFirst()
                            .orElseThrow(() -> new PlanException("SQL needs the Spillway SQL module (artifact 'sql', package"
                                    + " dev.spillway.sql) on the class path; it is not there"));
                    c = frontEnd.open(this);
                    sqlCatalog = c;
                }
            }
        }
        return c;
    }

    /** The int64 values {@code [start, end)} in a column called {@code name}. */
    public LazyFrame range(String name, long start, long end) {
        ensureOpen();
        return new LazyFrame(this, new RangeNode(name, start, end));
    }

    /** A lazy frame over a collected frame; {@code df} must stay open while queries read it. */
    public LazyFrame fromDataFrame(DataFrame df) {
        ensureOpen();
        return new LazyFrame(this, new InMemoryNode(df.schema(), df.morsels()));
    }

    /**
     * A frame over a producer's Arrow C stream ({@code struct ArrowArrayStream*}, see
     * {@link dev.spillway.arrow}): batches become morsels without copying, their buffers charged
     * to the query's budget until the morsels are closed. The stream is taken over (the caller's
     * struct is marked released) and can be read once: executing the frame twice throws. It is
     * released when the query that read it ends, or when this instance closes.
     *
     * @throws dev.spillway.errors.ArrowInterfaceException when the stream is released already or a
     *                                                    column's type is unsupported (naming it)
     */
    public LazyFrame fromArrowStream(MemorySegment stream) {
        ensureOpen();
        ArrowStreamScan scan = ArrowStreamScan.take(stream);
        synchronized (ownedMorsels) {
            ownedScans.add(scan);
        }
        return new LazyFrame(this, new ExternalScanNode(scan));
    }

    /**
     * Small data from Java arrays or lists: each entry is a column name and a {@code long[]},
     * {@code int[]}, {@code double[]}, {@code boolean[]}, {@code String[]}, {@code LocalDate[]} or a
     * {@code List} of Long, Integer, Double, Boolean, String or LocalDate values (nulls allowed in
     * lists and object arrays). The data is copied into native memory owned by this instance and
     * freed when it closes. Use a {@link java.util.LinkedHashMap} to keep the column order.
     *
     * @throws PlanException for columns of different lengths or unsupported element types
     */
    public LazyFrame fromColumns(Map<String, ?> columns) {
        ensureOpen();
        List<Field> fields = new ArrayList<>();
        List<List<?>> values = new ArrayList<>();
        int rows = -1;
        for (Map.Entry<String, ?> e : columns.entrySet()) {
            List<?> list = asList(e.getKey(), e.getValue());
            if (rows >= 0 && list.size() != rows) {
                throw new PlanException("column '" + e.getKey() + "' has " + list.size() + " values, the others " + rows);
            }
            rows = list.size();
            DataType t = typeOf(e.getKey(), e.getValue(), list);
            fields.add(t == DataType.DECIMAL128 ? decimalField(e.getKey(), list)
                    : t == DataType.TIMESTAMP ? timestampField(e.getKey(), e.getValue(), list) : Field.of(e.getKey(), t));
            values.add(list);
        }
        Schema schema = new Schema(fields);
        List<ColumnVector> vectors = new ArrayList<>();
        try {
            for (int c = 0; c < fields.size(); c++) {
                try (ColumnBuilder b = ColumnBuilder.create(fields.get(c), pool, owned, Math.max(rows, 1))) {
                    for (Object v : values.get(c)) {
                        b.appendObject(v);
                    }
                    vectors.add(b.build());
                }
            }
        } catch (RuntimeException ex) {
            vectors.forEach(ColumnVector::close);
            throw ex;
        }
        Morsel m = new Morsel(schema, vectors, Math.max(rows, 0), 0);
        synchronized (ownedMorsels) {
            ownedMorsels.add(m);
        }
        return new LazyFrame(this, new InMemoryNode(schema, List.of(m)));
    }

    private static List<?> asList(String name, Object v) {
        return switch (v) {
            case long[] a -> java.util.Arrays.stream(a).boxed().toList();
            case int[] a -> java.util.Arrays.stream(a).boxed().toList();
            case double[] a -> java.util.Arrays.stream(a).boxed().toList();
            case boolean[] a -> {
                List<Boolean> l = new ArrayList<>(a.length);
                for (boolean b : a) {
                    l.add(b);
                }
                yield l;
            }
            case Object[] a -> java.util.Arrays.asList(a);
            case List<?> l -> l;
            default -> throw new PlanException("column '" + name + "' is a " + v.getClass().getSimpleName()
                    + "; give an array or a List");
        };
    }

    /** The narrowest decimal that holds every BigDecimal of {@code values} exactly. */
    private static Field decimalField(String name, List<?> values) {
        int scale = 0;
        int integer = 1;
        for (Object v : values) {
            if (v instanceof java.math.BigDecimal d) {
                scale = Math.max(scale, Math.max(0, d.scale()));
                integer = Math.max(integer, d.precision() - d.scale());
            }
        }
        if (integer + scale > DecimalType.MAX_PRECISION) {
            throw new PlanException("column '" + name + "' needs " + (integer + scale) + " decimal digits ("
                    + integer + " before the point, " + scale + " after); at most " + DecimalType.MAX_PRECISION + " fit");
        }
        return Field.decimal(name, integer + scale, scale);
    }

    /** A timestamp column: of Instants (in UTC) or of LocalDateTimes (without a time zone), not both. */
    private static Field timestampField(String name, Object column, List<?> values) {
        boolean instants = column instanceof java.time.Instant[];
        boolean locals = column instanceof java.time.LocalDateTime[];
        for (Object v : values) {
            instants |= v instanceof java.time.Instant;
            locals |= v instanceof java.time.LocalDateTime;
        }
        if (instants && locals) {
            throw new PlanException("column '" + name + "' mixes Instants (timestamps in UTC) and LocalDateTimes (timestamps "
                    + "without a time zone)");
        }
        return Field.timestamp(name, instants ? "UTC" : null);
    }

    /**
     * The column type: that of its values, else (no value, or only nulls) that of a typed array
     * ({@code new double[0]} is an empty float64 column), else utf8.
     */
    private static DataType typeOf(String name, Object column, List<?> values) {
        DataType t = null;
        for (Object v : values) {
            DataType vt = switch (v) {
                case null -> null;
                case Long l -> DataType.INT64;
                case Integer i -> DataType.INT32;
                case Double d -> DataType.FLOAT64;
                case Boolean b -> DataType.BOOLEAN;
                case String s -> DataType.UTF8;
                case LocalDate d -> DataType.DATE32;
                case java.math.BigDecimal d -> DataType.DECIMAL128;
                case java.time.LocalDateTime d -> DataType.TIMESTAMP;
                case java.time.Instant d -> DataType.TIMESTAMP;
                default -> throw new PlanException("column '" + name + "' holds a " + v.getClass().getSimpleName()
                        + "; use Long, Integer, Double, Boolean, String, LocalDate, BigDecimal, LocalDateTime or Instant");
            };
            if (vt == null) {
                continue;
            }
            if (t != null && t != vt) {
                throw new PlanException("column '" + name + "' mixes " + t.displayName() + " and " + vt.displayName());
            }
            t = vt;
        }
        if (t != null) {
            return t;
        }
        return switch (column) {
            case long[] a -> DataType.INT64;
            case Long[] a -> DataType.INT64;
            case int[] a -> DataType.INT32;
            case Integer[] a -> DataType.INT32;
            case double[] a -> DataType.FLOAT64;
            case Double[] a -> DataType.FLOAT64;
            case boolean[] a -> DataType.BOOLEAN;
            case Boolean[] a -> DataType.BOOLEAN;
            case LocalDate[] a -> DataType.DATE32;
            case java.time.LocalDateTime[] a -> DataType.TIMESTAMP;
            case java.time.Instant[] a -> DataType.TIMESTAMP;
            default -> DataType.UTF8;
        };
    }

    /**
     * Cancels running queries (they fail with a {@link dev.spillway.errors.QueryCancelledException}
     * saying this instance was closed), waits until they have released their memory and spill
     * files (at most {@link Builder#closeTimeout}), then deletes spill directories, frees memory
     * and closes the block pool. Idempotent once it has freed everything. The memory of frames
     * still open is unmapped too.
     *
     * @throws MemoryLeakException when frames are still open, naming them; or when a query did not
     *                             release within the timeout, naming it (then nothing it may still
     *                             use is closed, and a later call tries again)
     */
    @Override
    public void close() {
        List<RunningQuery> toCancel;
        synchronized (running) {
            if (released) {
                return;
            }
            closed = true;
            toCancel = List.copyOf(running);
            // Queries waiting to start (behind one that runs alone) see the engine closed.
            running.notifyAll();
        }
        toCancel.forEach(RunningQuery::cancel);
        List<RunningQuery> stuck = awaitQueries();
        synchronized (running) {
            if (released) {
                return;
            }
            if (!stuck.isEmpty()) {
                throw new MemoryLeakException("Spillway closed while " + stuck.size() + " quer"
                        + (stuck.size() == 1 ? "y" : "ies") + " still held resources " + closeTimeout.toMillis()
                        + " ms after being cancelled: " + stuck + "; their memory, spill files and worker threads stay"
                        + " until they end (close() again then frees the rest)\n" + budget.leakReport());
            }
            released = true;
        }
        RuntimeException failure = null;
        try {
            workers.close();
            spills.close();
            synchronized (ownedMorsels) {
                ownedMorsels.forEach(Morsel::close);
                ownedMorsels.clear();
                ownedScans.forEach(ExternalScan::close);
                ownedScans.clear();
            }
            owned.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        failure = closeBudget(budget, failure);
        failure = closeBudget(unlimited, failure);
        // No query runs any more: whatever is still in use belongs to frames the caller left open,
        // which the leak report names; their memory goes back to the OS all the same.
        long abandoned = pool.closeAbandoning();
        if (failure instanceof MemoryLeakException && abandoned > 0) {
            failure = new MemoryLeakException(failure.getMessage() + "\nThe " + abandoned + " buffer(s) of frames still"
                    + " open were unmapped: reading them throws IllegalStateException, closing them is harmless.");
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException closeBudget(MemoryBudget b, RuntimeException failure) {
        try {
            b.close();
            return failure;
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
            return failure;
        }
    }

    /** Waits until no query is registered, at most the close timeout; returns those still registered. */
    private List<RunningQuery> awaitQueries() {
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        boolean interrupted = false;
        try {
            synchronized (running) {
                while (!running.isEmpty()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(running, left);
                    } catch (InterruptedException e) {
                        // The release must still be awaited; the flag is restored below.
                        interrupted = true;
                    }
                }
                return List.copyOf(running);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Configures a {@link Spillway}. A value not set here comes from the system property
     * {@code spillway.<method>}, else the environment variable {@code SPILLWAY_<METHOD>}, else the
     * default (the table in {@link SpillwayConfig}).
     */
    public static final class Builder {
        // The values given; null: from the system property, the environment or the default
        // (SpillwayConfig.resolve).
        Long memoryLimit;
        Path tempDir;
        Integer threads;
        Boolean verbose;
        Boolean pin;
        Integer morselRows;
        Double forceSpill;
        Boolean spillEncryption;
        Integer sortFanIn;
        Duration closeTimeout;
        Duration memoryWait;
        Boolean retryAlone;
        private Consumer<String> lineListener;
        private EventSink eventListener;
        private Consumer<QueryProgress> progress;
        private Consumer<QueryProfile> profiles;

        private Builder() {
        }

        /**
         * How long a reservation that no spill can make room for waits for other queries to
         * release memory before its query fails with a memory-limit error (default 5 s; zero: no
         * wait beyond a quarter of a second). The wait ends early when the query is cancelled or
         * its thread interrupted. At most {@code threads - 1} reservations wait at once.
         *
         * @throws IllegalArgumentException when {@code wait} is negative
         */
        public Builder memoryWait(Duration wait) {
            if (wait == null || wait.isNegative()) {
                throw new IllegalArgumentException("memory wait must be zero or positive, got " + wait);
            }
            this.memoryWait = wait;
            return this;
        }

        /**
         * Whether a query refused memory runs once more (default true): alone, when other queries
         * ran beside it (it waits for the running queries to end, and queries submitted meanwhile
         * wait for it), so a query that fits the cap by itself succeeds however the concurrent load
         * fell; and when it was refused running alone, alone with every spillable operator spilling
         * all of its partitions (the smallest working set the plan has). Each retry is reported as
         * a {@link QueryRetried} event; a query that cannot fit fails after them with the last
         * refusal (earlier ones suppressed). With false a refused query fails at once.
         */
        public Builder retryAlone(boolean on) {
            this.retryAlone = on;
            return this;
        }

        /**
         * How long {@link Spillway#close()} waits for cancelled queries to release their memory
         * and spill files before it reports them (default 30 s).
         */
        public Builder closeTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("close timeout must not be negative, got " + timeout);
            }
            this.closeTimeout = timeout;
            return this;
        }

        /**
         * Most sorted runs a sort merges at once (default 64, at least 2), and so the most spill
         * files it reads at once: with more spilled runs the merge takes several passes.
         */
        public Builder sortFanIn(int fanIn) {
            if (fanIn < 2) {
                throw new IllegalArgumentException("sort fan-in must be at least 2, got " + fanIn);
            }
            this.sortFanIn = fanIn;
            return this;
        }

        /** The memory limit, e.g. {@code "1g"} or {@code "512m"}. */
        public Builder memoryLimit(String size) {
            this.memoryLimit = Bytes.parse(size);
            return this;
        }

        /** The memory limit in bytes. */
        public Builder memoryLimit(long bytes) {
            this.memoryLimit = bytes;
            return this;
        }

        /** Where spill directories go. */
        public Builder tempDir(Path dir) {
            this.tempDir = dir;
            return this;
        }

        /** Worker threads. */
        public Builder threads(int n) {
            this.threads = n;
            return this;
        }

        /** Whether to log events ({@code [spillway] ...} lines through System.Logger). */
        public Builder verbose(boolean on) {
            this.verbose = on;
            return this;
        }

        /** Whether to pin worker threads to CPUs (Linux). */
        public Builder pinThreads(boolean on) {
            this.pin = on;
            return this;
        }

        /**
         * Rows per morsel of generated sources and CSV scans, and of operators' output (default
         * 131,072, smaller when a worker has less than 16 MiB of the memory limit: see
         * {@link SpillwayConfig#morselRows()}).
         */
        public Builder morselRows(int rows) {
            this.morselRows = rows;
            return this;
        }

        /**
         * Writes this fraction (0 to 1) of the partitions of spillable operators to disk even
         * without memory pressure, to exercise the out-of-core paths ({@code SPILLWAY_FORCE_SPILL}).
         */
        public Builder forceSpill(double fraction) {
            this.forceSpill = fraction;
            return this;
        }

        /**
         * Encrypts every spilled chunk with AES-256-GCM under a random key per query, held only in
         * memory, so spill files left by a crash cannot be read ({@code SPILLWAY_SPILL_ENCRYPTION});
         * a damaged or altered chunk fails its GCM tag with the file and block named. Default off.
         */
        public Builder spillEncryption(boolean on) {
            this.spillEncryption = on;
            return this;
        }

        /**
         * Receives every event line ({@code [spillway] <component>: <event> key=value ...}), verbose
         * or not, on the thread that produced it; it must be thread-safe and quick. The lines are the
         * {@link SpillwayEvent#line() line()} of the events {@link #eventListener} receives.
         */
        public Builder events(Consumer<String> listener) {
            this.lineListener = listener;
            return this;
        }

        /**
         * Receives every event as a record ({@link dev.spillway.event.PartitionEvicted},
         * {@link dev.spillway.event.MemoryReclaimed}, ...), verbose or not, on the thread that
         * produced it; it must be thread-safe and quick. Works alongside {@link #events}: each
         * event goes to both.
         */
        public Builder eventListener(EventSink listener) {
            this.eventListener = listener;
            return this;
        }

        /**
         * Receives a {@link QueryProgress} snapshot of every running query about every 50 ms, on
         * the query's sampler thread; it must be thread-safe and quick.
         */
        public Builder progress(Consumer<QueryProgress> listener) {
            this.progress = listener;
            return this;
        }

        /**
         * Receives the {@link QueryProfile} of every query when it ends, succeeded or failed (a
         * query {@link #retryAlone retried alone} reports both attempts), on the thread that ran
         * it; it must be thread-safe and quick. For metrics: what {@link Spillway#lastProfile()}
         * gives one caller, for every query.
         */
        public Builder profiles(Consumer<QueryProfile> listener) {
            this.profiles = listener;
            return this;
        }

        /**
         * Resolves the settings (each one not given here from its system property, else its
         * environment variable, else its default: see {@link SpillwayConfig}) and starts the engine.
         *
         * @throws IllegalArgumentException when a setting is invalid; for a property or variable the
         *                                  message names it, its value and what is valid
         */
        public Spillway build() {
            SpillwayConfig c = resolve(Settings.system());
            Spillway sw = new Spillway(c, listeners(), progress, c.memoryWait(), c.retryAlone());
            sw.sortFanIn = c.sortFanIn();
            sw.profileListener = profiles;
            sw.closeTimeout = c.closeTimeout();
            return sw;
        }

        /** The settings this builder resolves to against {@code settings}' properties and environment. */
        SpillwayConfig resolve(Settings settings) {
            return SpillwayConfig.resolve(this, settings);
        }

        private EventSink listeners() {
            Consumer<String> lines = lineListener;
            EventSink records = eventListener;
            if (lines == null) {
                return records;
            }
            if (records == null) {
                return e -> lines.accept(e.line());
            }
            return e -> {
                records.accept(e);
                lines.accept(e.line());
            };
        }
    }
}
