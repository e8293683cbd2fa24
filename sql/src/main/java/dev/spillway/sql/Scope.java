package dev.spillway.sql;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The columns a name can refer to at one level of a query (the FROM items of a SELECT, or the
 * output of an aggregation), with the enclosing query's scope as parent for correlated
 * subqueries. Names compare case-insensitively unless they were quoted, as in DuckDB.
 */
final class Scope {
    /**
     * One column visible to names.
     *
     * @param qualifier the table name or alias that qualifies it (lower case), or null
     * @param name      its SQL name as declared
     * @param internal  the frame column that holds it (unique within a statement)
     * @param hidden    whether {@code *} leaves it out (the right column of a USING pair)
     */
    record Column(String qualifier, String name, String internal, boolean hidden) {
        Column withInternal(String newInternal) {
            return new Column(qualifier, name, newInternal, hidden);
        }
    }

    final List<Column> columns;
    final Scope parent;

    Scope(List<Column> columns, Scope parent) {
        this.columns = columns;
        this.parent = parent;
    }

    /**
     * The column {@code qualifier.name} ({@code qualifier} null for a bare name) in this scope or
     * an enclosing one, or null when there is none.
     *
     * @throws SqlException when a bare name matches columns of two tables at the same level
     */
    Column resolve(String qualifier, String name, boolean quoted) {
        List<Column> found = new ArrayList<>();
        for (Column c : columns) {
            boolean nameMatches = quoted ? c.name().equals(name) : c.name().equalsIgnoreCase(name);
            if (nameMatches && (qualifier == null || qualifier.equals(c.qualifier()))) {
                found.add(c);
            }
        }
        if (found.size() > 1 && qualifier == null) {
            List<Column> visible = found.stream().filter(c -> !c.hidden()).toList();
            if (visible.size() == 1) {
                return visible.get(0);
            }
            throw new SqlException("column reference '" + name + "' is ambiguous: it could be "
                    + String.join(" or ", found.stream().map(c -> c.qualifier() + "." + c.name()).toList())
                    + "; qualify it with a table name or alias");
        }
        if (!found.isEmpty()) {
            return found.get(0);
        }
        return parent == null ? null : parent.resolve(qualifier, name, quoted);
    }

    /** Whether {@code internal} is a column of an enclosing scope rather than of this one. */
    boolean isOuter(String internal) {
        for (Column c : columns) {
            if (c.internal().equals(internal)) {
                return false;
            }
        }
        for (Scope s = parent; s != null; s = s.parent) {
            for (Column c : s.columns) {
                if (c.internal().equals(internal)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The SQL name of a frame column, for messages. */
    String displayName(String internal) {
        for (Scope s = this; s != null; s = s.parent) {
            for (Column c : s.columns) {
                if (c.internal().equals(internal)) {
                    return c.qualifier() == null ? c.name() : c.qualifier() + "." + c.name();
                }
            }
        }
        return internal;
    }

    /** Up to three names of this scope nearest to {@code name} by edit distance, for an unknown-column message. */
    List<String> nearest(String name) {
        String target = name.toLowerCase(Locale.ROOT);
        return columns.stream()
                .map(c -> c.qualifier() == null ? c.name() : c.qualifier() + "." + c.name())
                .distinct()
                .sorted(Comparator.comparingInt((String n) -> distance(target, bare(n).toLowerCase(Locale.ROOT)))
                        .thenComparing(Comparator.naturalOrder()))
                .limit(3)
                .toList();
    }

    private static String bare(String qualified) {
        int dot = qualified.lastIndexOf('.');
        return dot < 0 ? qualified : qualified.substring(dot + 1);
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
