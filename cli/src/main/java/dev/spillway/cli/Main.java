package dev.spillway.cli;

import dev.spillway.internal.EngineInternals;

import dev.spillway.QueryProfile;
import dev.spillway.QueryProgress;
import dev.spillway.Spillway;
import dev.spillway.memory.Bytes;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * The {@code spillway} command. {@code spillway demo [options]} runs {@link Demo}: it prints the
 * plan, a live progress line when standard output is a terminal, the spill events with
 * {@code --verbose}, and a summary with the result's checksum checked against the expected one.
 * Exit status: 0 on success, 1 when the checksum is wrong or the query fails, 2 for bad usage.
 * Other commands ({@code spillway tpch-gen ...}) are {@link Subcommand}s found on the class path.
 */
public final class Main {
    static final String USAGE = """
            usage: spillway demo [options]
              Runs the reference out-of-core query on generated data: build = key + 64-character payload,
              probe = (i mod build-rows) as key + i as float64 amount; inner join on key; group by key;
              sum(amount). The memory limit is set low enough to force the join and group-by to spill.
            options:
              --build-rows N      build-side rows (default 20000000)
              --probe-rows N      probe-side rows (default 100000000)
              --memory-limit SIZE memory cap, e.g. 1g, 256m (default 1g)
              --temp-dir DIR      where spill files go (default SPILLWAY_TEMP_DIR or java.io.tmpdir)
              --threads N         worker threads (default: one per core)
              --morsel-rows N     rows per generated morsel (default 131072, smaller under caps below 256m)
              --verbose           print the spill events ([spillway] ... lines)
              --report FILE       write a self-contained HTML profile report
              --help              this text
            """;

    private Main() {
    }

    /** Parsed options of the demo. */
    record Options(long buildRows, long probeRows, long memoryLimit, Path tempDir, Integer threads, int morselRows,
            boolean verbose, Path report) {
    }

