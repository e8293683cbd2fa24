package dev.spillway.cli;

import dev.spillway.tpch.TpchGen;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@code spillway tpch-gen --scale 1 --out DIR [--format parquet|csv] [--threads N]}: writes the
 * eight TPC-H tables with {@link TpchGen}. Exit status 0 on success, 1 when writing fails, 2 for
 * bad usage.
 */
public final class TpchGenCommand implements Subcommand {
    static final String USAGE = """
            usage: spillway tpch-gen --out DIR [options]
              Writes the eight TPC-H tables (region, nation, supplier, customer, part, partsupp, orders,
              lineitem) to DIR/<table>.parquet (or .csv), streaming: memory does not grow with the scale.
            options:
              --out DIR           output directory (created if missing; existing tables are replaced)
              --scale N           scale factor, e.g. 0.01, 0.1, 1, 10 (default 1: 6M lineitem rows)
              --format FORMAT     parquet or csv (default parquet)
              --threads N         tables written at once (default 2)
              --help              this text
            """;

    /** Parsed options. */
    record Options(double scale, Path out, TpchGen.Format format, int threads) {
    }

    /** For the service loader. */
    public TpchGenCommand() {
    }

    @Override
    public String name() {
        return "tpch-gen";
    }

    @Override
    public String summary() {
        return "write the TPC-H tables at a scale factor as Parquet or CSV";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("spillway tpch-gen: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (o == null) {
            out.print(USAGE);
            return 0;
        }
        long start = System.nanoTime();
        Map<String, Long> rows;
        try {
            rows = TpchGen.generate(o.scale(), o.out(), o.format(), o.threads());
        } catch (RuntimeException e) {
            err.println("spillway tpch-gen: generation failed: " + e);
            return 1;
        }
        for (Map.Entry<String, Long> r : rows.entrySet()) {
            out.printf(Locale.ROOT, "%-9s %,12d rows  %s%n", r.getKey(), r.getValue(),
                    TpchGen.file(o.out(), r.getKey(), o.format()));
        }
        out.printf(Locale.ROOT, "scale %s in %.1f s%n", o.scale(), (System.nanoTime() - start) / 1e9);
        return 0;
    }

    /** Parses {@code --name value} or {@code --name=value} options; null for --help. */
    static Options parse(String[] args) {
        double scale = 1;
        Path out = null;
        TpchGen.Format format = TpchGen.Format.PARQUET;
        int threads = 2;
        for (int i = 0; i < args.length; i++) {
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
                case "--scale", "--out", "--format", "--threads" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(a + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (a) {
                        case "--scale" -> scale = scale(value);
                        case "--out" -> out = Path.of(value);
                        case "--format" -> format = TpchGen.Format.parse(value);
                        default -> threads = threads(value);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out DIR is required");
        }
        return new Options(scale, out, format, threads);
    }

    private static double scale(String value) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--scale wants a number such as 0.1 or 1, got '" + value + "'");
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("--scale must be a positive number, got '" + value + "'");
        }
        return v;
    }

    private static int threads(String value) {
        try {
            int v = Integer.parseInt(value);
            if (v >= 1 && v <= 64) {
                return v;
            }
        } catch (NumberFormatException e) {
            // Reported below with the valid range.
        }
        throw new IllegalArgumentException("--threads wants a whole number from 1 to 64, got '" + value + "'");
    }
}
