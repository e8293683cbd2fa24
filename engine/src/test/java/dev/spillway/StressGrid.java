package dev.spillway;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.JoinType;
import dev.spillway.options.AsofStrategy;
import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.SpillException;
import dev.spillway.spill.SpillListener;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * The seeded stress grid: for each setting (memory cap x worker count x query kind x fault),
 * {@code S} seeds, each making random input from its seed (nulls, skewed and duplicate keys, large
 * enough to spill at the small caps), running the query and comparing its result exactly with a
 * {@code java.util} oracle (the oracles of the differential tests), then checking that the engine
 * is back at rest: budget at zero, no pool buffer outstanding, no spill bytes counted and nothing
 * left under the spill root.
 *
 * <p>Long-lived engines serve all seeds of a setting (reuse is part of what is tested): without a
 * fault, even seeds run on one that spills under memory pressure only and odd seeds on one that
 * forces every spillable unit to disk (at 64 MiB nothing would spill otherwise). An engine is
 * replaced only after a failure left it dirty, and for the {@link Fault#CLOSE} fault, which closes
 * it, every seed gets a new one. Inputs are CSV files scanned by the engine (they do not count
 * against the cap); results are written to CSV and read back by an uncapped reader engine (a
 * result need not fit the cap).
 *
 * <p>With a fault, a seed passes when the query returns the exact result (the fault came too late
 * or never hit) or fails with the exception that fault must give — a {@link SpillException} naming
 * the spill root, a {@link QueryCancelledException}, or the engine-closed error — and the engine
 * is at rest afterwards; an engine still open must then run the same query again correctly. The
 * fault engines force every spillable unit to disk ({@code forceSpill(1.0)}) so that the spill
 * faults find spilling at every cap.
 *
 * <p>Run from {@code perf-scripts/stress.sh --grid} (this class's {@link #main}) or, with a few
 * seeds, from {@code StressGridTest}.
 */
public final class StressGrid {
    /** The smallest memory limit an engine accepts. */
    public static final long MIN_CAP = 4L << 20;

    /** What the query of a seed does. */
    public enum Kind {
        /** A hash join, inner, left, full or anti by seed, on skewed keys with nulls. */
        JOIN,
        /** A group-by on an int or a string key (by seed) with sum, count, min, max and len. */
        GROUP_BY,
        /** A sort on one to three keys, ascending or descending, nulls first or last (by seed). */
        SORT,
        /** An inner or left join into a group-by on a column of the right side. */
        JOIN_GROUP_BY,
        /** One cached input consumed twice: joined with itself, concatenated with a filter of itself, or its totals joined back. */
        MUX,
        /** An AsOf join, each strategy, with or without a by column and a tolerance (by seed). */
        ASOF;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace("join_group_by", "join-groupby").replace("group_by", "groupby");
        }
    }

    /** What goes wrong while the query runs. */
    public enum Fault {
        /** Nothing: the result must be exact. */
        NONE,
        /** After a seeded number of spill blocks, the spill root is replaced by a regular file: later spill writes fail. */
        SPILL_WRITE,
        /** After a seeded number of spill blocks, the query's own spill directory is deleted with its files. */
        DIR_REMOVED,
        /** {@code close()} from another thread after a seeded delay (a new engine per seed). */
        CLOSE,
        /** The caller thread is interrupted (the query cancelled) after a seeded delay. */
        CANCEL;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** One cell of the grid. */
    public record Setting(long cap, int threads, Kind kind, Fault fault) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "cap=%s threads=%d kind=%s fault=%s", mib(cap), threads, kind.label(), fault.label());
        }
    }

    /** One seed that went wrong, with what is needed to run it again. */
    public record Failure(Setting setting, long seed, String problem) {
        /** The command line that repeats this seed. */
        public String reproduction() {
            return "perf-scripts/stress.sh --grid " + (setting.fault() == Fault.NONE ? "--caps " : "--fault-cap ")
                    + mib(setting.cap()).toLowerCase(Locale.ROOT).replace("mib", "m") + " --threads " + setting.threads() + " --kinds " + setting.kind().label() + " --faults " + setting.fault().label()
                    + " --first-seed " + seed + " --seeds 1";
        }

        @Override
        public String toString() {
            return setting + " seed=" + seed + ": " + problem;
        }
    }

    /**
     * What the seeds of one setting did.
     *
     * @param exact   seeds whose query returned the exact result
     * @param faulted seeds whose query failed with the exception its fault must give (and whose rerun was exact)
     */
    public record Tally(Setting setting, int total, int exact, int faulted, List<Failure> failures, long millis) {
        /** Seeds that passed. */
        public int passed() {
            return total - failures.size();
        }
    }

    /** A query with no result within this many seconds counts as hung. */
    private static final long QUERY_TIMEOUT_SECONDS = 120;

    private final Setting setting;
    private final Path work;
    private final Path root;
    private final Spillway reader;
    private final AtomicInteger blocksUntilFault = new AtomicInteger(-1);
    private final AtomicReference<Throwable> listenerFailure = new AtomicReference<>();
    /** The long-lived engines: [0] spills under memory pressure only, [1] forces every spillable unit to disk. */
    private final Spillway[] engines = new Spillway[2];

    private StressGrid(Setting setting, Path work, Spillway reader) {
        this.setting = setting;
        this.work = work;
        this.root = work.resolve("spill");
        this.reader = reader;
    }

    /**
     * Runs seeds {@code firstSeed} to {@code firstSeed + seeds - 1} of {@code setting}, with scratch
     * files under {@code work} (left empty) and an uncapped {@code reader} engine that reads the
     * results back; prints each failure to {@code log} (if not null).
     */
    public static Tally run(Setting setting, long firstSeed, int seeds, Path work, Spillway reader, PrintStream log) {
        long t0 = System.nanoTime();
        StressGrid g = new StressGrid(setting, work, reader);
        List<Failure> failures = new ArrayList<>();
        int exact = 0;
        int faulted = 0;
        try {
            Files.createDirectories(g.root);
            for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
                String problem;
                boolean wasFault = false;
                try {
                    Outcome o = g.seed(seed);
                    problem = o.problem;
                    wasFault = o.faulted;
                } catch (Exception | AssertionError e) {
                    problem = "threw " + chain(e);
                }
                if (problem == null) {
                    if (wasFault) {
                        faulted++;
                    } else {
                        exact++;
                    }
                } else {
                    Failure f = new Failure(setting, seed, problem);
                    failures.add(f);
                    if (log != null) {
                        log.println("FAILED " + f);
                        log.println("  repeat: " + f.reproduction());
                    }
                    // The next seed starts on a clean engine.
                    String closing = g.closeEngine();
                    if (closing != null && log != null) {
                        log.println("  and closing its engine: " + closing);
                    }
                }
            }
        } catch (IOException e) {
            failures.add(new Failure(setting, firstSeed, "scratch files: " + e));
        } finally {
            String closing = g.closeEngine();
            if (closing != null) {
                failures.add(new Failure(setting, firstSeed + seeds - 1, "closing the engine after the last seed: " + closing));
            }
            deleteTree(g.root);
        }
        return new Tally(setting, seeds, exact, faulted, List.copyOf(failures), (System.nanoTime() - t0) / 1_000_000);
    }

    // ------------------------------------------------------------------ one seed

    private record Outcome(String problem, boolean faulted) {
    }

    /** A query of one seed: its plan on an engine, how its result is compared, and the oracle's rows. */
    private record Case(Function<Spillway, LazyFrame> query, List<List<Object>> expected, Comparator<List<Object>> order,
            String description) {
    }

    private Outcome seed(long seed) throws Exception {
        Random rnd = new Random(seed);
        Path data = work.resolve("data");
        Files.createDirectories(data);
        try {
            Case c = generate(rnd, data);
            String what = c.description;
            if (setting.fault == Fault.CLOSE) {
                return closeDuring(c, rnd, what);
            }
            Fault fault = setting.fault;
            // Without a fault, odd seeds force spilling (at 64 MiB nothing would spill otherwise); spill faults need spilling.
            Spillway sw = engine(fault != Fault.NONE || (seed & 1) == 1);
            long delayMicros = rnd.nextLong(150_000);
            if (fault == Fault.SPILL_WRITE || fault == Fault.DIR_REMOVED) {
                blocksUntilFault.set(1 + rnd.nextInt(8));
            }
            Path out = data.resolve("out.csv");
            Run run = start(sw, c, out);
            if (fault == Fault.CANCEL) {
                TimeUnit.MICROSECONDS.sleep(delayMicros);
                run.interruptIfRunning();
            }
            Throwable t = run.await();
            blocksUntilFault.set(-1);
            restoreRoot();
            if (listenerFailure.get() != null) {
                return new Outcome(what + ": the fault could not be injected: " + chain(listenerFailure.getAndSet(null)), false);
            }
            if (t == null) {
                String p = compare(c, out, what);
                return new Outcome(p != null ? p : atRest(sw, what), false);
            }
            String expected = expectedFailure(t, fault);
            if (expected != null) {
                return new Outcome(what + ": " + expected, true);
            }
            Files.deleteIfExists(out);
            String rest = atRest(sw, what + " after " + t.getClass().getSimpleName());
            if (rest != null) {
                return new Outcome(rest + "\n  the query failed with " + chain(t), true);
            }
            // The engine outlived the fault: the same query runs correctly on it now.
            Run again = start(sw, c, out);
            Throwable t2 = again.await();
            if (t2 != null) {
                return new Outcome(what + ": the query after the fault threw " + chain(t2), true);
            }
            String p = compare(c, out, what + " (after the fault)");
            return new Outcome(p != null ? p : atRest(sw, what + " (after the fault)"), true);
        } finally {
            deleteTree(data);
        }
    }

    /** Null when {@code t} is the failure {@code fault} must give; else what is wrong with it. */
    private String expectedFailure(Throwable t, Fault fault) {
        switch (fault) {
            case SPILL_WRITE, DIR_REMOVED -> {
                SpillException s = causeOf(t, SpillException.class);
                if (s == null) {
                    return "failed with no SpillException in " + chain(t);
                }
                if (s.getMessage() == null || !s.getMessage().contains(root.toString())) {
                    return "the spill failure does not name the spill root " + root + ": " + chain(t);
                }
                return null;
            }
            case CANCEL -> {
                return t instanceof QueryCancelledException ? null : "cancelled, but threw " + chain(t);
            }
            case CLOSE -> {
                if (t instanceof QueryCancelledException q && q.getMessage() != null
                        && q.getMessage().contains("Spillway instance was closed")) {
                    return null;
                }
                // close() came first: the query was refused before it started.
                if (t instanceof IllegalStateException closed && closed.getMessage() != null && closed.getMessage().contains("closed")) {
                    return null;
                }
                return "closed during the query, but threw " + chain(t);
            }
            default -> {
                return "threw " + chain(t);
            }
        }
    }

    /** A fresh engine, closed from this thread after a seeded delay while the query runs. */
    private Outcome closeDuring(Case c, Random rnd, String what) throws Exception {
        long delayMicros = rnd.nextLong(150_000);
        boolean force = rnd.nextBoolean();
        Spillway sw = builder().forceSpill(force ? 1.0 : 0.0).build();
        Path out = work.resolve("data").resolve("out.csv");
        Run run = start(sw, c, out);
        TimeUnit.MICROSECONDS.sleep(delayMicros);
        String closeProblem = null;
        try {
            sw.close();
        } catch (RuntimeException e) {
            closeProblem = what + ": close() threw " + chain(e);
        }
        Throwable t = run.await();
        if (closeProblem != null) {
            return new Outcome(closeProblem, t != null);
        }
        String rest = atRest(sw, what + " after close");
        if (rest == null && !sw.pool().isClosed()) {
            rest = what + ": the block pool is open after close";
        }
        if (rest == null) {
            rest = rootEmpty(what + " after close");
        }
        if (t == null) {
            String p = compare(c, out, what + " (finished before close)");
            return new Outcome(p != null ? p : rest, false);
        }
        Files.deleteIfExists(out);
        String expected = expectedFailure(t, Fault.CLOSE);
        return new Outcome(expected != null ? what + ": " + expected : rest, true);
    }

    /** The query of {@code c} on its own thread, writing to {@code out}; interruptible while (and only while) it runs. */
    private static final class Run {
        private final CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        private final Thread thread;
        private boolean running = true;

        Run(Spillway sw, Case c, Path out) {
            thread = Thread.ofPlatform().name("stress-grid-query").start(() -> {
                Throwable t = null;
                try {
                    c.query.apply(sw).sinkCsv(out);
                } catch (Throwable e) {
                    t = e;
                }
                synchronized (this) {
                    running = false;
                    // An interrupt that arrived as the query ended must not reach the next one.
                    Thread.interrupted();
                }
                outcome.complete(t);
            });
        }

        synchronized void interruptIfRunning() {
            if (running) {
                thread.interrupt();
            }
        }

        /**
         * The query's exception, or null when it returned. Waits in one-second steps and counts at
         * most two seconds per step towards the timeout: a process stopped for a while (SIGSTOP)
         * must not make a running query look hung.
         */
        Throwable await() throws InterruptedException {
            long waitedNanos = 0;
            while (true) {
                long t0 = System.nanoTime();
                try {
                    Throwable t = outcome.get(1, TimeUnit.SECONDS);
                    thread.join();
                    return t;
                } catch (TimeoutException e) {
                    waitedNanos += Math.min(System.nanoTime() - t0, TimeUnit.SECONDS.toNanos(2));
                    if (waitedNanos >= TimeUnit.SECONDS.toNanos(QUERY_TIMEOUT_SECONDS)) {
                        StringBuilder stack = new StringBuilder("no result within " + QUERY_TIMEOUT_SECONDS + " s; the caller's stack:");
                        for (StackTraceElement s : thread.getStackTrace()) {
                            stack.append("\n    at ").append(s);
                        }
                        throw new IllegalStateException(stack.toString());
                    }
                } catch (ExecutionException e) {
                    throw new IllegalStateException("not reachable: the outcome completes normally", e);
                }
            }
        }
    }

    private Run start(Spillway sw, Case c, Path out) {
        return new Run(sw, c, out);
    }

    // ------------------------------------------------------------------ engines and rest checks

    private Spillway.Builder builder() {
        return Spillway.builder().memoryLimit(setting.cap).threads(setting.threads).tempDir(root);
    }

    private Spillway engine(boolean forced) {
        int i = forced ? 1 : 0;
        if (engines[i] == null) {
            Spillway engine = builder().forceSpill(forced ? 1.0 : 0.0).build();
            engines[i] = engine;
            engine.spills().addListener(new SpillListener() {
                @Override
                public void blockWritten(Path file, int partition, int rows, long rawBytes, long storedBytes, long nanos) {
                    if (blocksUntilFault.get() > 0 && blocksUntilFault.decrementAndGet() == 0) {
                        try {
                            inject(file);
                        } catch (IOException | RuntimeException e) {
                            listenerFailure.set(e);
                        }
                    }
                }
            });
        }
        return engines[i];
    }

    /** The spill fault, on the thread that just wrote a block of {@code file}. */
    private void inject(Path file) throws IOException {
        if (setting.fault == Fault.DIR_REMOVED) {
            removeWhileWritten(file.getParent());
        } else {
            removeWhileWritten(root);
            Files.writeString(root, "not a directory");
        }
    }

    /** Deletes {@code dir} and what is in it while other workers may still be creating files there. */
    private static void removeWhileWritten(Path dir) throws IOException {
        for (int attempt = 0; Files.exists(dir); attempt++) {
            try {
                deleteTree(dir);
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.DirectoryNotEmptyException
                        || e.getCause() instanceof java.nio.file.NoSuchFileException) || attempt == 100) {
                    throw e;
                }
            }
        }
    }

    private void restoreRoot() throws IOException {
        if (Files.isRegularFile(root)) {
            Files.delete(root);
        }
        Files.createDirectories(root);
    }

    /** Closes the long-lived engines (if any); null, or what closing them reported. */
    private String closeEngine() {
        String first = null;
        for (int i = 0; i < engines.length; i++) {
            if (engines[i] != null) {
                String p = close(engines[i]);
                engines[i] = null;
                first = first != null ? first : p;
            }
        }
        return first;
    }

    private String close(Spillway sw) {
        try {
            sw.close();
        } catch (RuntimeException e) {
            return "close() threw " + chain(e);
        }
        String rest = atRest(sw, "closed engine");
        if (rest == null) {
            try {
                restoreRoot();
            } catch (IOException e) {
                return "spill root: " + e;
            }
            rest = rootEmpty("closed engine");
        }
        return rest;
    }

    /** Null when {@code sw} holds no memory, buffer or spill file; else what it still holds. */
    private String atRest(Spillway sw, String what) {
        if (sw.budget().reserved() != 0) {
            return what + ": " + sw.budget().reserved() + " B still reserved:\n" + sw.budget().leakReport();
        }
        if (sw.pool().outstandingBuffers() != 0) {
            return what + ": " + sw.pool().outstandingBuffers() + " pool buffers outstanding";
        }
        if (sw.spills().bytesOnDisk() != 0) {
            return what + ": " + sw.spills().bytesOnDisk() + " spill bytes still counted on disk";
        }
        return rootEmpty(what);
    }

    private String rootEmpty(String what) {
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> s = Files.list(root)) {
            List<Path> left = s.toList();
            return left.isEmpty() ? null : what + ": left under the spill root: " + left;
        } catch (IOException e) {
            return what + ": listing the spill root: " + e;
        }
    }

    // ------------------------------------------------------------------ comparing with the oracle

    /** Null when the rows in {@code out} are exactly the expected ones (in the expected order, where there is one). */
    private String compare(Case c, Path out, String what) throws IOException {
        List<List<Object>> got;
        Schema schema = c.query.apply(reader).schema();
        try (DataFrame df = reader.scanCsv(out, CsvOptions.defaults().withSchema(schema)).collect()) {
            got = df.rows();
        } finally {
            Files.deleteIfExists(out);
        }
        try {
            DifferentialSupport.assertSameRows(c.expected, got, what);
        } catch (AssertionError e) {
            return e.getMessage();
        }
        if (c.order != null) {
            for (int i = 1; i < got.size(); i++) {
                if (c.order.compare(got.get(i - 1), got.get(i)) > 0) {
                    return what + ": rows " + (i - 1) + " and " + i + " out of order: " + got.get(i - 1) + ", " + got.get(i);
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ inputs and oracles

    private Case generate(Random rnd, Path data) throws IOException {
        return switch (setting.kind) {
            case JOIN -> join(rnd, data);
            case GROUP_BY -> groupBy(rnd, data);
            case SORT -> sort(rnd, data);
            case JOIN_GROUP_BY -> joinGroupBy(rnd, data);
            case MUX -> mux(rnd, data);
            case ASOF -> asof(rnd, data);
        };
    }

    /** A key over {@code domain} values, skewed: a fifth of the rows share a few hot keys; one in 25 is null. */
    private static Long skewedKey(Random rnd, int domain) {
        int r = rnd.nextInt(100);
        return r < 4 ? null : r < 24 ? (long) rnd.nextInt(4) : (long) rnd.nextInt(domain);
    }

    private static final Schema FACTS = Schema.of(Field.of("k", DataType.INT64), Field.of("v", DataType.INT64),
            Field.of("s", DataType.UTF8));
    private static final Schema DIMS = Schema.of(Field.of("k", DataType.INT64), Field.of("w", DataType.INT64),
            Field.of("name", DataType.UTF8));

    /** Rows {@code k, v, s}: skewed keys, v unique (null now and then), s a short string with nulls. */
    private static List<List<Object>> facts(Random rnd, int n, int domain) {
        List<List<Object>> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows.add(Arrays.asList(skewedKey(rnd, domain), rnd.nextInt(50) == 0 ? null : (long) i * 3 - 1000,
                    rnd.nextInt(20) == 0 ? null : "s" + rnd.nextInt(300)));
        }
        return rows;
    }

    /** Rows {@code k, w, name}: keys over the domain (the hot ones rarely, some keys twice, some null). */
    private static List<List<Object>> dims(Random rnd, int n, int domain) {
        List<List<Object>> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Long k = rnd.nextInt(40) == 0 ? null : (long) (4 + rnd.nextInt(domain));
            rows.add(Arrays.asList(k, (long) i, rnd.nextInt(30) == 0 ? null : "name" + rnd.nextInt(40)));
        }
        // Each hot key once or twice: the join of a fifth of the left rows with them stays small.
        for (long hot = 0; hot < 4; hot++) {
            for (int c = 0; c <= rnd.nextInt(2); c++) {
                rows.add(Arrays.asList(hot, (long) rows.size(), "hot" + hot));
            }
        }
        return rows;
    }

    private Case join(Random rnd, Path data) throws IOException {
        int n = 8_000 + rnd.nextInt(16_000);
        int domain = n / 2;
        JoinOracle.Tables t = new JoinOracle.Tables(FACTS, facts(rnd, n, domain), DIMS, dims(rnd, domain / 2 + rnd.nextInt(domain), domain));
        JoinType how = List.of(JoinType.INNER, JoinType.LEFT, JoinType.FULL, JoinType.ANTI).get(rnd.nextInt(4));
        Path l = write(data.resolve("l.csv"), t.left(), t.leftRows());
        Path r = write(data.resolve("r.csv"), t.right(), t.rightRows());
        return new Case(sw -> scan(sw, l, FACTS).join(scan(sw, r, DIMS), "k", how),
                JoinOracle.equiJoin(t, new int[] {0}, new int[] {0}, how, false), null,
                how + " join of " + t.leftRows().size() + " x " + t.rightRows().size() + " rows");
    }

    private Case groupBy(Random rnd, Path data) throws IOException {
        int n = 10_000 + rnd.nextInt(20_000);
        boolean stringKey = rnd.nextBoolean();
        int domain = 1 + rnd.nextInt(n / 2);
        Schema schema = Schema.of(Field.of("g", stringKey ? DataType.UTF8 : DataType.INT64), Field.of("v", DataType.INT64),
                Field.of("s", DataType.UTF8));
        List<List<Object>> rows = new ArrayList<>(n);
        for (List<Object> f : facts(rnd, n, domain)) {
            Object g = f.get(0) == null ? null : stringKey ? "key-" + f.get(0) : f.get(0);
            rows.add(Arrays.asList(g, f.get(1), f.get(2)));
        }
        Path in = write(data.resolve("in.csv"), schema, rows);
        return new Case(sw -> scan(sw, in, schema).groupBy("g").agg(col("v").sum().alias("sum"), col("v").count().alias("count"),
                col("s").min().alias("min"), col("s").max().alias("max"), Expr.rowCount().alias("len")),
                aggregate(rows, 0, 1, 2), null, "group-by on " + (stringKey ? "a string" : "an int") + " key, " + n + " rows, "
                        + domain + "-key domain");
    }

    /**
     * The oracle of {@code groupBy(key).agg(sum(v), count(v), min(s), max(s), len())} over the
     * columns {@code key}, {@code v} (int64) and {@code s} (string): the null key is a group, nulls
     * are skipped, and an aggregate over no value is null (count 0).
     */
    private static List<List<Object>> aggregate(List<List<Object>> rows, int key, int v, int s) {
        Map<Object, Object[]> groups = new LinkedHashMap<>();
        for (List<Object> r : rows) {
            Object[] a = groups.computeIfAbsent(r.get(key), x -> new Object[] {null, 0L, null, null, 0L});
            Long value = (Long) r.get(v);
            if (value != null) {
                a[0] = a[0] == null ? value : (Long) a[0] + value;
                a[1] = (Long) a[1] + 1;
            }
            String str = (String) r.get(s);
            if (str != null) {
                a[2] = a[2] == null || str.compareTo((String) a[2]) < 0 ? str : a[2];
                a[3] = a[3] == null || str.compareTo((String) a[3]) > 0 ? str : a[3];
            }
            a[4] = (Long) a[4] + 1;
        }
        List<List<Object>> out = new ArrayList<>();
        groups.forEach((k, a) -> out.add(Arrays.asList(k, a[0], a[1], a[2], a[3], a[4])));
        return out;
    }

    private Case sort(Random rnd, Path data) throws IOException {
        int n = 10_000 + rnd.nextInt(20_000);
        Schema schema = Schema.of(Field.of("a", DataType.INT64), Field.of("b", DataType.UTF8), Field.of("id", DataType.INT64));
        int domain = 1 + rnd.nextInt(n);
        List<List<Object>> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows.add(Arrays.asList(skewedKey(rnd, domain), rnd.nextInt(15) == 0 ? null : "b" + rnd.nextInt(1 + rnd.nextInt(2000)),
                    (long) i));
        }
        List<String> cols = new ArrayList<>(List.of("a", "b", "id"));
        SortKey[] keys = new SortKey[1 + rnd.nextInt(3)];
        for (int k = 0; k < keys.length; k++) {
            String c = cols.remove(rnd.nextInt(cols.size()));
            SortKey key = rnd.nextBoolean() ? SortKey.asc(c) : SortKey.desc(c);
            keys[k] = switch (rnd.nextInt(3)) {
                case 0 -> key.nullsFirst();
                case 1 -> key.nullsLast();
                default -> key;
            };
        }
        Path in = write(data.resolve("in.csv"), schema, rows);
        return new Case(sw -> scan(sw, in, schema).sort(keys), rows, SortDifferentialTest.comparator(schema.names(), keys),
                "sort of " + n + " rows on " + describe(keys));
    }

    private static String describe(SortKey[] keys) {
        List<String> out = new ArrayList<>();
        for (SortKey k : keys) {
            out.add(k.column() + (k.descending() ? " desc" : " asc") + (k.nullsAreFirst() ? " nulls first" : " nulls last"));
        }
        return String.join(", ", out);
    }

    private Case joinGroupBy(Random rnd, Path data) throws IOException {
        int n = 8_000 + rnd.nextInt(16_000);
        int domain = n / 2;
        JoinOracle.Tables t = new JoinOracle.Tables(FACTS, facts(rnd, n, domain), DIMS, dims(rnd, domain / 2 + rnd.nextInt(domain), domain));
        JoinType how = rnd.nextBoolean() ? JoinType.INNER : JoinType.LEFT;
        Path l = write(data.resolve("l.csv"), t.left(), t.leftRows());
        Path r = write(data.resolve("r.csv"), t.right(), t.rightRows());
        // The joined rows are k, v, s, w, name: grouped by name, summing v, counting v, min/max of s.
        List<List<Object>> joined = JoinOracle.equiJoin(t, new int[] {0}, new int[] {0}, how, false);
        return new Case(sw -> scan(sw, l, FACTS).join(scan(sw, r, DIMS), "k", how).groupBy("name")
                .agg(col("v").sum().alias("sum"), col("v").count().alias("count"), col("s").min().alias("min"),
                        col("s").max().alias("max"), Expr.rowCount().alias("len")),
                aggregate(joined, 4, 1, 2), null, how + " join of " + n + " rows into a group-by on name");
    }

    private Case mux(Random rnd, Path data) throws IOException {
        int n = 8_000 + rnd.nextInt(12_000);
        // At most about 8 rows per key outside the hot keys, so that the self-join's result stays near the input's size.
        List<List<Object>> rows = new ArrayList<>(n);
        int domain = n / 4 + rnd.nextInt(n);
        for (int i = 0; i < n; i++) {
            Long k = rnd.nextInt(30) == 0 ? null : rnd.nextInt(200) == 0 ? (long) rnd.nextInt(3) : (long) (3 + rnd.nextInt(domain));
            rows.add(Arrays.asList(k, (long) i * 7 - 1000, rnd.nextInt(10) == 0 ? null : "s" + rnd.nextInt(50)));
        }
        Path in = write(data.resolve("in.csv"), FACTS, rows);
        int variant = rnd.nextInt(3);
        return switch (variant) {
            case 0 -> new Case(sw -> {
                LazyFrame c = scan(sw, in, FACTS).cache();
                return c.join(c, "k", JoinType.INNER);
            }, JoinOracle.equiJoin(new JoinOracle.Tables(FACTS, rows, FACTS, rows), new int[] {0}, new int[] {0}, JoinType.INNER, false),
                    null, "cached input of " + n + " rows joined with itself");
            case 1 -> {
                List<List<Object>> expected = new ArrayList<>(rows);
                for (List<Object> r : rows) {
                    if (r.get(0) != null && (Long) r.get(0) % 3 == 0) {
                        expected.add(r);
                    }
                }
                yield new Case(sw -> {
                    LazyFrame c = scan(sw, in, FACTS).cache();
                    return c.concat(c.filter(col("k").mod(lit(3L)).eq(lit(0L))));
                }, expected, null, "cached input of " + n + " rows concatenated with a filter of itself");
            }
            default -> {
                // The totals per key (count of v, sum of v) joined back to every row of the key.
                Schema totals = Schema.of(Field.of("k", DataType.INT64), Field.of("total", DataType.INT64), Field.of("n", DataType.INT64));
                List<List<Object>> sums = new ArrayList<>();
                for (List<Object> a : aggregate(rows, 0, 1, 2)) {
                    sums.add(Arrays.asList(a.get(0), a.get(1), a.get(2)));
                }
                yield new Case(sw -> {
                    LazyFrame c = scan(sw, in, FACTS).cache();
                    return c.join(c.groupBy("k").agg(col("v").sum().alias("total"), col("v").count().alias("n")), "k", JoinType.INNER);
                }, JoinOracle.equiJoin(new JoinOracle.Tables(FACTS, rows, totals, sums), new int[] {0}, new int[] {0}, JoinType.INNER,
                        false), null, "cached input of " + n + " rows joined with its own totals");
            }
        };
    }

    private Case asof(Random rnd, Path data) throws IOException {
        int left = 500 + rnd.nextInt(1_500);
        int right = 1_000 + rnd.nextInt(4_000);
        JoinOracle.Tables t = AsofJoinDifferentialTest.tables(DataType.INT64, rnd, left, right, 200 + rnd.nextInt(left));
        AsofStrategy strategy = AsofStrategy.values()[rnd.nextInt(AsofStrategy.values().length)];
        boolean by = rnd.nextBoolean();
        Number tol = rnd.nextBoolean() ? null : AsofJoinDifferentialTest.tolerance(DataType.INT64, 1 + rnd.nextInt(3));
        boolean resort = rnd.nextInt(4) == 0;
        Path l = write(data.resolve("l.csv"), t.left(), t.leftRows());
        Path r = write(data.resolve("r.csv"), t.right(), t.rightRows());
        return new Case(sw -> {
            LazyFrame rf = scan(sw, r, t.right());
            // Declared as it arrives (sorted), or re-sorted stably (equal values keep their order).
            rf = resort ? rf.sortStable("on") : rf.setSorted("on");
            return scan(sw, l, t.left()).sort("on").joinAsof(rf, "on", by ? List.of("g") : List.of(), strategy, tol);
        }, AsofJoinDifferentialTest.oracle(t, strategy, by, tol), MergeJoinDifferentialTest.byColumns(0),
                strategy + " AsOf join of " + left + " x " + right + " rows" + (by ? " by g" : "") + " tolerance=" + tol);
    }

    private static LazyFrame scan(Spillway sw, Path csv, Schema schema) {
        return sw.scanCsv(csv, CsvOptions.defaults().withSchema(schema));
    }

    /** Writes {@code rows} as CSV with a header: nulls as empty fields, strings (never empty, never with a comma) as they are. */
    private static Path write(Path file, Schema schema, List<List<Object>> rows) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(String.join(",", schema.names()));
            w.newLine();
            StringBuilder line = new StringBuilder();
            for (List<Object> r : rows) {
                line.setLength(0);
                for (int c = 0; c < r.size(); c++) {
                    if (c > 0) {
                        line.append(',');
                    }
                    if (r.get(c) != null) {
                        line.append(r.get(c));
                    }
                }
                w.write(line.toString());
                w.newLine();
            }
        }
        return file;
    }

    // ------------------------------------------------------------------ helpers

    static String mib(long bytes) {
        return bytes % (1L << 20) == 0 ? (bytes >> 20) + "MiB" : bytes + "B";
    }

    private static <T extends Throwable> T causeOf(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder(String.valueOf(t));
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            sb.append("; caused by ").append(c);
        }
        StackTraceElement[] at = t.getStackTrace();
        for (int i = 0; i < Math.min(at.length, 6); i++) {
            sb.append("\n    at ").append(at[i]);
        }
        return sb.toString();
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ command line

    /** The parsed command line of {@link #main}. */
    record Options(List<Long> caps, List<Integer> threads, List<Kind> kinds, List<Fault> faults, long faultCap, int seeds,
            long firstSeed, Path dir, Path failures) {
        static Options parse(String[] args) {
            List<Long> caps = List.of(MIN_CAP, 2 * MIN_CAP, 16L << 20, 64L << 20);
            List<Integer> threads = List.of(1, 2, 4);
            List<Kind> kinds = List.of(Kind.values());
            List<Fault> faults = List.of(Fault.values());
            long faultCap = 16L << 20;
            int seeds = 200;
            long firstSeed = 1;
            Path dir = null;
            Path failures = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + a + " needs a value; " + USAGE);
                }
                String v = args[++i];
                switch (a) {
                    case "--caps" -> caps = Arrays.stream(v.split(",")).map(Options::bytes).toList();
                    case "--threads" -> threads = Arrays.stream(v.split(",")).map(t -> positive("--threads", t)).toList();
                    case "--kinds" -> kinds = Arrays.stream(v.split(",")).map(k -> named("--kinds", k, Kind.values(), Kind::label)).toList();
                    case "--faults" -> faults = Arrays.stream(v.split(",")).map(f -> named("--faults", f, Fault.values(), Fault::label))
                            .toList();
                    case "--fault-cap" -> faultCap = bytes(v);
                    case "--seeds" -> seeds = positive("--seeds", v);
                    case "--first-seed" -> firstSeed = Long.parseLong(v);
                    case "--dir" -> dir = Path.of(v);
                    case "--failures" -> failures = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a + "; " + USAGE);
                }
            }
            return new Options(caps, threads, kinds, faults, faultCap, seeds, firstSeed, dir, failures);
        }

        /** The settings: caps x threads x kinds without a fault, then each other fault x threads x kinds at the fault cap. */
        List<Setting> settings() {
            List<Setting> out = new ArrayList<>();
            for (Fault f : faults) {
                for (long cap : f == Fault.NONE ? caps : List.of(faultCap)) {
                    for (int t : threads) {
                        for (Kind k : kinds) {
                            out.add(new Setting(cap, t, k, f));
                        }
                    }
                }
            }
            return out;
        }

        static long bytes(String v) {
            String s = v.trim().toLowerCase(Locale.ROOT);
            long unit = s.endsWith("m") ? 1L << 20 : s.endsWith("k") ? 1L << 10 : 1;
            String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
            long b;
            try {
                b = Long.parseLong(digits) * unit;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--caps: '" + v + "' is not a size; give bytes or a number with k or m, e.g. 4m,16m");
            }
            if (b < MIN_CAP) {
                throw new IllegalArgumentException("--caps: " + v + " is below the engine's minimum of 4 MiB (4m)");
            }
            return b;
        }

        private static int positive(String option, String v) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(option + ": '" + v + "' is not a positive whole number");
        }

        private static <E> E named(String option, String v, E[] values, Function<E, String> label) {
            for (E e : values) {
                if (label.apply(e).equals(v.trim())) {
                    return e;
                }
            }
            throw new IllegalArgumentException(option + ": unknown '" + v + "'; valid: "
                    + String.join(",", Arrays.stream(values).map(label).toList()));
        }
    }

    private static final String USAGE = "usage: StressGrid [--seeds N (200)] [--first-seed S (1)] [--caps 4m,8m,16m,64m] [--threads 1,2,4]"
            + " [--kinds join,groupby,sort,join-groupby,mux,asof] [--faults none,spill-write,dir-removed,close,cancel]"
            + " [--fault-cap 16m] [--dir DIR] [--failures FILE]";

    /**
     * Runs the grid the arguments select (see {@code perf-scripts/stress.sh --grid}): one line per
     * setting with {@code passed/total}, then a summary; each failure with its reproduction goes to
     * the output and to {@code --failures FILE}. Exits with 1 on any failure, 2 on bad arguments.
     */
    public static void main(String[] args) throws IOException {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Path work = o.dir != null ? o.dir : Files.createTempDirectory("spillway-stress-grid");
        Files.createDirectories(work);
        List<Setting> settings = o.settings();
        System.out.printf("stress grid: %d settings x %d seeds (from %d), work directory %s%n", settings.size(), o.seeds, o.firstSeed, work);
        int passed = 0;
        int total = 0;
        int failedSettings = 0;
        List<Failure> failures = new ArrayList<>();
        Map<Fault, int[]> byFault = new HashMap<>();
        try (Spillway reader = Spillway.builder().memoryLimit(1L << 30).threads(2).tempDir(work.resolve("reader-spill")).build()) {
            for (Setting s : settings) {
                Tally t = run(s, o.firstSeed, o.seeds, work.resolve("run"), reader, System.out);
                passed += t.passed();
                total += t.total();
                failedSettings += t.failures().isEmpty() ? 0 : 1;
                failures.addAll(t.failures());
                int[] f = byFault.computeIfAbsent(s.fault(), x -> new int[2]);
                f[0] += t.passed();
                f[1] += t.total();
                System.out.printf(Locale.ROOT, "%-58s %4d/%-4d passed (%d exact, %d expected failures) %6.1f s%s%n", s, t.passed(), t.total(),
                        t.exact(), t.faulted(), t.millis() / 1000.0, t.failures().isEmpty() ? "" : "  FAILED");
                if (o.failures != null && !t.failures().isEmpty()) {
                    List<String> lines = new ArrayList<>();
                    for (Failure f2 : t.failures()) {
                        lines.add("# " + f2.toString().replace("\n", "\n# "));
                        lines.add(f2.reproduction());
                    }
                    Files.write(o.failures, lines, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.APPEND);
                }
            }
        }
        deleteTree(work.resolve("reader-spill"));
        deleteTree(work.resolve("run"));
        System.out.printf("%nstress grid: %d/%d seeded runs passed, %d of %d settings with failures%n", passed, total, failedSettings,
                settings.size());
        for (Fault f : Fault.values()) {
            int[] c = byFault.get(f);
            if (c != null) {
                System.out.printf("  fault=%-12s %d/%d%n", f.label(), c[0], c[1]);
            }
        }
        if (o.dir == null) {
            deleteTree(work);
        }
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}
