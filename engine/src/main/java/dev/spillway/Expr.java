package dev.spillway;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.Timestamps;
import dev.spillway.expr.Aggregate;
import dev.spillway.expr.BinaryOp;
import dev.spillway.expr.StringOp;
import dev.spillway.expr.UnaryOp;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
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
        Expr.When, Expr.StringMatch, Expr.Like, Expr.Substring, Expr.IsIn, Expr.Between, Expr.Coalesce, Expr.Round,
        Expr.DateAdd, Expr.Agg {

    // ------------------------------------------------------------------ factories

    /** A reference to the input column {@code name}. */
    static Expr col(String name) {
        return new Column(name);
    }

    /**
     * A constant: Integer (int32), Long (int64), Double (float64), Boolean, String (utf8),
     * LocalDate (date32), BigDecimal (decimal), LocalDateTime (timestamp without a time zone),
     * Instant (timestamp in UTC), ZonedDateTime or OffsetDateTime (timestamp in its zone), or null
     * (typed by its context).
     *
     * @throws IllegalArgumentException for other Java types, naming the accepted ones
     */
    static Expr lit(Object value) {
        return Literal.of(value);
    }

    /**
     * A decimal constant from text, e.g. {@code decimal("19.99")}: its type is
     * {@code decimal(digits, decimals)} of the text ({@code decimal(4,2)} here), the same as
     * {@code lit(new BigDecimal("19.99"))}.
     *
     * @throws IllegalArgumentException when the text is not a number or has more than 38 digits
     */
    static Expr decimal(String text) {
        Objects.requireNonNull(text, "decimal");
        try {
            return Literal.of(new BigDecimal(text.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cannot parse decimal(\"" + text + "\") (expected digits with an optional sign "
                    + "and decimal point, e.g. 19.99)", e);
        }
    }

    /**
     * A date32 constant from ISO text, e.g. {@code date("1998-12-01")} (the same as
     * {@code lit(LocalDate.of(1998, 12, 1))}).
     *
     * @throws IllegalArgumentException when the text is not a valid {@code yyyy-MM-dd} date
     */
    static Expr date(String isoDate) {
        Objects.requireNonNull(isoDate, "date");
        try {
            return Literal.of(LocalDate.parse(isoDate));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("cannot parse date(\"" + isoDate + "\") (expected yyyy-MM-dd)", e);
        }
    }

    /**
     * A timestamp constant from text {@code yyyy-MM-dd[( |T)HH:mm[:ss[.ffffff]]]}, e.g.
     * {@code timestamp("2024-01-02 03:04:05.123456")}: without an offset a timestamp without a time
     * zone (a LocalDateTime), with one ({@code Z}, {@code +01:00}) an instant in UTC. Compared with a
     * column that has a time zone, text without an offset is wall-clock time in that zone.
     *
     * @throws IllegalArgumentException when the text is not such a timestamp, naming the accepted forms
     */
    static Expr timestamp(String text) {
        Objects.requireNonNull(text, "timestamp");
        try {
            return Literal.of(Timestamps.toLocal(Timestamps.parse(text, null)));
        } catch (IllegalArgumentException naive) {
            try {
                return Literal.of(Timestamps.toInstant(Timestamps.parse(text, java.time.ZoneOffset.UTC)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot parse timestamp(\"" + text + "\"): expected "
                        + Timestamps.FORMS, e);
            }
        }
    }

    /**
     * A timestamp constant with time zone {@code timeZone}: text without an offset is wall-clock
     * time there, e.g. {@code timestamp("2024-03-31 02:30", "Europe/Berlin")}.
     *
     * @throws IllegalArgumentException for malformed text or an unknown zone
     */
    static Expr timestamp(String text, String timeZone) {
        Objects.requireNonNull(text, "timestamp");
        java.time.ZoneId zone = Timestamps.zone(timeZone, "timestamp(\"" + text + "\", \"" + timeZone + "\")");
        long micros;
        try {
            micros = Timestamps.parse(text, zone);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot parse timestamp(\"" + text + "\", \"" + timeZone + "\"): expected "
                    + Timestamps.FORMS, e);
        }
        return Literal.of(Timestamps.toInstant(micros).atZone(zone));
    }

    /**
     * The first of {@code values} that is not null (null when all are), as SQL's {@code COALESCE}.
     * The values have one type, or are numbers (promoted to the widest).
     */
    static Expr coalesce(Expr... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("coalesce() needs at least one value");
        }
        return new Coalesce(Arrays.asList(values));
    }

    /** Starts {@code when(condition).then(value)[.when(c).then(v)...].otherwise(value)}. */
    static WhenThen when(Expr condition) {
        return new WhenThen(List.of(), List.of(), Objects.requireNonNull(condition, "condition"));
    }

    /** The number of rows (of the group, or of the input in a global aggregation), as int64. */
    static Expr rowCount() {
        return new Agg(Aggregate.ROW_COUNT, null);
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

    /**
     * Whether the value equals one of {@code values} (SQL {@code IN}): constants of the value's type
     * (Integer, Long, Double for numbers, String, LocalDate, Boolean), or null. True when one
     * equals; otherwise null if the value or one of {@code values} is null; else false.
     */
    default Expr isIn(Object... values) {
        return isIn(Arrays.asList(values));
    }

    /** {@link #isIn(Object...)} with the constants in a collection. */
    default Expr isIn(Collection<?> values) {
        List<Object> vals = new ArrayList<>(values.size());
        for (Object v : values) {
            vals.add(v == null ? null : Literal.of(v).value());
        }
        return new IsIn(this, vals);
    }

    /**
     * {@code lo <= this <= hi} (SQL {@code BETWEEN}, both ends included), with the comparisons' types
     * and three-valued nulls: a null bound gives null unless the other bound already fails.
     */
    default Expr between(Expr lo, Expr hi) {
        return new Between(this, lo, hi);
    }

    /** Absolute value of a number (same type; the minimum integer stays negative, as {@link Math#abs(long)}). */
    default Expr abs() {
        return new Unary(UnaryOp.ABS, this);
    }

    /**
     * Rounds to {@code digits} decimal places (negative: to tens, hundreds, ...), half away from
     * zero; a float64 rounds as its shortest decimal form reads ({@code 2.675} gives {@code 2.68}).
     * Integers keep their type.
     */
    default Expr round(int digits) {
        return new Round(this, digits);
    }

    /**
     * {@code date + interval}: the period's years and months first (the day of month clamps to the
     * target month's last day, as SQL: Jan 31 + 1 month is Feb 28 or 29), then its days. For
     * example {@code col("shipdate").plus(Period.ofMonths(3))}.
     */
    default Expr plus(Period interval) {
        return new DateAdd(this, interval);
    }

    /** {@code date - interval}: {@link #plus(Period)} of the negated period. */
    default Expr minus(Period interval) {
        return new DateAdd(this, interval.negated());
    }

    /**
     * {@code timestamp + duration}, exact to the microsecond (sub-microsecond parts are dropped); on
     * a date32 the date's midnight plus the duration, a timestamp.
     *
     * @throws ArithmeticException when the duration exceeds the range of int64 microseconds
     */
    default Expr plus(java.time.Duration duration) {
        return new DateAdd(this, Period.ZERO, toMicros(duration));
    }

    /** {@code timestamp - duration}: {@link #plus(java.time.Duration)} of the negated duration. */
    default Expr minus(java.time.Duration duration) {
        return new DateAdd(this, Period.ZERO, Math.negateExact(toMicros(duration)));
    }

    private static long toMicros(java.time.Duration d) {
        return Math.addExact(Math.multiplyExact(d.getSeconds(), Timestamps.MICROS_PER_SECOND), d.getNano() / 1000);
    }

    /**
     * Converts to {@code type}; a value that cannot be converted fails the query naming it. A cast
     * to a decimal needs its precision and scale: {@link #cast(DecimalType)}.
     */
    default Expr cast(DataType type) {
        return new Cast(this, type, null);
    }

    /**
     * Converts to {@code decimal(precision, scale)} from a decimal, integer, float64 or utf8: fewer
     * decimals round half away from zero; a value with more integer digits than the type holds
     * fails the query naming it.
     */
    default Expr cast(DecimalType decimal) {
        return new Cast(this, DataType.DECIMAL128, Objects.requireNonNull(decimal, "decimal type"));
    }

    /**
     * Converts to a timestamp with time zone {@code timeZone} (a region such as
     * {@code Europe/Berlin}, {@code UTC} or an offset such as {@code +01:00}): from utf8 (text
     * without an offset is wall-clock time in the zone), date32 (midnight there), int64
     * (microseconds since the epoch), a timestamp without a time zone (its wall clock read in the
     * zone) or one with a time zone (the same instant). {@code cast(DataType.TIMESTAMP)} gives one
     * without a time zone (a zoned value's wall clock).
     */
    default Expr castTimestamp(String timeZone) {
        return new Cast(this, DataType.TIMESTAMP, null, Objects.requireNonNull(timeZone, "time zone"));
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

    /**
     * SQL {@code LIKE}: {@code %} matches any run of characters (none included), {@code _} exactly
     * one character; all else matches itself, case-sensitively. There is no escape character.
     */
    default Expr like(String pattern) {
        return new Like(this, pattern, false);
    }

    /** SQL {@code NOT LIKE}: the negation of {@link #like} (null stays null). */
    default Expr notLike(String pattern) {
        return new Like(this, pattern, true);
    }

    /**
     * SQL {@code SUBSTRING(s FROM start FOR length)} on characters: positions count from 1, and the
     * positions {@code [start, start + length)} that exist are kept ({@code substring(0, 2)} is the
     * first character).
     *
     * @throws IllegalArgumentException when {@code length} is negative
     */
    default Expr substring(int start, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("substring length must not be negative, got " + length + " in " + this
                    + ".str.substring(" + start + ", " + length + ")");
        }
        return new Substring(this, start, (long) length);
    }

    /** The characters from 1-based position {@code start} to the end. */
    default Expr substring(int start) {
        return new Substring(this, start, null);
    }

    /** String length in characters (code points). */
    default Expr charLength() {
        return new Unary(UnaryOp.CHAR_LENGTH, this);
    }

    /** Year of a date or timestamp (a timestamp with a time zone is read in its zone). */
    default Expr year() {
        return new Unary(UnaryOp.YEAR, this);
    }

    /** Month (1-12) of a date or timestamp. */
    default Expr month() {
        return new Unary(UnaryOp.MONTH, this);
    }

    /** Day of month (1-31) of a date or timestamp. */
    default Expr day() {
        return new Unary(UnaryOp.DAY, this);
    }

    /** Hour (0-23) of a timestamp (a timestamp with a time zone is read in its zone). */
    default Expr hour() {
        return new Unary(UnaryOp.HOUR, this);
    }

    /** Minute (0-59) of a timestamp. */
    default Expr minute() {
        return new Unary(UnaryOp.MINUTE, this);
    }

    /** Whole second (0-59) of a timestamp. */
    default Expr second() {
        return new Unary(UnaryOp.SECOND, this);
    }

    // ------------------------------------------------------------------ aggregates

    /**
     * Sum of the non-null values (int32/int64 give int64, float64 gives float64); null when there
     * is none. For {@code groupBy(...).agg(...)} and global {@code select}s.
     */
    default Expr sum() {
        return new Agg(Aggregate.SUM, this);
    }

    /** Number of non-null values (int64). */
    default Expr count() {
        return new Agg(Aggregate.COUNT, this);
    }

    /** Smallest non-null value (float64 in {@link Double#compare} order: NaN is largest); null when none. */
    default Expr min() {
        return new Agg(Aggregate.MIN, this);
    }

    /** Largest non-null value (float64 in {@link Double#compare} order: NaN is largest); null when none. */
    default Expr max() {
        return new Agg(Aggregate.MAX, this);
    }

    /** Mean of the non-null values (float64); null when none. */
    default Expr mean() {
        return new Agg(Aggregate.MEAN, this);
    }

    /** Value of the first row in input order (null if that row's value is null). */
    default Expr first() {
        return new Agg(Aggregate.FIRST, this);
    }

    /** Value of the last row in input order (null if that row's value is null). */
    default Expr last() {
        return new Agg(Aggregate.LAST, this);
    }

    /** Exact number of distinct non-null values (int64). */
    default Expr nUnique() {
        return new Agg(Aggregate.N_UNIQUE, this);
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
            return "row_count";
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
     * @param value the value (Integer, Long, Double, Boolean, String, LocalDate, BigDecimal) or null
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
                case BigDecimal d -> DataType.DECIMAL128;
                case java.time.LocalDateTime x -> DataType.TIMESTAMP;
                case java.time.Instant x -> DataType.TIMESTAMP;
                case java.time.ZonedDateTime x -> DataType.TIMESTAMP;
                case java.time.OffsetDateTime x -> DataType.TIMESTAMP;
                default -> throw new IllegalArgumentException("cannot make a literal of " + value.getClass().getName()
                        + " (" + value + "); use Integer, Long, Double, Boolean, String, LocalDate, BigDecimal, "
                        + "LocalDateTime, Instant, ZonedDateTime or OffsetDateTime");
            };
            if (value instanceof BigDecimal d) {
                BigDecimal n = d.scale() < 0 ? d.setScale(0) : d;
                if (n.scale() > DecimalType.MAX_PRECISION || n.precision() > DecimalType.MAX_PRECISION) {
                    throw new IllegalArgumentException("decimal constant " + d.toPlainString() + " has more than "
                            + DecimalType.MAX_PRECISION + " digits");
                }
                return new Literal(n, t);
            }
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

        /**
         * The time zone of a timestamp value: null for a LocalDateTime, UTC for an Instant, the zone
         * of a ZonedDateTime or the offset of an OffsetDateTime; null for other values.
         */
        public static String zoneOf(Object value) {
            return switch (value) {
                case java.time.Instant t -> "UTC";
                case java.time.ZonedDateTime t -> t.getZone().getId();
                case java.time.OffsetDateTime t -> t.getOffset().getId();
                case null, default -> null;
            };
        }

        @Override
        public String toString() {
            return switch (value) {
                case null -> "null";
                case String s -> "\"" + s.replace("\"", "\\\"") + "\"";
                case LocalDate d -> "date(" + d + ")";
                case java.time.LocalDateTime t -> "timestamp(\"" + Timestamps.format(Timestamps.ofLocal(t), null) + "\")";
                case java.time.Instant t -> "timestamp(\"" + Timestamps.format(Timestamps.ofInstant(t), java.time.ZoneOffset.UTC) + "\")";
                case java.time.ZonedDateTime t -> "timestamp(\"" + Timestamps.format(Timestamps.ofInstant(t.toInstant()), t.getZone())
                        + "\", \"" + t.getZone().getId() + "\")";
                case java.time.OffsetDateTime t -> "timestamp(\"" + Timestamps.format(Timestamps.ofInstant(t.toInstant()),
                        t.getOffset()) + "\")";
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
                case CHAR_LENGTH -> input + ".charLength()";
                default -> input + "." + op.name().toLowerCase(java.util.Locale.ROOT) + "()";
            };
        }
    }

    /**
     * A type conversion.
     *
     * @param input   the operand
     * @param to      the target type
     * @param decimal the target precision and scale when {@code to} is DECIMAL128, else null
     * @param timeZone the target time zone when {@code to} is a TIMESTAMP with one, else null
     */
    record Cast(Expr input, DataType to, DecimalType decimal, String timeZone) implements Expr {
        /** Validates the components. */
        public Cast {
            Objects.requireNonNull(input, "operand");
            Objects.requireNonNull(to, "target type");
        }

        /** A conversion without a time zone. */
        public Cast(Expr input, DataType to, DecimalType decimal) {
            this(input, to, decimal, null);
        }

        /** A conversion to a non-decimal type. */
        public Cast(Expr input, DataType to) {
            this(input, to, null, null);
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Cast(children.get(0), to, decimal, timeZone);
        }

        @Override
        public String toString() {
            return input + ".cast(" + (decimal != null ? decimal.displayName() : Field.typeName(to, null, timeZone)) + ")";
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

    /** SQL {@code LIKE} or {@code NOT LIKE} against a constant pattern. */
    record Like(Expr input, String pattern, boolean negated) implements Expr {
        /** Validates the components. */
        public Like {
            Objects.requireNonNull(input, "operand");
            Objects.requireNonNull(pattern, "pattern");
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Like(children.get(0), pattern, negated);
        }

        @Override
        public String toString() {
            return input + ".str." + (negated ? "not_like" : "like") + "(\"" + pattern + "\")";
        }
    }

    /**
     * SQL {@code SUBSTRING} on characters.
     *
     * @param start  1-based first position
     * @param chars  number of positions, or null for "to the end"
     */
    record Substring(Expr input, long start, Long chars) implements Expr {
        /** Validates the operand. */
        public Substring {
            Objects.requireNonNull(input, "operand");
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Substring(children.get(0), start, chars);
        }

        @Override
        public String toString() {
            return input + ".str.substring(" + start + (chars == null ? "" : ", " + chars) + ")";
        }
    }

    /** SQL {@code IN} against constants (nulls allowed). */
    record IsIn(Expr input, List<Object> values) implements Expr {
        /** Validates the components. */
        public IsIn {
            Objects.requireNonNull(input, "operand");
            values = java.util.Collections.unmodifiableList(new ArrayList<>(values));
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new IsIn(children.get(0), values);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(input + ".is_in([");
            for (int i = 0; i < values.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(new Literal(values.get(i), null));
            }
            return sb.append("])").toString();
        }
    }

    /** SQL {@code BETWEEN}, both ends included. */
    record Between(Expr input, Expr lo, Expr hi) implements Expr {
        /** Validates the operands. */
        public Between {
            Objects.requireNonNull(input, "operand");
            Objects.requireNonNull(lo, "lower bound");
            Objects.requireNonNull(hi, "upper bound");
        }

        @Override
        public List<Expr> children() {
            return List.of(input, lo, hi);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Between(children.get(0), children.get(1), children.get(2));
        }

        @Override
        public String toString() {
            return input + ".between(" + lo + ", " + hi + ")";
        }
    }

    /** The first non-null of several values. */
    record Coalesce(List<Expr> inputs) implements Expr {
        /** Validates the operands. */
        public Coalesce {
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("coalesce() needs at least one value");
            }
        }

        @Override
        public List<Expr> children() {
            return inputs;
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Coalesce(children);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("coalesce(");
            for (int i = 0; i < inputs.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(inputs.get(i));
            }
            return sb.append(')').toString();
        }
    }

    /** Rounding to a number of decimal places. */
    record Round(Expr input, int digits) implements Expr {
        /** Validates the operand. */
        public Round {
            Objects.requireNonNull(input, "operand");
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new Round(children.get(0), digits);
        }

        @Override
        public String toString() {
            return input + ".round(" + digits + ")";
        }
    }

    /**
     * {@code date + interval} or {@code timestamp + interval} (years and months first, then days,
     * then {@code micros}).
     *
     * @param input    the date32 or timestamp operand
     * @param interval calendar months and days
     * @param micros   an exact number of microseconds (a timestamp's time part)
     */
    record DateAdd(Expr input, Period interval, long micros) implements Expr {
        /** Validates the components. */
        public DateAdd {
            Objects.requireNonNull(input, "operand");
            Objects.requireNonNull(interval, "interval");
        }

        /** {@code input + interval} without a time part. */
        public DateAdd(Expr input, Period interval) {
            this(input, interval, 0);
        }

        @Override
        public List<Expr> children() {
            return List.of(input);
        }

        @Override
        public Expr withChildren(List<Expr> children) {
            return new DateAdd(children.get(0), interval, micros);
        }

        @Override
        public String toString() {
            if (micros != 0) {
                String d = java.time.Duration.of(Math.abs(micros), java.time.temporal.ChronoUnit.MICROS).toString();
                String base = interval.isZero() ? input.toString() : new DateAdd(input, interval).toString();
                return "(" + base + (micros < 0 ? " - " : " + ") + "duration(" + d + "))";
            }
            long months = interval.toTotalMonths();
            long days = interval.getDays();
            boolean minus = months <= 0 && days <= 0 && !interval.isZero();
            return "(" + input + (minus ? " - " : " + ") + intervalText(minus ? -months : months, minus ? -days : days) + ")";
        }

        private static String intervalText(long months, long days) {
            List<String> parts = new ArrayList<>();
            if (months / 12 != 0) {
                parts.add(months / 12 + (Math.abs(months / 12) == 1 ? " year" : " years"));
            }
            if (months % 12 != 0) {
                parts.add(months % 12 + (Math.abs(months % 12) == 1 ? " month" : " months"));
            }
            if (days != 0 || parts.isEmpty()) {
                parts.add(days + (Math.abs(days) == 1 ? " day" : " days"));
            }
            return "interval '" + String.join(" ", parts) + "'";
        }
    }

    /**
     * An aggregate over the rows of a group.
     *
     * @param function the function
     * @param input    the aggregated expression; null for a function without input ({@link #rowCount()})
     */
    record Agg(Aggregate function, Expr input) implements Expr {
        /** Validates the components. */
        public Agg {
            Objects.requireNonNull(function, "aggregate");
            if (function.hasInput()) {
                Objects.requireNonNull(input, () -> function.label() + "() needs an input");
            } else if (input != null) {
                throw new IllegalArgumentException(function.label() + "() takes no input");
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
            return input == null ? function.label() + "()" : input + "." + function.label() + "()";
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
