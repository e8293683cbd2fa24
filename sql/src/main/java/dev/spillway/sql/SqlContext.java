package dev.spillway.sql;

import dev.spillway.LazyFrame;
import dev.spillway.ProfiledResult;
import dev.spillway.Spillway;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.ExplainStatement;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.Statements;
import net.sf.jsqlparser.statement.create.view.CreateView;
import net.sf.jsqlparser.statement.drop.Drop;
import net.sf.jsqlparser.statement.select.Select;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SQL over one {@link Spillway} instance: tables registered by name, plus the table functions
 * {@code read_parquet('glob')}, {@code read_csv('glob')} and {@code read_ipc('glob')} in FROM.
 * {@link #sql} plans a statement (or a script of them) into a {@link LazyFrame}, so that the
 * result runs like any lazy query: {@code collect()}, {@code explain()}, {@code profile()}, the
 * sinks.
 *
 * <pre>{@code
 * SqlContext ctx = SqlContext.of(sw).register("orders", sw.scanParquet(Path.of("orders.parquet")));
 * try (DataFrame df = ctx.sql("select o_orderstatus, count(*) as n from orders group by 1 order by 1").collect()) {
 *     System.out.println(df);
 * }
 * }</pre>
 *
 * <p>Table names and unquoted identifiers are case-insensitive; quoted ones ({@code "Name"}) are
 * not. Safe for concurrent use: each statement plans against the tables registered when it
 * starts. {@link Spillway#sql(String)} and {@link Spillway#register} use one context per engine
 * (through {@link SqlCatalogProvider}); create further contexts for separate sets of names.
 */
public final class SqlContext {
    private static final Pattern POSITION = Pattern.compile("at line (\\d+), column (\\d+)");
    private static final Pattern TOKEN = Pattern.compile("Encountered unexpected token: \"((?:[^\"\\\\]|\\\\.)*)\"");

    private final Spillway sw;
    private final Map<String, LazyFrame> tables = new LinkedHashMap<>();

    private SqlContext(Spillway sw) {
        this.sw = sw;
    }

    /** A context without tables over {@code sw}. */
    public static SqlContext of(Spillway sw) {
        if (sw == null) {
            throw new NullPointerException("spillway");
        }
        return new SqlContext(sw);
    }

    /**
     * Makes {@code frame} visible as table {@code name} (case-insensitive), replacing a table of
     * the same name.
     *
     * @return this context
     */
    public SqlContext register(String name, LazyFrame frame) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a table needs a name");
        }
        if (frame == null) {
            throw new NullPointerException("frame of table " + name);
        }
        synchronized (tables) {
            tables.put(name.toLowerCase(Locale.ROOT), frame);
        }
        return this;
    }

    /** Removes table {@code name}; returns whether it existed. */
    public boolean unregister(String name) {
        synchronized (tables) {
            return tables.remove(name.toLowerCase(Locale.ROOT)) != null;
        }
    }

    /** The registered table names (lower case), in registration order. */
    public Set<String> tables() {
        synchronized (tables) {
            return Collections.unmodifiableSet(new LinkedHashSet<>(tables.keySet()));
        }
    }

    /** The tables as they are now: each statement plans against a copy, so that others may register meanwhile. */
    private Map<String, LazyFrame> snapshot() {
        synchronized (tables) {
            return new LinkedHashMap<>(tables);
        }
    }

    /**
     * Plans {@code text}: one query, or a script of {@code ;}-separated statements of which
     * {@code CREATE VIEW name AS query} registers a view, {@code DROP VIEW name} removes one, and
     * the last query (SELECT, WITH, UNION, or {@code EXPLAIN query}) is the result. {@code EXPLAIN}
     * gives a frame of one column {@code explain} with the optimized plan's lines.
     *
     * @throws SqlException for a syntax error (with line, column and token), an unknown table or
     *                      column (with the nearest names), a type mismatch or an unsupported construct
     */
    public LazyFrame sql(String text) {
        LazyFrame result = execute(text);
        if (result == null) {
            throw new SqlException("the script has no query: end it with a SELECT");
        }
        return result;
    }

    /**
     * Like {@link #sql} but for a script that may hold no query (only {@code CREATE VIEW} and
     * {@code DROP VIEW}): returns the last query's frame, or null.
     */
    public LazyFrame execute(String text) {
        LazyFrame result = null;
        for (Statement st : parse(text)) {
            LazyFrame r = run(st);
            if (r != null) {
                result = r;
            }
        }
        return result;
    }

    /** The optimized plan of query {@code text} (like {@code sql(text).explain()}). */
    public String explain(String text) {
        return sql(text).explain();
    }

    private LazyFrame run(Statement st) {
        try {
            return switch (st) {
                case Select s -> new SqlPlanner(sw, snapshot()).query(s).frame();
                case CreateView v -> {
                    String name = SqlPlanner.unquote(v.getView().getName()).toLowerCase(Locale.ROOT);
                    if (snapshot().containsKey(name) && !v.isOrReplace()) {
                        throw new SqlException("table or view " + name + " already exists; use CREATE OR REPLACE VIEW");
                    }
                    LazyFrame f = new SqlPlanner(sw, snapshot()).query(v.getSelect()).frame();
                    if (v.getColumnNames() != null) {
                        List<String> names = f.schema().names();
                        if (v.getColumnNames().size() != names.size()) {
                            throw new SqlException("view " + name + " names " + v.getColumnNames().size()
                                    + " columns but its query returns " + names.size());
                        }
                        Map<String, String> renames = new LinkedHashMap<>();
                        for (int i = 0; i < names.size(); i++) {
                            renames.put(names.get(i), SqlPlanner.unquote(v.getColumnNames().get(i).getColumnName()));
                        }
                        f = f.rename(renames);
                    }
                    synchronized (tables) {
                        if (tables.containsKey(name) && !v.isOrReplace()) {
                            throw new SqlException("table or view " + name + " already exists; use CREATE OR REPLACE VIEW");
                        }
                        tables.put(name, f.cache());
                    }
                    yield null;
                }
                case Drop d -> {
                    if (!d.getType().equalsIgnoreCase("view") && !d.getType().equalsIgnoreCase("table")) {
                        throw new SqlException("DROP " + d.getType() + " is not supported; DROP VIEW removes a view");
                    }
                    String name = SqlPlanner.unquote(d.getName().getName()).toLowerCase(Locale.ROOT);
                    if (!unregister(name) && !d.isIfExists()) {
                        throw new SqlException("cannot drop " + name + ": no such table or view");
                    }
                    yield null;
                }
                case ExplainStatement e -> {
                    LazyFrame f = new SqlPlanner(sw, snapshot()).query(e.getStatement()).frame();
                    String text;
                    if (e.getOption(ExplainStatement.OptionType.ANALYZE) != null) {
                        // EXPLAIN ANALYZE runs the query now and shows its profile.
                        try (ProfiledResult run = f.profile()) {
                            text = run.profile().toTable();
                        }
                    } else {
                        text = f.explain();
                    }
                    List<String> lines = new ArrayList<>(List.of(text.split("\n")));
                    Map<String, Object> cols = new LinkedHashMap<>();
                    cols.put("explain", lines);
                    yield sw.fromColumns(cols);
                }
                default -> throw new SqlException("unsupported statement " + st.getClass().getSimpleName()
                        + "; the statements are SELECT, WITH, EXPLAIN, CREATE VIEW and DROP VIEW");
            };
        } catch (SqlException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // Planning errors of the engine (PlanException, ExprTypeException): unknown columns,
            // type mismatches with both types; the message is the user's, the cause kept for debugging.
            throw new SqlException(e.getMessage(), e);
        }
    }

    /** Parses a script; a syntax error becomes a {@link SqlException} with its position and token. */
    static List<Statement> parse(String text) {
        if (text == null || text.isBlank()) {
            throw new SqlException("empty statement");
        }
        try {
            Statements sts = CCJSqlParserUtil.parseStatements(text);
            if (sts == null || sts.isEmpty()) {
                throw new SqlException("empty statement");
            }
            return new ArrayList<>(sts);
        } catch (JSQLParserException e) {
            throw syntaxError(text, e);
        }
    }

    private static SqlException syntaxError(String text, JSQLParserException e) {
        String message = String.valueOf(e.getMessage());
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null && POSITION.matcher(t.getMessage()).find()) {
                message = t.getMessage();
            }
        }
        Matcher pos = POSITION.matcher(message);
        Matcher tok = TOKEN.matcher(message);
        String token = tok.find() ? tok.group(1) : null;
        if (!pos.find()) {
            return new SqlException("syntax error: " + firstLine(message), e);
        }
        int line = Integer.parseInt(pos.group(1));
        int column = Integer.parseInt(pos.group(2));
        String[] lines = text.split("\n", -1);
        String context = line >= 1 && line <= lines.length ? lines[line - 1].stripTrailing() : "";
        StringBuilder sb = new StringBuilder("syntax error at line ").append(line).append(", column ").append(column);
        if (token != null) {
            sb.append(": unexpected '").append(token).append("'");
        }
        if (!context.isEmpty()) {
            sb.append("\n  ").append(context).append("\n  ").append(" ".repeat(Math.max(0, column - 1))).append('^');
        }
        return new SqlException(sb.toString(), line, column, null);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        String first = nl < 0 ? s : s.substring(0, nl);
        return first.replaceFirst("^net\\.sf\\.jsqlparser\\.[\\w.]+:\\s*", "");
    }
}
