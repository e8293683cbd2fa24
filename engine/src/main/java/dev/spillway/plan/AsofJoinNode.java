package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.SortKey;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.options.AsofStrategy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An AsOf join: each left row with the one right row of its {@code by} group whose {@code on}
 * value the strategy picks (within {@code tolerance} if given), or nulls. Result columns: every
 * left column, then the right columns other than {@code rightOn} and {@code rightBy} (a name
 * already taken gets {@code _right}); rows keep the left order. Both inputs must be known sorted
 * ascending on their {@code on} column.
 *
 * @param left      the left input
 * @param right     the right input
 * @param leftOn    the left {@code on} column: int64, int32, date32 or float64
 * @param rightOn   the right {@code on} column, of the same type
 * @param leftBy    left equality columns (may be empty)
 * @param rightBy   right equality columns, pairwise of the left ones' types
 * @param strategy  backward, forward or nearest
 * @param tolerance the largest distance, or null for none: an integer (days for date32) or, for
 *                  float64, any number
 */
public record AsofJoinNode(LogicalPlan left, LogicalPlan right, String leftOn, String rightOn, List<String> leftBy,
        List<String> rightBy, AsofStrategy strategy, Number tolerance) implements LogicalPlan {
    /** Validates columns, types, tolerance and the inputs' order. */
    public AsofJoinNode {
        leftBy = List.copyOf(leftBy);
        rightBy = List.copyOf(rightBy);
        java.util.Objects.requireNonNull(strategy, "strategy");
        Field lon = column(left.schema(), leftOn, "left", "on");
        Field ron = column(right.schema(), rightOn, "right", "on");
        DataType t = lon.type();
        // Zoned timestamps compare as instants whatever their zones; naive ones only with naive ones.
        boolean sameKind = t == DataType.TIMESTAMP && ron.type() == t && (lon.timeZone() == null) == (ron.timeZone() == null);
        if (!lon.sameType(ron) && !sameKind) {
            throw new PlanException("asof join 'on' types differ: left '" + leftOn + "' is " + lon.typeName() + ", right '"
                    + rightOn + "' is " + ron.typeName() + "; cast one side to match");
        }
        if (t != DataType.INT64 && t != DataType.INT32 && t != DataType.DATE32 && t != DataType.FLOAT64 && t != DataType.TIMESTAMP) {
            throw new PlanException("asof join 'on' column '" + leftOn + "' is " + lon.typeName()
                    + "; it must be int64, int32, date32, float64 or timestamp");
        }
        if (leftBy.size() != rightBy.size()) {
            throw new PlanException("an asof join needs as many left 'by' columns as right ones; got " + leftBy + " and "
                    + rightBy);
        }
        for (int k = 0; k < leftBy.size(); k++) {
            DataType l = column(left.schema(), leftBy.get(k), "left", "by").type();
            DataType r = column(right.schema(), rightBy.get(k), "right", "by").type();
            if (l != r) {
                throw new PlanException("asof join 'by' types differ: left '" + leftBy.get(k) + "' is " + l.displayName()
                        + ", right '" + rightBy.get(k) + "' is " + r.displayName() + "; cast one side to match");
            }
        }
        if (tolerance != null) {
            boolean integral = tolerance instanceof Long || tolerance instanceof Integer || tolerance instanceof Short;
            if (tolerance.doubleValue() < 0 || Double.isNaN(tolerance.doubleValue())) {
                throw new PlanException("asof join tolerance must be >= 0, got " + tolerance);
            }
            if (t != DataType.FLOAT64 && !integral) {
                throw new PlanException("asof join tolerance for the " + t.displayName() + " column '" + leftOn
                        + "' must be an integer (Long or Integer" + (t == DataType.DATE32 ? ", in days"
                        : t == DataType.TIMESTAMP ? ", in microseconds" : "") + "), got "
                        + tolerance.getClass().getSimpleName() + " " + tolerance);
            }
        }
        requireSorted("left", left, leftOn);
        requireSorted("right", right, rightOn);
    }

    private static void requireSorted(String side, LogicalPlan input, String on) {
        List<SortKey> keys = Sortedness.of(input);
        if (keys.isEmpty() || !keys.get(0).column().equals(on) || keys.get(0).descending()) {
            throw new PlanException("an asof join needs its " + side + " input sorted ascending on '" + on
                    + "', but it is known sorted by " + (keys.isEmpty() ? "nothing" : keys.toString())
                    + "; sort it with sort(\"" + on + "\") or declare its order with setSorted(\"" + on + "\")");
        }
    }

    private static Field column(Schema s, String name, String side, String role) {
        int i = s.indexOf(name);
        if (i < 0) {
            throw new PlanException("asof join '" + role + "' column '" + name + "' not found on the " + side
                    + " side; available: " + String.join(", ", s.names()));
        }
        return s.field(i);
    }

    /** Positions of the right columns in the output, in order. */
    public int[] rightColumnIndexes() {
        Set<String> skip = new HashSet<>(rightBy);
        skip.add(rightOn);
        List<Integer> out = new ArrayList<>();
        Schema r = right.schema();
        for (int c = 0; c < r.size(); c++) {
            if (!skip.contains(r.field(c).name())) {
                out.add(c);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Positions of the left {@code by} columns. */
    public int[] leftByIndexes() {
        return leftBy.stream().mapToInt(left.schema()::require).toArray();
    }

    /** Positions of the right {@code by} columns. */
    public int[] rightByIndexes() {
        return rightBy.stream().mapToInt(right.schema()::require).toArray();
    }

    @Override
    public Schema schema() {
        List<Field> fields = new ArrayList<>(left.schema().fields());
        Set<String> names = new HashSet<>(left.schema().names());
        for (int c : rightColumnIndexes()) {
            Field f = right.schema().field(c);
            String name = names.contains(f.name()) ? f.name() + "_right" : f.name();
            names.add(name);
            fields.add(f.nullableAs(name));
        }
        return new Schema(fields);
    }

    /** The right input column behind output column {@code i} (at least the left width). */
    public String rightSourceName(int i) {
        return right.schema().field(rightColumnIndexes()[i - left.schema().size()]).name();
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of(left, right);
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return new AsofJoinNode(inputs.get(0), inputs.get(1), leftOn, rightOn, leftBy, rightBy, strategy, tolerance);
    }

    /** The parameters as explain shows them. */
    public String describe() {
        return "left_on=" + leftOn + " right_on=" + rightOn + (leftBy.isEmpty() ? "" : " by_left=" + leftBy + " by_right="
                + rightBy) + " strategy=" + strategy.name().toLowerCase(java.util.Locale.ROOT)
                + (tolerance == null ? "" : " tolerance=" + tolerance);
    }

    @Override
    public String label() {
        return "ASOF_JOIN " + describe();
    }
}
