package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.options.BuildSide;
import dev.spillway.options.JoinType;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An equi-join: one input is hashed (the build side: the right one unless {@link #buildsLeft()}),
 * the other probes it. Result columns, whichever side builds:
 * every left column, then the right non-key columns (a name already taken gets {@code _right});
 * SEMI and ANTI keep the left columns only.
 *
 * @param left       the probe side
 * @param right      the build side
 * @param leftOn     left key columns
 * @param rightOn    right key columns, pairwise of the same type as the left ones
 * @param how        the join type
 * @param nullsEqual whether null keys match each other
 * @param buildSide  which input is hashed; {@link BuildSide#AUTO} picks the smaller by estimate
 * @param schema     the result's columns, derived from the others and kept
 */
public record JoinNode(LogicalPlan left, LogicalPlan right, List<String> leftOn, List<String> rightOn, JoinType how,
        boolean nullsEqual, BuildSide buildSide, Schema schema) implements LogicalPlan {
    /** A join whose build side the planner chooses. */
    public JoinNode(LogicalPlan left, LogicalPlan right, List<String> leftOn, List<String> rightOn, JoinType how,
            boolean nullsEqual) {
        this(left, right, leftOn, rightOn, how, nullsEqual, BuildSide.AUTO);
    }

    /** A join hashing {@code buildSide}. */
    public JoinNode(LogicalPlan left, LogicalPlan right, List<String> leftOn, List<String> rightOn, JoinType how,
            boolean nullsEqual, BuildSide buildSide) {
        this(left, right, leftOn, rightOn, how, nullsEqual, buildSide, null);
    }

    /** Validates the keys and the build side and derives the schema (a given one is ignored). */
    public JoinNode {
        java.util.Objects.requireNonNull(buildSide, "buildSide");
        if (buildSide == BuildSide.LEFT && !how.canSwapInputs()) {
            throw new PlanException(how + " joins build their right input; drop the LEFT build side or use an INNER join");
        }
        leftOn = List.copyOf(leftOn);
        rightOn = List.copyOf(rightOn);
        if (leftOn.isEmpty() || leftOn.size() != rightOn.size()) {
            throw new PlanException("a join needs as many left keys as right keys, at least one; got " + leftOn + " and "
                    + rightOn);
        }
        for (int k = 0; k < leftOn.size(); k++) {
            Field lf = column(left.schema(), leftOn.get(k), "left");
            Field rf = column(right.schema(), rightOn.get(k), "right");
            DataType l = lf.type();
            if (!lf.sameType(rf)) {
                throw new PlanException("join key types differ: left '" + leftOn.get(k) + "' is " + lf.typeName()
                        + ", right '" + rightOn.get(k) + "' is " + rf.typeName() + "; cast one side to match");
            }
            if (l == DataType.BOOLEAN) {
                throw new PlanException("join key '" + leftOn.get(k) + "' is boolean; join keys are int32, int64, date32,"
                        + " float64 or utf8");
            }
        }
        schema = resultSchema(left.schema(), right.schema(), rightOn, how);
    }

    private static Field column(Schema s, String name, String side) {
        int i = s.indexOf(name);
        if (i < 0) {
            throw new PlanException("join key '" + name + "' not found on the " + side + " side; available: "
                    + String.join(", ", s.names()));
        }
        return s.field(i);
    }

    /** Positions of the keys in the left schema. */
    public int[] leftKeyIndexes() {
        return leftOn.stream().mapToInt(left.schema()::require).toArray();
    }

    /** Positions of the keys in the right schema. */
    public int[] rightKeyIndexes() {
        return rightOn.stream().mapToInt(right.schema()::require).toArray();
    }

    private static Schema resultSchema(Schema left, Schema right, List<String> rightOn, JoinType how) {
        List<Field> fields = new ArrayList<>(left.fields());
        if (how.leftColumnsOnly()) {
            return new Schema(fields);
        }
        Set<String> names = new HashSet<>(left.names());
        Set<String> keys = new HashSet<>(rightOn);
        for (Field f : right) {
            if (keys.contains(f.name())) {
                continue;
            }
            String name = names.contains(f.name()) ? f.name() + "_right" : f.name();
            names.add(name);
            fields.add(f.nullableAs(name));
        }
        return new Schema(fields);
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of(left, right);
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return new JoinNode(inputs.get(0), inputs.get(1), leftOn, rightOn, how, nullsEqual, buildSide);
    }

    /** Whether the left input is the one hashed: as asked, or for AUTO the clearly smaller input by estimate. */
    public boolean buildsLeft() {
        return switch (buildSide) {
            case LEFT -> true;
            case RIGHT -> false;
            case AUTO -> {
                if (!how.canSwapInputs()) {
                    yield false;
                }
                long l = SizeEstimate.bytes(left);
                long r = SizeEstimate.bytes(right);
                // Keep the written order unless the left input is clearly (20%) smaller.
                yield l >= 0 && r >= 0 && l < r - r / 5;
            }
        };
    }

    @Override
    public String label() {
        return "JOIN " + how + " left_on=" + leftOn + " right_on=" + rightOn + (nullsEqual ? " nulls_equal" : "")
                + (buildSide == BuildSide.AUTO ? "" : " build=" + buildSide.name().toLowerCase(java.util.Locale.ROOT));
    }
}
