package dev.spillway.operators.join;

import dev.spillway.types.Schema;

import java.util.Arrays;

/**
 * Where the columns of a row made from a pair (probe row, build row) come from: column {@code c}
 * of {@link #schema()} is column {@code column[c]} of the build row when {@code fromBuild[c]},
 * else of the probe row. A nested-loop join uses one layout for the columns its predicate reads
 * and one for its result.
 *
 * @param schema    the columns of the combined row
 * @param fromBuild per column, whether it comes from the build side
 * @param column    per column, its position in that side's schema
 */
public record PairLayout(Schema schema, boolean[] fromBuild, int[] column) {
    /** Checks that the arrays describe every column of the schema. */
    public PairLayout {
        if (fromBuild.length != schema.size() || column.length != schema.size()) {
            throw new IllegalArgumentException("a pair layout needs one source per column of " + schema.names() + "; got "
                    + fromBuild.length + " and " + column.length);
        }
        fromBuild = fromBuild.clone();
        column = column.clone();
    }

    /** Number of columns. */
    public int size() {
        return column.length;
    }

    /** Whether column {@code c} comes from the build side. */
    public boolean fromBuild(int c) {
        return fromBuild[c];
    }

    /** The position of column {@code c} in its side's schema. */
    public int column(int c) {
        return column[c];
    }

    /** Whether some column comes from the build side. */
    public boolean readsBuild() {
        for (boolean b : fromBuild) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PairLayout p && schema.equals(p.schema) && Arrays.equals(fromBuild, p.fromBuild)
                && Arrays.equals(column, p.column);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * schema.hashCode() + Arrays.hashCode(fromBuild)) + Arrays.hashCode(column);
    }

    @Override
    public String toString() {
        return "PairLayout" + schema.names();
    }
}
