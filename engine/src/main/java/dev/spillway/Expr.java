package dev.spillway;

import dev.spillway.memory.DataType;
import dev.spillway.operators.eval.BinaryOp;
import dev.spillway.operators.eval.StringOp;
import dev.spillway.operators.eval.UnaryOp;
import dev.spillway.operators.groupby.function.AggregateFunction;
import dev.spillway.operators.groupby.function.Count;
import dev.spillway.operators.groupby.function.Extreme;
import dev.spillway.operators.groupby.function.Len;
import dev.spillway.operators.groupby.function.Mean;
import dev.spillway.operators.groupby.function.NUnique;
import dev.spillway.operators.groupby.function.Positional;
import dev.spillway.operators.groupby.function.Sum;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A column expression of the lazy API, e.g. {@code col("amount").times(lit(1.2)).alias("gross")}.
 *
 * <p>Expressions are immutable trees; they are type-checked against an input schema when a query
 * is planned (unknown columns and type mismatches fail there, naming the expression) and then
 * compiled to vectorised physical expressions. Nulls follow SQL: any null input gives null,
 * except {@link #and}/{@link #or} (three-valued logic), {@link #isNull}/{@link #isNotNull} and
 * {@link #when}.
 *
 * <p>Use with {@code import static dev.spillway.Expr.col;} (and {@code lit}, {@code when}).
 */
public sealed interface Expr permits Expr.Column, Expr.Literal, Expr.Binary, Expr.Unary, Expr.Cast, Expr.Alias,
        Expr.When, Expr.StringMatch, Expr.Agg {

    // ------------------------------------------------------------------ factories

    /** A reference to the input column {@code name}. */
    static Expr col(String name) {
        return new Column(name);
    }

    /**
     * A constant: Integer (int32), Long (int64), Double (float64), Boolean, String (utf8),
     * LocalDate (date32), or null (typed by its context).
     *
     * @throws IllegalArgumentException for other Java types, naming the accepted ones
     */
    static Expr lit(Object value) {
        return Literal.of(value);
    }

    /** Starts {@code when(condition).then(value)[.when(c).then(v)...].otherwise(value)}. */
    static WhenThen when(Expr condition) {
        return new WhenThen(List.of(), List.of(), Objects.requireNonNull(condition, "condition"));
    }

    /** The number of rows (of the group, or of the input in a global aggregation), as int64. */
    static Expr len() {
        return new Agg(Len.INSTANCE, null);
    }

    // ------------------------------------------------------------------ arithmetic and comparison

    /** {@code this + other}. */
    default Expr plus(Expr other) {
        return new Binary(BinaryOp.PLUS, this, other);
    }

    /** {@code this - other}. */
    default Expr minus(Expr other) {
        return new Binary(BinaryOp.MINUS, this, other);
    }

    /** {@code this * other}. */
    default Expr times(Expr other) {
        return new Binary(BinaryOp.TIMES, this, other);
    }

    /** {@code this / other}, always float64 (division by zero gives ±infinity or NaN). */
    default Expr div(Expr other) {
        return new Binary(BinaryOp.DIV, this, other);
    }

    /** {@code this % other}; integer modulo by zero gives null. */
    default Expr mod(Expr other) {
        return new Binary(BinaryOp.MOD, this, other);
    }

    /** {@code this == other}. */
    default Expr eq(Expr other) {
        return new Binary(BinaryOp.EQ, this, other);
    }

    /** {@code this != other}. */
    default Expr ne(Expr other) {
        return new Binary(BinaryOp.NE, this, other);
    }

    /** {@code this < other}. */
    default Expr lt(Expr other) {
        return new Binary(BinaryOp.LT, this, other);
    }

    /** {@code this <= other}. */
    default Expr le(Expr other) {
        return new Binary(BinaryOp.LE, this, other);
    }

    /** {@code this > other}. */
    default Expr gt(Expr other) {
        return new Binary(BinaryOp.GT, this, other);
    }

    /** {@code this >= other}. */
    default Expr ge(Expr other) {
        return new Binary(BinaryOp.GE, this, other);
    }

    /** Logical AND with SQL three-valued logic. */
    default Expr and(Expr other) {
        return new Binary(BinaryOp.AND, this, other);
    }

    /** Logical OR with SQL three-valued logic. */
    default Expr or(Expr other) {
        return new Binary(BinaryOp.OR, this, other);
    }

    /** Logical NOT (null stays null). */
    default Expr not() {
        return new Unary(UnaryOp.NOT, this);
    }

    /** Arithmetic negation. */
    default Expr negate() {
        return new Unary(UnaryOp.NEGATE, this);
    }

    /** Whether the value is null (never null itself). */
    default Expr isNull() {
        return new Unary(UnaryOp.IS_NULL, this);
    }

    /** Whether the value is not null (never null itself). */
    default Expr isNotNull() {
        return new Unary(UnaryOp.IS_NOT_NULL, this);
    }

    /** Converts to {@code type}; a value that cannot be converted fails the query naming it. */
    default Expr cast(DataType type) {
        return new Cast(this, type);
    }

    /** Names the result column. */
    default Expr alias(String name) {
        return new Alias(this, name);
    }

    // ------------------------------------------------------------------ strings and dates

    /** Whether the string starts with {@code prefix}. */
    default Expr startsWith(String prefix) {
        return new StringMatch(StringOp.STARTS_WITH, this, prefix);
    }

    /** Whether the string ends with {@code suffix}. */
    default Expr endsWith(String suffix) {
        return new StringMatch(StringOp.ENDS_WITH, this, suffix);
    }

    /** Whether the string contains {@code part} (literal text, not a pattern). */
    default Expr contains(String part) {
        return new StringMatch(StringOp.CONTAINS, this, part);
    }

    /** String length in characters (code points). */
    default Expr length() {
        return new Unary(UnaryOp.LENGTH, this);
    }

    /** Year of a date. */
    default Expr year() {
        return new Unary(UnaryOp.YEAR, this);
    }

    /** Month (1-12) of a date. */
    default Expr month() {
        return new Unary(UnaryOp.MONTH, this);
    }

    /** Day of month (1-31) of a date. */
    default Expr day() {
        return new Unary(UnaryOp.DAY, this);
    }

    // ------------------------------------------------------------------ aggregates

    /**
     * Sum of the non-null values (int32/int64 give int64, float64 gives float64); null when there
     * is none. For {@code groupBy(...).agg(...)} and global {@code select}s.
     */
    default Expr sum() {
        return new Agg(Sum.INSTANCE, this);
    }

    /** Number of non-null values (int64). */
    default Expr count() {
        return new Agg(Count.INSTANCE, this);
    }

    /** Smallest non-null value (float64 in {@link Double#compare} order: NaN is largest); null when none. */
    default Expr min() {
        return new Agg(Extreme.MIN, this);
    }

    /** Largest non-null value (float64 in {@link Double#compare} order: NaN is largest); null when none. */
    default Expr max() {
        return new Agg(Extreme.MAX, this);
    }

    /** Mean of the non-null values (float64); null when none. */
    default Expr mean() {
        return new Agg(Mean.INSTANCE, this);
    }

    /** Value of the first row in input order (null if that row's value is null). */
    default Expr first() {
        return new Agg(Positional.FIRST, this);
    }

    /** Value of the last row in input order (null if that row's value is null). */
    default Expr last() {
        return new Agg(Positional.LAST, this);
    }

    /** Exact number of distinct non-null values (int64). */
    default Expr nUnique() {
        return new Agg(NUnique.INSTANCE, this);
    }

    /** Whether this is an aggregate, possibly renamed with {@link #alias}. */
    default boolean isAggregate() {
        return this instanceof Agg || (this instanceof Alias a && a.input().isAggregate());
    }

    // ------------------------------------------------------------------ structure

    /** Direct sub-expressions. */
    List<Expr> children();

    /** A copy with the given children (same count and order as {@link #children()}). */
    Expr withChildren(List<Expr> children);

    /**
     * Name of the column this expression produces: its alias, else the name of its leftmost column
     * reference (as in Polars: {@code col("a").times(lit(2))} is called {@code a}), else
     * {@code "literal"}.
     */
    default String outputName() {
        if (this instanceof Alias a) {
            return a.name();
        }
        if (this instanceof Column c) {
            return c.name();
        }
        if (this instanceof Agg g && g.input() == null) {
            return "len";
        }
        for (Expr child : children()) {
            String n = child.outputName();
            if (!n.equals("literal")) {
                return n;
            }
        }
        return "literal";
    }

    /** Names of all columns referenced, in first-use order. */
    default Set<String> columns() {
        Set<String> out = new LinkedHashSet<>();
        collectColumns(this, out);
        return out;
    }

    private static void collectColumns(Expr e, Set<String> out) {
        if (e instanceof Column c) {
            out.add(c.name());
        }
        for (Expr child : e.children()) {
            collectColumns(child, out);
        }
    }

    // ------------------------------------------------------------------ nodes

    /** Reference to an input column. */
    record Column(String name) implements Expr {
        /** Validates the name. */
        public Column {
            Objects.requireNonNull(name, "column name");
        }

        @Override
        public List<Expr> children() {
            return List.of();
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return this;
        }

        @Override
        public String toString() {
            return "col(\"" + name + "\")";
        }
    }

    /**
     * A constant; {@code type} is null only for an untyped null literal.
     *
     * @param value the value (Integer, Long, Double, Boolean, String, LocalDate) or null
     * @param type  its type, or null for an untyped null
     */
    record Literal(Object value, DataType type) implements Expr {
        static Literal of(Object value) {
            DataType t = switch (value) {
                case null -> null;
                case Integer i -> DataType.INT32;
                case Long l -> DataType.INT64;
                case Double d -> DataType.FLOAT64;
                case Float f -> DataType.FLOAT64;
                case Boolean b -> DataType.BOOLEAN;
                case String s -> DataType.UTF8;
                case LocalDate d -> DataType.DATE32;
                default -> throw new IllegalArgumentException("cannot make a literal of " + value.getClass().getName()
                        + " (" + value + "); use Integer, Long, Double, Boolean, String or LocalDate");
            };
            Object v = value instanceof Float f ? (Object) f.doubleValue() : value;
            return new Literal(v, t);
        }

        @Override
        public List<Expr> children() {
            return List.of();
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return this;
        }

        @Override
        public String toString() {
            return switch (value) {
                case null -> "null";
                case String s -> "\"" + s.replace("\"", "\\\"") + "\"";
                case LocalDate d -> "date(" + d + ")";
                default -> value.toString();
            };
        }
    }

    /** A binary operation. */
    record Binary(BinaryOp op, Expr left, Expr right) implements Expr {
        /** Validates the operands. */
        public Binary {
            Objects.requireNonNull(left, "left operand");
            Objects.requireNonNull(right, () -> "right operand of " + op);
        }

        @Override
        public List<Expr> children() {
            return List.of(left, right);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Binary(op, children.get(0), children.get(1));
        }

        @Override
        public String toString() {
            return "(" + left + " " + op.symbol() + " " + right + ")";
        }
    }

    /** A unary operation. */
    record Unary(UnaryOp op, Expr input) implements Expr {
        /** Validates the operand. */
        public Unary {
            Objects.requireNonNull(input, "operand");
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Unary(op, children.get(0));
        }

        @Override
        public String toString() {
            return switch (op) {
                case NOT -> "~" + input;
                case NEGATE -> "-" + input;
                default -> input + "." + op.name().toLowerCase(java.util.Locale.ROOT) + "()";
            };
        }
    }

    /** A type conversion. */
    record Cast(Expr input, DataType to) implements Expr {
        /** Validates the components. */
        public Cast {
            Objects.requireNonNull(input, "operand");
            Objects.requireNonNull(to, "target type");
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Cast(children.get(0), to);
        }

        @Override
        public String toString() {
            return input + ".cast(" + to.displayName() + ")";
        }
    }

    /** Renames the result. */
    record Alias(Expr input, String name) implements Expr {
        /** Validates the components. */
        public Alias {
            Objects.requireNonNull(input, "operand");
            Objects.requireNonNull(name, "alias");
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Alias(children.get(0), name);
        }

        @Override
        public String toString() {
            return input + ".alias(\"" + name + "\")";
        }
    }

    /** {@code when(c1).then(v1)...otherwise(o)}: the value of the first true condition. */
    record When(List<Expr> conditions, List<Expr> values, Expr otherwise) implements Expr {
        /** Validates the branches. */
        public When {
            conditions = List.copyOf(conditions);
            values = List.copyOf(values);
            if (conditions.isEmpty() || conditions.size() != values.size()) {
                throw new IllegalArgumentException("when() needs as many then() values as conditions, at least one");
            }
            Objects.requireNonNull(otherwise, "otherwise");
        }

        @Override
        public List<Expr> children() {
            List<Expr> all = new ArrayList<>(conditions);
            all.addAll(values);
            all.add(otherwise);
            return all;
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            int n = conditions.size();
            return new When(children.subList(0, n), children.subList(n, 2 * n), children.get(2 * n));
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < conditions.size(); i++) {
                sb.append(i == 0 ? "when(" : ".when(").append(conditions.get(i)).append(").then(").append(values.get(i))
                        .append(')');
            }
            return sb.append(".otherwise(").append(otherwise).append(')').toString();
        }
    }

    /** A string test against a constant pattern. */
    record StringMatch(StringOp op, Expr input, String pattern) implements Expr {
        /** Validates the components. */
        public StringMatch {
            Objects.requireNonNull(input, "operand");
            Objects.requireNonNull(pattern, "pattern");
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new StringMatch(op, children.get(0), pattern);
        }

        @Override
        public String toString() {
            String fn = switch (op) {
                case STARTS_WITH -> "starts_with";
                case ENDS_WITH -> "ends_with";
                case CONTAINS -> "contains";
            };
            return input + ".str." + fn + "(\"" + pattern + "\")";
        }
    }

    /**
     * An aggregate over the rows of a group.
     *
     * @param function the function
     * @param input    the aggregated expression; null for a function without input ({@link #len()})
     */
    record Agg(AggregateFunction function, Expr input) implements Expr {
        /** Validates the components. */
        public Agg {
            Objects.requireNonNull(function, "aggregate");
            if (function.hasInput()) {
                Objects.requireNonNull(input, () -> function.name() + "() needs an input");
            } else if (input != null) {
                throw new IllegalArgumentException(function.name() + "() takes no input");
            }
        }

        @Override
        public List<Expr> children() {
            return input == null ? List.of() : List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return children.isEmpty() ? this : new Agg(function, children.get(0));
        }

        @Override
        public String toString() {
            return input == null ? function.name() + "()" : input + "." + function.name() + "()";
        }
    }

    /** The builder state of a {@code when} chain waiting for its {@code then}. */
    final class WhenThen {
        private final List<Expr> conditions;
        private final List<Expr> values;
        private final Expr pending;

        WhenThen(List<Expr> conditions, List<Expr> values, Expr pending) {
            this.conditions = conditions;
            this.values = values;
            this.pending = pending;
        }

        /** The value when the pending condition is true. */
        public WhenChain then(Expr value) {
            List<Expr> c = new ArrayList<>(conditions);
            c.add(pending);
            List<Expr> v = new ArrayList<>(values);
            v.add(Objects.requireNonNull(value, "then value"));
            return new WhenChain(c, v);
        }
    }

    /** A {@code when...then} chain that needs more branches or its {@code otherwise}. */
    final class WhenChain {
        private final List<Expr> conditions;
        private final List<Expr> values;

        WhenChain(List<Expr> conditions, List<Expr> values) {
            this.conditions = conditions;
            this.values = values;
        }

        /** Another branch. */
        public WhenThen when(Expr condition) {
            return new WhenThen(conditions, values, Objects.requireNonNull(condition, "condition"));
        }

        /** The value when no condition is true. */
        public Expr otherwise(Expr value) {
            return new When(conditions, values, value);
        }
    }
}
