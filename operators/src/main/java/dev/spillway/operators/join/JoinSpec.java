package dev.spillway.operators.join;

import dev.spillway.options.JoinType;

import dev.spillway.memory.BlockPool;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.operators.OperatorContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a hash join computes, fixed before it runs: both schemas, the keys, the join type, the
 * result schema and how result rows are assembled from probe and build rows. Immutable and shared
 * by every phase of the join.
 *
 * <p>The result holds every probe column, then the build columns that are not keys (none for
 * SEMI and ANTI); a build column named like an earlier one gets the suffix {@code _right}.
 */
final class JoinSpec {
    /** Default most result rows per morsel. */
    static final int OUTPUT_ROWS = 16_384;

    private final Schema probeSchema;
    private final Schema buildSchema;
    private final JoinKeys keys;
    private final JoinType type;
    private final Schema output;
    private final int[] buildColumns;
    private final int[] keyFromBuild;
    private final BlockPool pool;
    private final MemoryBudget outputBudget;
    private final int outputRows;

    /**
     * @throws IllegalArgumentException when the key lists are empty or differ in length, or a
     *                                  key pair differs in type
     */
    JoinSpec(Schema probeSchema, Schema buildSchema, int[] probeKeys, int[] buildKeys, JoinType type, boolean nullsEqual,
            OperatorContext ctx) {
        if (probeKeys.length == 0 || probeKeys.length != buildKeys.length) {
            throw new IllegalArgumentException("a join needs as many left keys as right keys, at least one");
        }
        for (int k = 0; k < probeKeys.length; k++) {
            Field l = probeSchema.field(probeKeys[k]);
            Field r = buildSchema.field(buildKeys[k]);
            if (!l.sameType(r)) {
                throw new IllegalArgumentException("join key types differ: left '" + l.name() + "' is " + l.typeName()
                        + ", right '" + r.name() + "' is " + r.typeName() + "; cast one side");
            }
        }
        this.probeSchema = probeSchema;
        this.buildSchema = buildSchema;
        this.keys = new JoinKeys(probeKeys.clone(), buildKeys.clone(), nullsEqual);
        this.type = type;
        this.pool = ctx.pool();
        this.outputBudget = ctx.outputBudget();
        this.outputRows = Math.max(1, Math.min(OUTPUT_ROWS, ctx.outputRows()));
        Set<Integer> buildKeySet = new HashSet<>();
        for (int k : buildKeys) {
            buildKeySet.add(k);
        }
        List<Field> fields = new ArrayList<>(probeSchema.fields());
        Set<String> names = new HashSet<>(probeSchema.names());
        List<Integer> bc = new ArrayList<>();
        if (!type.leftColumnsOnly()) {
            for (int c = 0; c < buildSchema.size(); c++) {
                if (buildKeySet.contains(c)) {
                    continue;
                }
                Field f = buildSchema.field(c);
                String name = names.contains(f.name()) ? f.name() + "_right" : f.name();
                names.add(name);
                fields.add(f.nullableAs(name));
                bc.add(c);
            }
        }
        this.output = new Schema(fields);
        this.buildColumns = bc.stream().mapToInt(Integer::intValue).toArray();
        this.keyFromBuild = new int[probeSchema.size()];
        Arrays.fill(keyFromBuild, -1);
        for (int k = 0; k < probeKeys.length; k++) {
            keyFromBuild[probeKeys[k]] = buildKeys[k];
        }
    }

    Schema probeSchema() {
        return probeSchema;
    }

    Schema buildSchema() {
        return buildSchema;
    }

    JoinKeys keys() {
        return keys;
    }

    JoinType type() {
        return type;
    }

    /** The schema of the result. */
    Schema output() {
        return output;
    }

    /** Most result rows per morsel. */
    int outputRows() {
        return outputRows;
    }

    /** Whether a probe row with this match outcome appears on its own in the result. */
    boolean emitsLeftRow(boolean matched) {
        return (type == JoinType.SEMI && matched) || (!matched && (type == JoinType.ANTI || type.keepsUnmatchedLeft()));
    }

    /** Whether a probe row of a partition without build rows can appear in the result. */
    boolean keepsProbeOnlyRows() {
        return type.keepsUnmatchedLeft() || type == JoinType.ANTI;
    }

    /** A result morsel in the making: {@link #outputRows()} rows, plus one spare for a probe-only row after a full chain. */
    JoinOutput newOutput() {
        return newOutput(outputRows);
    }

    /** A result morsel in the making of {@code rows} rows, charged to the output budget. */
    JoinOutput newOutput(int rows) {
        return new JoinOutput(output, probeSchema.size(), buildColumns, keyFromBuild, pool, outputBudget, Math.max(1, rows));
    }
}
