package dev.spillway.bench.stress;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.options.JoinOptions;
import dev.spillway.options.JoinStrategy;
import dev.spillway.LazyFrame;
import dev.spillway.SinkTarget;
import dev.spillway.SortKey;
import dev.spillway.Spillway;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.options.JoinType;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * Many small queries of every operator kind, repeated on one long-lived engine, each result
 * compared exactly with a {@code java.util} oracle and the engine's memory checked back at its
 * baseline after each query. This is how an embedding service uses the engine, and how lost
 * morsels, double-started pipelines and end-of-input races show up: as an occasional empty or
 * partial result, or as bytes left reserved.
 *
 * <p>The data (made once with {@link Spillway#fromColumns}): {@code facts} with 10,000 rows,
 * {@code id = i}, {@code k = (i * 7919) % 1000}, {@code v = i % 100}; {@code dims} with 1,000 rows,
 * {@code k = i}, {@code name = "name" + (i % 20)}. The queries: a global aggregate, a group-by, a
 * join grouped by name, a sort, a top-k, a concat, a cached frame read twice, {@code sinkAll} to
 * two CSV files, a merge join grouped by name, and a global aggregate over a filter that keeps
 * no row.
 *
 * <p>Run from the command line ({@code perf-scripts/stress.sh}) or from a test with small counts.
 */
public final class RepetitionStress {
    private static final int FACTS = 10_000;
    private static final int DIMS = 1_000;
    private static final int TOP = 25;

    /** One wrong result, exception or leak. */
    public record Failure(String query, int threads, long iteration, String problem) {
        @Override
        public String toString() {
            return query + " (threads=" + threads + ", iteration " + iteration + "): " + problem;
        }
    }

    /** What a run did: queries run (per query name) and what went wrong. */
    public record Report(int threads, long rounds, Map<String, Long> runs, List<Failure> failures, long millis) {
        /** Queries run in all. */
        public long queries() {
            return runs.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final int threads;
    private final Path work;
    private final Spillway sw;
    private final LazyFrame facts;
    private final LazyFrame dims;
    private final LazyFrame empty;
    private final Map<String, Function<Integer, String>> queries = new LinkedHashMap<>();
    private final long[] k = new long[FACTS];
    private final double[] v = new double[FACTS];

    private RepetitionStress(int threads, Path work, List<String> only) {
        this.threads = threads;
        this.work = work;
        this.sw = Spillway.builder().threads(threads).tempDir(work.resolve("spill")).build();
        long[] id = new long[FACTS];
        for (int i = 0; i < FACTS; i++) {
            id[i] = i;
            k[i] = (i * 7919L) % DIMS;
            v[i] = i % 100;
        }
        long[] dk = new long[DIMS];
        String[] name = new String[DIMS];
        for (int i = 0; i < DIMS; i++) {
            dk[i] = i;
            name[i] = "name" + (i % 20);
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("id", id);
        f.put("k", k);
        f.put("v", v);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("k", dk);
        d.put("name", name);
        this.facts = sw.fromColumns(f);
        this.dims = sw.fromColumns(d);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("v", new double[] {1.0});
        this.empty = sw.fromColumns(e).filter(col("v").lt(lit(0.0)));
        define();
        if (!only.isEmpty()) {
            if (!queries.keySet().containsAll(only)) {
                throw new IllegalArgumentException("unknown query in " + only + "; the queries are " + queries.keySet());
            }
            queries.keySet().retainAll(only);
        }
    }

    /** The names of the queries, in the order a round runs them. */
    public static List<String> queryNames() {
        return List.of("global", "empty", "groupby", "join", "sort", "topk", "concat", "cache", "sinkall", "mergejoin");
    }

    /**
     * Runs {@code rounds} rounds of the queries named in {@code only} (all when empty; see
     * {@link #queryNames()}) from each of {@code clients} caller threads at once, on a new engine
     * with {@code threads} workers whose spill root is under {@code work}; the engine is closed at
     * the end (a leak there is a failure). With one client, the engine's memory is checked back at
     * its baseline after every query; with several, a query's own leak still fails it (closing its
     * result closes its budget, which throws on bytes left), and the engine is checked at the end.
     */
    public static Report run(int threads, int clients, int noise, long rounds, List<String> only, Path work,
            PrintStream progress) {
        long t0 = System.nanoTime();
        RepetitionStress s = new RepetitionStress(threads, work, only);
        List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
        Map<String, LongAdder> runs = new ConcurrentHashMap<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> hogs = new ArrayList<>();
        for (int i = 0; i < noise; i++) {
            hogs.add(Thread.ofPlatform().daemon().name("stress-noise-" + i).start(() -> spin(running)));
        }
        try {
            long baseline = EngineInternals.budget(s.sw).reserved();
            List<Thread> callers = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                callers.add(Thread.ofPlatform().name("stress-client-" + c).start(
                        () -> s.rounds(client, clients == 1, baseline, rounds, runs, failures, progress)));
            }
            for (Thread t : callers) {
                t.join();
            }
            String leak = s.leakAfterQuery(baseline);
            if (leak != null) {
                failures.add(new Failure("end of run", threads, rounds, leak));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add(new Failure("run", threads, 0, "interrupted"));
        } finally {
            running.set(false);
            try {
                s.sw.close();
            } catch (RuntimeException e) {
                failures.add(new Failure("engine close", threads, rounds, "threw " + e));
            }
            String left = s.spillDirectoriesLeft();
            if (left != null) {
                failures.add(new Failure("engine close", threads, rounds, left));
            }
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String q : s.queries.keySet()) {
            counts.put(q, runs.getOrDefault(q, new LongAdder()).sum());
        }
        return new Report(threads, rounds, counts, List.copyOf(failures), (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Keeps a core busy in short bursts, so that the engine's threads are preempted at arbitrary
     * points as on a loaded host; races whose window is a few instructions wide show up far more
     * often that way.
     */
    private static void spin(AtomicBoolean running) {
        long sink = 0;
        while (running.get()) {
            for (int i = 0; i < 20_000; i++) {
                sink += i ^ (sink >>> 3);
            }
            // Short sleeps make wake-ups, and a woken thread preempts the one running on its core.
            LockSupport.parkNanos(10_000 + (sink & 0x3fff));
        }
    }

    /** One caller's rounds. */
    private void rounds(int client, boolean checkEachQuery, long baseline, long rounds, Map<String, LongAdder> runs,
            List<Failure> failures, PrintStream progress) {
        long expected = baseline;
        for (long round = 0; round < rounds; round++) {
            for (Map.Entry<String, Function<Integer, String>> q : queries.entrySet()) {
                String problem;
                try {
                    problem = q.getValue().apply(client);
                } catch (RuntimeException e) {
                    problem = "threw " + e;
                }
                runs.computeIfAbsent(q.getKey(), k -> new LongAdder()).increment();
                if (problem == null && checkEachQuery) {
                    problem = leakAfterQuery(expected);
                }
                if (problem != null) {
                    Failure f = new Failure(q.getKey(), threads, round, problem);
                    failures.add(f);
                    if (progress != null) {
                        progress.println("FAILED " + f);
                    }
                    // A leaked query budget would be reported again after every later query.
                    expected = EngineInternals.budget(sw).reserved();
                }
            }
            if (progress != null && client == 0 && (round + 1) % Math.max(1, rounds / 10) == 0) {
                progress.printf("threads=%d round %,d of %,d, %d failures%n", threads, round + 1, rounds, failures.size());
            }
        }
    }

    private String leakAfterQuery(long baseline) {
        MemoryBudget b = EngineInternals.budget(sw);
        long reserved = b.reserved();
        if (reserved != baseline) {
            return "engine memory not back at its baseline after the query: " + reserved + " B reserved, baseline " + baseline
                    + " B; children " + b.children();
        }
        return null;
    }

    private String spillDirectoriesLeft() {
        Path spill = work.resolve("spill");
        if (!Files.isDirectory(spill)) {
            return null;
        }
        try (Stream<Path> s = Files.list(spill)) {
            List<Path> left = s.toList();
            return left.isEmpty() ? null : "spill directories left: " + left;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ the queries and their oracles

    private void define() {
        double total = 0;
        for (double x : v) {
            total += x;
        }
        List<List<Object>> global = List.of(List.of(total, (long) FACTS));
        queries.put("global", client -> check(facts.select(col("v").sum().alias("s"), col("v").count().alias("c")), global,
                false));

        // Over no rows (one row, filtered away): the pipeline feeding the aggregate ends almost at
        // once, which makes a root's finish race the start of its dependant most often.
        List<Object> nothing = new ArrayList<>();
        nothing.add(null);
        nothing.add(0L);
        List<List<Object>> overNothing = List.of(nothing);
        queries.put("empty", client -> check(empty.select(col("v").sum().alias("s"), col("v").count().alias("c")), overNothing,
                false));

        TreeMap<Long, double[]> byK = new TreeMap<>();
        for (int i = 0; i < FACTS; i++) {
            double[] acc = byK.computeIfAbsent(k[i], x -> new double[2]);
            acc[0] += v[i];
            acc[1]++;
        }
        List<List<Object>> groups = new ArrayList<>();
        byK.forEach((key, acc) -> groups.add(List.of(key, acc[0], (long) acc[1])));
        queries.put("groupby", client -> check(facts.groupBy("k").agg(col("v").sum().alias("s"), col("v").count().alias("c")), groups,
                true));

        TreeMap<String, Double> byName = new TreeMap<>();
        for (int i = 0; i < FACTS; i++) {
            byName.merge("name" + (k[i] % 20), v[i], Double::sum);
        }
        List<List<Object>> names = new ArrayList<>();
        byName.forEach((n, s) -> names.add(List.of(n, s)));
        queries.put("join", client -> check(facts.join(dims, "k", JoinType.INNER).groupBy("name")
                .agg(col("v").sum().alias("s")), names, true));

        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < FACTS; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -v[i]).thenComparingInt(i -> i));
        List<List<Object>> sorted = order.stream().<List<Object>>map(i -> List.of((long) i, v[i])).toList();
        queries.put("sort", client -> check(facts.sort(SortKey.desc("v"), SortKey.asc("id")).select("id", "v"), sorted, false));
        queries.put("topk", client -> check(facts.topK(TOP, SortKey.desc("v"), SortKey.asc("id")).select("id", "v"),
                sorted.subList(0, TOP), false));

        List<List<Object>> concat = new ArrayList<>();
        for (int i = 0; i < FACTS; i++) {
            concat.add(List.of((long) i));
        }
        for (int i = 0; i < FACTS; i++) {
            if (v[i] < 10) {
                concat.add(List.of((long) i));
            }
        }
        queries.put("concat", client -> check(facts.select("id").concat(facts.filter(col("v").lt(lit(10.0))).select("id")), concat,
                false));

        double below = 0;
        long belowRows = 0;
        for (double x : v) {
            if (x < 50) {
                below += x;
                belowRows++;
            }
        }
        List<List<Object>> twice = List.of(List.of(2 * below, 2 * belowRows));
        queries.put("cache", client -> {
            LazyFrame cached = facts.filter(col("v").lt(lit(50.0))).cache();
            return check(cached.concat(cached).select(col("v").sum().alias("s"), col("v").count().alias("c")), twice, false);
        });

        long bigK = 0;
        for (long x : k) {
            bigK += x >= 500 ? 1 : 0;
        }
        long expectedBig = bigK;
        queries.put("sinkall", client -> sinkAll(client, expectedBig));

        queries.put("mergejoin", client -> check(facts.sort("k", "id").join(dims.setSorted("k"), List.of("k"), List.of("k"),
                JoinType.INNER, JoinOptions.defaults().withStrategy(JoinStrategy.MERGE)).groupBy("name").agg(col("v").sum().alias("s")),
                names, true));
    }

    /** Collects {@code q} and compares it with {@code expected} (sorted on the first column first when {@code unordered}). */
    private static String check(LazyFrame q, List<List<Object>> expected, boolean unordered) {
        try (DataFrame df = q.collect()) {
            List<List<Object>> rows = df.rows();
            if (unordered) {
                rows = new ArrayList<>(rows);
                rows.sort(Comparator.comparing(r -> comparable(r.get(0))));
            }
            if (rows.size() != expected.size()) {
                return rows.size() + " rows, expected " + expected.size() + (rows.isEmpty() ? "" : "; first row " + rows.get(0));
            }
            for (int i = 0; i < rows.size(); i++) {
                if (!rows.get(i).equals(expected.get(i))) {
                    return "row " + i + " is " + rows.get(i) + ", expected " + expected.get(i);
                }
            }
            return null;
        }
    }

    @SuppressWarnings("unchecked") // group keys are Long or String, both Comparable to themselves
    private static Comparable<Object> comparable(Object key) {
        return (Comparable<Object>) key;
    }

    /** Writes two CSV files from one run (a shared scan fanned out) and checks their line counts. */
    private String sinkAll(int client, long expectedBig) {
        Path dir = work.resolve("sink-" + client);
        Path all = dir.resolve("all.csv");
        Path big = dir.resolve("big.csv");
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(all);
            Files.deleteIfExists(big);
            LazyFrame ids = facts.select("id", "k");
            long[] rows = sw.sinkAll(SinkTarget.csv(ids, all), SinkTarget.csv(ids.filter(col("k").ge(lit(500L))), big));
            long allLines;
            long bigLines;
            try (Stream<String> a = Files.lines(all); Stream<String> b = Files.lines(big)) {
                allLines = a.count() - 1;
                bigLines = b.count() - 1;
            }
            if (rows[0] != FACTS || rows[1] != expectedBig || allLines != FACTS || bigLines != expectedBig) {
                return "wrote " + rows[0] + " and " + rows[1] + " rows (files: " + allLines + " and " + bigLines + " lines), expected "
                        + FACTS + " and " + expectedBig;
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ command line

    /**
     * {@code RepetitionStress [--rounds N] [--threads 1,2,4] [--clients C] [--noise H]
     * [--queries global,join,...] [--dir DIR]}: runs every query (or the named ones) {@code N} times
     * (default 100,000) from each of {@code C} caller threads (default 1) on an engine of each thread
     * count, with {@code H} threads keeping cores busy beside it (default 0); prints the failures and
     * exits with 1 if there was any.
     */
    public static void main(String[] args) throws IOException {
        long rounds = 100_000;
        String threadCounts = "1,2,4";
        int clients = 1;
        int noise = 0;
        List<String> only = List.of();
        Path work = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--rounds" -> rounds = Long.parseLong(value.replace("_", "").replace(",", ""));
                case "--threads" -> threadCounts = value;
                case "--clients" -> clients = Integer.parseInt(value);
                case "--noise" -> noise = Integer.parseInt(value);
                case "--queries" -> only = List.of(value.split(","));
                case "--dir" -> work = Path.of(value);
                default -> {
                    System.err.println("unknown option " + args[i] + "; options: --rounds N --threads 1,2,4 --clients N --noise N --queries "
                            + String.join(",", queryNames()) + " --dir DIR");
                    System.exit(2);
                }
            }
            i++;
        }
        if (work == null) {
            work = Files.createTempDirectory("spillway-stress");
        }
        int failed = 0;
        for (String t : threadCounts.split(",")) {
            Report r = run(Integer.parseInt(t.trim()), clients, noise, rounds, only, work, System.out);
            System.out.printf("threads=%d: %,d queries (%,d rounds of %s), %d failures, %.1f s%n", r.threads(), r.queries(),
                    r.rounds(), r.runs().keySet(), r.failures().size(), r.millis() / 1000.0);
            r.failures().stream().limit(20).forEach(f -> System.out.println("  " + f));
            failed += r.failures().size();
        }
        System.out.println(failed == 0 ? "stress: OK" : "stress: " + failed + " FAILURES");
        System.exit(failed == 0 ? 0 : 1);
    }
}
