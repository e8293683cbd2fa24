package dev.spillway;

import java.util.Objects;

/**
 * One key of a sort: a column, a direction and where its nulls go.
 *
 * <p>By default nulls count as larger than every value: they come <b>last</b> in an ascending
 * sort and <b>first</b> in a descending one (PostgreSQL's rule); {@link #nullsFirst()} and
 * {@link #nullsLast()} override it. Floating-point values follow {@link Double#compare}:
 * {@code -inf < ... < -0.0 < 0.0 < ... < +inf < NaN} (every NaN alike), reversed when
 * descending. Strings compare by their UTF-8 bytes (code-point order); dates and booleans
 * ({@code false < true}) by value.
 */
public final class SortKey {
    private final String column;
    private final boolean descending;
    private final boolean nullsFirst;

    private SortKey(String column, boolean descending, boolean nullsFirst) {
        this.column = Objects.requireNonNull(column, "sort key column");
        this.descending = descending;
        this.nullsFirst = nullsFirst;
    }

    /** The column name. */
    public String column() {
        return column;
    }

    /** Whether larger values come first. */
    public boolean descending() {
        return descending;
    }

    /** Whether nulls come before every value. */
    public boolean nullsAreFirst() {
        return nullsFirst;
    }

    /** Ascending on {@code column}, nulls last. */
    public static SortKey asc(String column) {
        return new SortKey(column, false, false);
    }

    /** Descending on {@code column}, nulls first. */
    public static SortKey desc(String column) {
        return new SortKey(column, true, true);
    }

    /** The same key with nulls before every value. */
    public SortKey nullsFirst() {
        return new SortKey(column, descending, true);
    }

    /** The same key with nulls after every value. */
    public SortKey nullsLast() {
        return new SortKey(column, descending, false);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SortKey k && k.column.equals(column) && k.descending == descending && k.nullsFirst == nullsFirst;
    }

    @Override
    public int hashCode() {
        return Objects.hash(column, descending, nullsFirst);
    }

    @Override
    public String toString() {
        return column + (descending ? " desc" : " asc") + (nullsFirst ? " nulls first" : " nulls last");
    }
}
