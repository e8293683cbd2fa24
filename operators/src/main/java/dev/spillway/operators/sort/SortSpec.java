package dev.spillway.operators.sort;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What to sort on: key columns of the input schema, each ascending or descending with its own
 * null placement, and whether ties keep their input order.
 *
 * <p>With {@code stable}, every row carries its input position ({@code sequence << 32 | row}) in a
 * hidden trailing int64 column ({@link #internalSchema}); the position is the last sort key, so
 * rows with equal keys leave in input (scan) order whichever worker sorted them and however runs
 * were merged. Top-k always uses the position, so it equals a stable sort's first rows.
 */
public final class SortSpec {
    /** Name of the hidden position column. */
    public static final String POSITION = "__spillway_position";

    private final Schema input;
    private final int[] columns;
    private final boolean[] descending;
    private final boolean[] nullsFirst;
    private final boolean stable;
    private final Schema internal;

    /**
     * A spec over {@code input}.
     *
     * @param columns    key column indexes, most significant first
     * @param descending per key: descending order
     * @param nullsFirst per key: nulls before every value
     * @param stable     whether ties keep input order
     */
    public SortSpec(Schema input, int[] columns, boolean[] descending, boolean[] nullsFirst, boolean stable) {
        if (columns.length == 0 || columns.length != descending.length || columns.length != nullsFirst.length) {
            throw new IllegalArgumentException("a sort needs at least one key and one direction and null placement per key");
        }
        for (int c : columns) {
            if (c < 0 || c >= input.size()) {
                throw new IllegalArgumentException("sort key column " + c + " is outside the schema " + input.names());
            }
        }
        this.input = input;
        this.columns = columns.clone();
        this.descending = descending.clone();
        this.nullsFirst = nullsFirst.clone();
        this.stable = stable;
        if (stable) {
            List<Field> f = new ArrayList<>(input.fields());
            f.add(Field.of(POSITION, DataType.INT64));
            this.internal = new Schema(f);
        } else {
            this.internal = input;
        }
    }

    /** The same keys with {@code stable} set. */
    public SortSpec withStable(boolean on) {
        return new SortSpec(input, columns, descending, nullsFirst, on);
    }

    /** The schema of the rows to sort (and of the output). */
    public Schema inputSchema() {
        return input;
    }

    /** The schema of runs: the input plus, when stable, the hidden position column. */
    public Schema internalSchema() {
        return internal;
    }

    /** Number of keys. */
    public int keyCount() {
        return columns.length;
    }

    /** Input column of key {@code k}. */
    public int column(int k) {
        return columns[k];
    }

    /** Whether key {@code k} sorts descending. */
    public boolean descending(int k) {
        return descending[k];
    }

    /** Whether key {@code k} puts nulls first. */
    public boolean nullsFirst(int k) {
        return nullsFirst[k];
    }

    /** Whether ties keep input order. */
    public boolean stable() {
        return stable;
    }

    /** E.g. {@code [price desc nulls first, id asc nulls last] stable}. */
    public String describe() {
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < columns.length; k++) {
            keys.add(input.field(columns[k]).name() + (descending[k] ? " desc" : " asc")
                    + (nullsFirst[k] ? " nulls first" : " nulls last"));
        }
        return keys + (stable ? " stable" : "");
    }

    @Override
    public String toString() {
        return "SortSpec" + describe() + Arrays.toString(columns);
    }
}
