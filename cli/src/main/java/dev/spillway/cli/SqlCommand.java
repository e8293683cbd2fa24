package dev.spillway.cli;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.sql.SqlContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code spillway sql [--memory-limit SIZE] [--threads N]}: reads {@code ;}-terminated statements
 * from standard input and prints each query's result as the DataFrame printer does. Views
 * created with {@code CREATE VIEW} stay for the later statements. Lines starting with a dot
 * between statements are shell commands: {@code .timer on|off}, {@code .explain on|off} (print
 * the plan before each result), {@code .tables}. Exit status 0 when every statement ran, 1 when
 * one failed (the others still run), 2 for bad usage.
 */
public final class SqlCommand implements Subcommand {
    static final String USAGE = """
            usage: spillway sql [options] < statements.sql
              Runs ;-terminated SQL statements from standard input and prints each result.
              In FROM, read_parquet('glob'), read_csv('glob') and read_ipc('glob') read files;
              CREATE VIEW name AS query names a query for the later statements.
              Shell commands, on a line of their own: .timer on|off  .explain on|off  .tables
            options:
              --memory-limit SIZE   engine memory limit, e.g. 512m, 2g (default: the engine's)
              --threads N           worker threads (default: the engine's)
              --help                this text
            """;

    /** For the service loader. */
    public SqlCommand() {
    }

    @Override
    public String name() {
        return "sql";
    }

    @Override
    public String summary() {
        return "run SQL statements from standard input (read_parquet/read_csv/read_ipc in FROM)";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Spillway.Builder b = Spillway.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            try {
                switch (a) {
                    case "--help", "-h" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    case "--memory-limit" -> b.memoryLimit(value(args, ++i, a));
                    case "--threads" -> b.threads(Integer.parseInt(value(args, ++i, a)));
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            } catch (IllegalArgumentException e) {
                err.println("spillway sql: " + e.getMessage());
                err.print(USAGE);
                return 2;
            }
        }
        try (Spillway sw = b.build()) {
            return run(sw, new InputStreamReader(System.in, StandardCharsets.UTF_8), out, err);
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** Runs the statements of {@code in} on {@code sw}; returns 0 when all ran, 1 when one failed. */
    static int run(Spillway sw, Reader in, PrintStream out, PrintStream err) {
        SqlContext ctx = SqlContext.of(sw);
        boolean timer = false;
        boolean explain = false;
        int status = 0;
        StringBuilder stmt = new StringBuilder();
        try (BufferedReader r = new BufferedReader(in)) {
            String line;
            while ((line = r.readLine()) != null) {
                String t = line.strip();
                if (stmt.toString().isBlank() && t.startsWith(".")) {
                    String[] w = t.split("\\s+");
                    switch (w[0]) {
                        case ".timer" -> timer = w.length > 1 && w[1].equalsIgnoreCase("on");
                        case ".explain" -> explain = w.length > 1 && w[1].equalsIgnoreCase("on");
                        case ".tables" -> out.println(String.join("\n", ctx.tables()));
                        case ".quit", ".exit" -> {
                            return status;
                        }
                        default -> {
                            err.println("unknown shell command " + w[0] + " (.timer on|off, .explain on|off, .tables, .quit)");
                            status = 1;
                        }
                    }
                    continue;
                }
                stmt.append(line).append('\n');
                int end;
                while ((end = statementEnd(stmt)) >= 0) {
                    String text = stmt.substring(0, end);
                    stmt.delete(0, end + 1);
                    if (!text.isBlank() && !execute(ctx, text, timer, explain, out, err)) {
                        status = 1;
                    }
                }
            }
        } catch (IOException e) {
            err.println("spillway sql: cannot read the input: " + e.getMessage());
            return 1;
        }
        if (!stmt.toString().isBlank() && !onlyComments(stmt.toString())
                && !execute(ctx, stmt.toString(), timer, explain, out, err)) {
            status = 1;
        }
        return status;
    }

    private static boolean onlyComments(String s) {
        for (String l : s.split("\n")) {
            String t = l.strip();
            if (!t.isEmpty() && !t.startsWith("--")) {
                return false;
            }
        }
        return true;
    }

    /** The index of the first {@code ;} outside quotes and comments, or -1. */
    static int statementEnd(CharSequence s) {
        char quote = 0;
        boolean comment = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (comment) {
                comment = c != '\n';
            } else if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '-' && i + 1 < s.length() && s.charAt(i + 1) == '-') {
                comment = true;
            } else if (c == ';') {
                return i;
            }
        }
        return -1;
    }

    private static boolean execute(SqlContext ctx, String text, boolean timer, boolean explain, PrintStream out,
            PrintStream err) {
        long start = System.nanoTime();
        try {
            LazyFrame f = ctx.execute(text);
            if (f == null) {
                out.println("OK");
            } else {
                if (explain) {
                    out.println(f.explain());
                }
                try (DataFrame df = f.collect()) {
                    out.println(df);
                }
            }
            if (timer) {
                out.printf(Locale.ROOT, "Run Time: %.3f s%n", (System.nanoTime() - start) / 1e9);
            }
            return true;
        } catch (RuntimeException e) {
            err.println("Error: " + e.getMessage());
            return false;
        }
    }
}