    /**
     * Morsel rows for a cap: 128k rows make a 1 MiB int64 column, and several morsels per worker
     * are in flight, so small caps get smaller morsels (cap / 2048, at least 1024 rows).
     */
    static int defaultMorselRows(long cap) {
        return (int) Math.max(1024, Math.min(131_072, cap / 2048));
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.console() != null));
    }

    /** Runs the command; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err, boolean tty) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(USAGE + otherCommands());
            return args.length == 0 ? 2 : 0;
        }
        if (!args[0].equals("demo")) {
            for (Subcommand c : ServiceLoader.load(Subcommand.class)) {
                if (c.name().equals(args[0])) {
                    return c.run(Arrays.copyOfRange(args, 1, args.length), out, err);
                }
            }
            StringBuilder names = new StringBuilder("'demo'");
            for (Subcommand c : ServiceLoader.load(Subcommand.class)) {
                names.append(", '").append(c.name()).append('\'');
            }
            err.println("spillway: unknown command '" + args[0] + "'; the commands are " + names);
            err.print(USAGE + otherCommands());
            return 2;
        }
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("spillway: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (o == null) {
            out.print(USAGE);
            return 0;
        }
        try {
            return demo(o, out, tty);
        } catch (RuntimeException e) {
            err.println("spillway: the demo query failed: " + e);
            Throwable c = e.getCause();
            Throwable root = e;
            while (c != null) {
                err.println("  caused by: " + c);
                root = c;
                c = c.getCause();
            }
            if (o.verbose()) {
                // Where it broke, for a bug report.
                root.printStackTrace(err);
            }
            return 1;
        }
    }

    /** The subcommands on the class path, one line each, or nothing. */
    private static String otherCommands() {
        StringBuilder sb = new StringBuilder();
        for (Subcommand c : ServiceLoader.load(Subcommand.class)) {
            sb.append(sb.isEmpty() ? "other commands (spillway COMMAND --help):\n" : "")
                    .append(String.format(Locale.ROOT, "  %-19s %s%n", c.name(), c.summary()));
        }
        return sb.toString();
    }

    /** Parses the demo's options ({@code --name value} or {@code --name=value}); null for --help. */
    static Options parse(String[] args) {
        long build = 20_000_000;
        long probe = 100_000_000;
        long limit = Bytes.parse("1g");
        Path temp = null;
        Integer threads = null;
        Integer morselRows = null;
        boolean verbose = false;
        Path report = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--verbose", "-v" -> {
                    if (value != null) {
                        throw new IllegalArgumentException("--verbose takes no value");
                    }
                    verbose = true;
                }
                case "--build-rows", "--probe-rows", "--memory-limit", "--temp-dir", "--threads", "--morsel-rows", "--report" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(a + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (a) {
                        case "--build-rows" -> build = count(a, value, 1);
                        case "--probe-rows" -> probe = count(a, value, 0);
                        case "--memory-limit" -> limit = size(a, value);
                        case "--temp-dir" -> temp = Path.of(value);
                        case "--threads" -> threads = (int) Math.min(count(a, value, 1), 1024);
                        case "--morsel-rows" -> morselRows = (int) Math.min(count(a, value, 1), 1 << 20);
                        default -> report = Path.of(value);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        return new Options(build, probe, limit, temp, threads, morselRows == null ? defaultMorselRows(limit) : morselRows,
                verbose, report);
    }

    private static long count(String option, String value, long min) {
        long v;
        try {
            v = Long.parseLong(value.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " wants a whole number, got '" + value + "'");
        }
        if (v < min) {
            throw new IllegalArgumentException(option + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    private static long size(String option, String value) {
        try {
            long v = Bytes.parse(value);
            if (v <= 0) {
                throw new IllegalArgumentException(option + " must be positive, got '" + value + "'");
            }
            return v;
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage().startsWith(option)) {
                throw iae;
            }
            throw new IllegalArgumentException(option + " wants a size such as 512m or 1g, got '" + value + "'");
        }
    }

    private static int demo(Options o, PrintStream out, boolean tty) {
        Object lock = new Object();
        boolean[] progressShown = {false};
        Consumer<String> events = line -> {
            synchronized (lock) {
                if (progressShown[0]) {
                    out.print("\r\033[K");
                    progressShown[0] = false;
                }
                out.println(line);
            }
        };
        Consumer<QueryProgress> progress = p -> {
            synchronized (lock) {
                out.printf(Locale.ROOT, "\r\033[K%6.1f s  rows %,d  memory %s / %s  spilled %s", p.elapsedNanos() / 1e9,
                        p.rowsProcessed(), Bytes.format(p.reservedBytes()), Bytes.format(p.capBytes()),
                        Bytes.format(p.spilledBytes()));
                out.flush();
                progressShown[0] = true;
            }
        };
        Spillway.Builder b = Spillway.builder().memoryLimit(o.memoryLimit()).morselRows(o.morselRows())
                .verbose(false);
        if (o.tempDir() != null) {
            b.tempDir(o.tempDir());
        }
        if (o.threads() != null) {
            b.threads(o.threads());
        }
        if (o.verbose()) {
            b.events(events);
        }
        if (tty) {
            b.progress(progress);
        }
        try (Spillway sw = b.build()) {
            out.printf(Locale.ROOT, "spillway demo: %,d probe rows (key = i mod %,d, amount = i) joined with %,d build rows"
                    + " (key, 64-character payload), group by key, sum(amount)%n", o.probeRows(), o.buildRows(), o.buildRows());
            out.printf(Locale.ROOT, "memory limit %s, %d threads, %,d-row morsels, spill root %s%n%n",
                    Bytes.format(o.memoryLimit()), sw.config().threads(), o.morselRows(), EngineInternals.spills(sw).root());
            out.println(Demo.query(sw, o.buildRows(), o.probeRows()).explain());
            out.println();
            Demo.Result r = Demo.run(sw, o.buildRows(), o.probeRows());
            synchronized (lock) {
                if (progressShown[0]) {
                    out.print("\r\033[K");
                    progressShown[0] = false;
                }
            }
            Demo.Result want = Demo.expected(o.buildRows(), o.probeRows());
            QueryProfile p = r.profile();
            boolean ok = r.groups() == want.groups() && r.sumOfSums() == want.sumOfSums()
                    && r.payloadBytes() == want.payloadBytes();
            out.println("summary:");
            out.printf(Locale.ROOT, "  time           %.2f s%n", p.wallNanos() / 1e9);
            out.printf(Locale.ROOT, "  peak memory    %s of %s%n", Bytes.format(p.peakBytes()), Bytes.format(p.capBytes()));
            out.printf(Locale.ROOT, "  spilled        %s raw, %s compressed, %d partitions, %d files%n",
                    Bytes.format(p.spilledRawBytes()), Bytes.format(p.spilledCompressedBytes()), p.partitionsSpilled(),
                    p.spillFiles());
            out.printf(Locale.ROOT, "  read back      %s (%s raw), read amplification %.2f%n", Bytes.format(p.readBackBytes()),
                    Bytes.format(p.readBackRawBytes()), p.readAmplification());
            out.printf(Locale.ROOT, "  result rows    %,d (expected %,d)%n", r.groups(), want.groups());
            out.printf(Locale.ROOT, "  checksum       sum(sum_amount) = %.0f (expected %.0f), payload bytes = %,d (expected %,d)%n",
                    r.sumOfSums(), want.sumOfSums(), r.payloadBytes(), want.payloadBytes());
            out.println("  result         " + (ok ? "OK" : "WRONG"));
            out.println();
            out.print(p.toTable());
            if (o.report() != null) {
                p.writeHtml(o.report());
                out.println("report written to " + o.report().toAbsolutePath());
            }
            return ok ? 0 : 1;
        }
    }
}
