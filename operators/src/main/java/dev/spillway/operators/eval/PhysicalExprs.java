package dev.spillway.operators.eval;

import dev.spillway.errors.ExprTypeException;
import dev.spillway.expr.BinaryOp;
import dev.spillway.expr.StringOp;
import dev.spillway.expr.UnaryOp;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds type-checked {@link PhysicalExpr}s. Type rules:
 * <ul>
 *   <li>Arithmetic on INT32, INT64, FLOAT64 promotes to the wider type (INT32 &lt; INT64 &lt; FLOAT64);
 *       integer overflow wraps as in Java; {@code /} always gives FLOAT64 (x/0 is ±infinity, 0/0 NaN);
 *       integer {@code %} by zero gives null; float {@code %} is Java's remainder (sign of the dividend).</li>
 *   <li>Comparisons: numbers with numbers (promoted), and otherwise equal types: UTF8 by bytes
 *       (= code point order), DATE32, BOOLEAN (false &lt; true). Floats compare as IEEE 754: NaN is
 *       unequal to everything, itself included.</li>
 *   <li>AND, OR, NOT on BOOLEAN with SQL three-valued logic; any other operator on a null gives null.</li>
 * </ul>
 * Errors name the expression and the types, e.g. {@code cannot apply '+' to utf8 and int64 in (col("name") + 1)}.
 */
public final class PhysicalExprs {
    private PhysicalExprs() {
    }

    // ================================================================== factories

    /**
     * A reference to input column {@code index} of a non-decimal type.
     *
     * @throws ExprTypeException for DECIMAL128, whose precision and scale come with its field
     *         ({@link #column(int, Field)})
     */
    public static PhysicalExpr column(int index, String name, DataType type) {
        if (type == DataType.DECIMAL128) {
            throw new ExprTypeException("column '" + name + "' is a decimal: reference it with column(index, field)");
        }
        return new ColumnRef(index, name, type, null, null);
    }

    /** A reference to input column {@code index}, described by {@code field}. */
    public static PhysicalExpr column(int index, Field field) {
        return new ColumnRef(index, field.name(), field.type(), field.decimal(), field.timeZone());
    }

    /**
     * A constant of {@code type}: Integer (int32), Long or Integer (int64), any Number (float64),
     * Boolean, String (utf8), LocalDate or Integer days (date32), a naive timestamp value
     * ({@link #timestampLiteral}), or null.
     */
    public static PhysicalExpr literal(Object value, DataType type) {
        if (type == DataType.TIMESTAMP) {
            return timestampLiteral(value, null);
        }
        return new Literal(normalize(value, type), type);
    }

    /**
     * A timestamp constant: Long microseconds, a LocalDateTime (in a zoned column, wall-clock time in
     * {@code timeZone}), an Instant, OffsetDateTime or ZonedDateTime (only with a time zone), a
     * String in {@link Timestamps#FORMS}, or a typed null.
     *
     * @param timeZone the constant's time zone, or null for a naive timestamp
     * @throws ExprTypeException for another value, or an instant without a time zone
     */
    public static PhysicalExpr timestampLiteral(Object value, String timeZone) {
        ZoneId zone;
        try {
            zone = timeZone == null ? null : Timestamps.zone(timeZone, "a timestamp literal");
        } catch (IllegalArgumentException e) {
            throw new ExprTypeException(e.getMessage());
        }
        long micros;
        try {
            switch (value) {
                case null -> {
                    return new Literal(null, DataType.TIMESTAMP, null, timeZone);
                }
                case Long l -> micros = l;
                case LocalDateTime t -> micros = Timestamps.fromLocal(Timestamps.ofLocal(t), zone);
                case LocalDate d -> micros = Timestamps.fromLocal(d.toEpochDay() * Timestamps.MICROS_PER_DAY, zone);
                case String s -> micros = Timestamps.parse(s, zone);
                case Instant t when zone != null -> micros = Timestamps.ofInstant(t);
                case OffsetDateTime t when zone != null -> micros = Timestamps.ofInstant(t.toInstant());
                case ZonedDateTime t when zone != null -> micros = Timestamps.ofInstant(t.toInstant());
                case Instant t -> throw new ExprTypeException("the instant " + t + " needs a timestamp with a time zone; "
                        + "give one, or use a LocalDateTime for a timestamp without a time zone");
                case OffsetDateTime t -> throw new ExprTypeException("the instant " + t + " needs a timestamp with a time zone; "
                        + "give one, or use a LocalDateTime for a timestamp without a time zone");
                case ZonedDateTime t -> throw new ExprTypeException("the instant " + t + " needs a timestamp with a time zone; "
                        + "give one, or use a LocalDateTime for a timestamp without a time zone");
                default -> throw new ExprTypeException("literal " + value + " (" + value.getClass().getSimpleName()
                        + ") is not a timestamp: use a LocalDateTime, an Instant, Long microseconds or text " + Timestamps.FORMS);
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ExprTypeException("timestamp literal " + value + ": " + e.getMessage());
        }
        return new Literal(micros, DataType.TIMESTAMP, null, timeZone);
    }

    /**
     * A constant of {@code decimal}: a BigDecimal, Long or Integer (rescaled exactly), or a typed
     * null.
     *
     * @throws ExprTypeException when the value does not fit {@code decimal}
     */
    public static PhysicalExpr literal(Object value, DecimalType decimal) {
        Object v = normalize(value, DataType.DECIMAL128);
        if (v == null) {
            return new Literal(null, DataType.DECIMAL128, decimal);
        }
        try {
            return new Literal(new BigDecimal(decimal.unscaledOf((BigDecimal) v), decimal.scale()), DataType.DECIMAL128, decimal);
        } catch (IllegalArgumentException e) {
            throw new ExprTypeException("literal " + ((BigDecimal) v).toPlainString() + ": " + e.getMessage());
        }
    }

    static Object normalize(Object value, DataType type) {
        if (value == null) {
            return null;
        }
        Object v = switch (type) {
            case INT32 -> value instanceof Integer ? value : null;
            case INT64 -> value instanceof Long || value instanceof Integer ? ((Number) value).longValue() : null;
            case FLOAT64 -> value instanceof Number n ? n.doubleValue() : null;
            case BOOLEAN -> value instanceof Boolean ? value : null;
            case UTF8 -> value instanceof String ? value : null;
            case DATE32 -> value instanceof LocalDate d ? d : value instanceof Integer i ? LocalDate.ofEpochDay(i) : null;
            case TIMESTAMP -> value instanceof Long l ? l : value instanceof LocalDateTime t ? Timestamps.ofLocal(t) : null;
            case DECIMAL128 -> switch (value) {
                case BigDecimal d -> d.scale() < 0 ? d.setScale(0) : d;
                case Long l -> BigDecimal.valueOf(l);
                case Integer i -> BigDecimal.valueOf(i);
                default -> null;
            };
        };
        if (v == null) {
            throw new ExprTypeException("literal " + value + " (" + value.getClass().getSimpleName() + ") is not a "
                    + type.displayName());
        }
        return v;
    }

    /** A binary operation; throws {@link ExprTypeException} when the operand types do not fit. */
    public static PhysicalExpr binary(BinaryOp op, PhysicalExpr left, PhysicalExpr right) {
        DataType l = left.type();
        DataType r = right.type();
        String where = "(" + left + " " + op.symbol() + " " + right + ")";
        if (l == DataType.DECIMAL128 || r == DataType.DECIMAL128) {
            return decimalBinary(op, left, right, where);
        }
        if (l == DataType.TIMESTAMP || r == DataType.TIMESTAMP) {
            return timestampComparison(op, left, right, where);
        }
        if (op.isArithmetic()) {
            if (!l.isNumeric() || !r.isNumeric()) {
                throw mismatch(op, l, r, where);
            }
            DataType result = op == BinaryOp.DIV ? DataType.FLOAT64 : promote(l, r);
            return new Arithmetic(op, left, right, result);
        }
        if (op.isComparison()) {
            DataType common;
            if (l.isNumeric() && r.isNumeric()) {
                common = promote(l, r);
            } else if (l == r) {
                common = l;
            } else {
                throw mismatch(op, l, r, where);
            }
            return new Comparison(op, left, right, common);
        }
        if (l != DataType.BOOLEAN || r != DataType.BOOLEAN) {
            throw mismatch(op, l, r, where);
        }
        return new Logical(op, left, right);
    }

    static ExprTypeException mismatch(BinaryOp op, DataType l, DataType r, String where) {
        return new ExprTypeException("cannot apply '" + op.symbol() + "' to " + l.displayName() + " and "
                + r.displayName() + " in " + where);
    }

    /** The display name of an expression's type: {@code int64}, {@code decimal(15,2)}, ... */
    static String typeName(PhysicalExpr e) {
        return Field.typeName(e.type(), e.decimalType(), e.timeZone());
    }

    /**
     * A binary operation with a decimal operand: with a float64 the decimal becomes a float64 (as
     * in SQL); with an integer the integer becomes an exact decimal ({@link Decimals#INT32},
     * {@link Decimals#INT64}); {@code +}, {@code -}, {@code *} and comparisons are then exact,
     * {@code /} gives float64 like every division, {@code %} is not defined on decimals.
     */
    private static PhysicalExpr decimalBinary(BinaryOp op, PhysicalExpr left, PhysicalExpr right, String where) {
        DataType l = left.type();
        DataType r = right.type();
        if ((!op.isArithmetic() && !op.isComparison()) || op == BinaryOp.MOD) {
            throw new ExprTypeException("cannot apply '" + op.symbol() + "' to " + typeName(left) + " and " + typeName(right)
                    + " in " + where + (op == BinaryOp.MOD ? ": '%' is not defined on decimals" : ""));
        }
        if (l == DataType.FLOAT64 || r == DataType.FLOAT64 || op == BinaryOp.DIV) {
            if (!(l.isNumeric() || l == DataType.DECIMAL128) || !(r.isNumeric() || r == DataType.DECIMAL128)) {
                throw new ExprTypeException("cannot apply '" + op.symbol() + "' to " + typeName(left) + " and "
                        + typeName(right) + " in " + where);
            }
            return binary(op, toFloat(left), toFloat(right));
        }
        PhysicalExpr a = toDecimal(left);
        PhysicalExpr b = toDecimal(right);
        if (a == null || b == null) {
            throw new ExprTypeException("cannot apply '" + op.symbol() + "' to " + typeName(left) + " and " + typeName(right)
                    + " in " + where + ": a decimal goes with decimals, integers and float64");
        }
        if (op.isComparison()) {
            return new DecimalComparison(op, a, b);
        }
        return new DecimalArithmetic(op, a, b, Decimals.arithmeticType(op, a.decimalType(), b.decimalType(), where));
    }

    /**
     * A comparison with a timestamp operand: the other one is a timestamp (both naive, or both
     * zoned, which compare as instants whatever their zones) or a date32 (midnight of that day, in
     * the timestamp's zone).
     */
    private static PhysicalExpr timestampComparison(BinaryOp op, PhysicalExpr left, PhysicalExpr right, String where) {
        if (!op.isComparison()) {
            throw new ExprTypeException("cannot apply '" + op.symbol() + "' to " + typeName(left) + " and " + typeName(right)
                    + " in " + where + (op.isArithmetic() ? ": add or subtract a java.time Duration or Period "
                    + "(addInterval), or cast to int64 microseconds" : ""));
        }
        PhysicalExpr a = left.type() == DataType.DATE32 ? new TimestampCast(left, DataType.TIMESTAMP, right.timeZone())
                : inZone(left, right.timeZone());
        PhysicalExpr b = right.type() == DataType.DATE32 ? new TimestampCast(right, DataType.TIMESTAMP, left.timeZone())
                : inZone(right, left.timeZone());
        if (a.type() != DataType.TIMESTAMP || b.type() != DataType.TIMESTAMP) {
            throw new ExprTypeException("cannot apply '" + op.symbol() + "' to " + typeName(left) + " and " + typeName(right)
                    + " in " + where + ": a timestamp compares with timestamps and dates");
        }
        if ((a.timeZone() == null) != (b.timeZone() == null)) {
            throw new ExprTypeException("cannot apply '" + op.symbol() + "' to " + typeName(left) + " and " + typeName(right)
                    + " in " + where + ": a timestamp without a time zone does not compare with one with a time zone; "
                    + "cast one side (cast(timestamp, zone))");
        }
        return new Comparison(op, a, b, DataType.TIMESTAMP);
    }

    /**
     * A naive timestamp constant read as wall-clock time in {@code zone} (as SQL engines read
     * {@code TIMESTAMP '...'} beside a zoned column); any other expression as it is.
     */
    static PhysicalExpr inZone(PhysicalExpr e, String zone) {
        if (zone == null || !(e instanceof Literal l) || l.type() != DataType.TIMESTAMP || l.timeZone() != null) {
            return e;
        }
        Object v = l.value() == null ? null : Timestamps.fromLocal((Long) l.value(), Timestamps.zoneOrNull(zone));
        return new Literal(v, DataType.TIMESTAMP, null, zone);
    }

    private static PhysicalExpr toFloat(PhysicalExpr e) {
        return e.type() == DataType.DECIMAL128 ? new DecimalCast(e, DataType.FLOAT64, null, true) : e;
    }

    /** A decimal operand as is, an integer one as an exact decimal, else null. */
    private static PhysicalExpr toDecimal(PhysicalExpr e) {
        if (e.type() == DataType.DECIMAL128) {
            return e;
        }
        DecimalType t = Decimals.ofInteger(e.type());
        if (t == null) {
            return null;
        }
        if (e instanceof Literal lit && lit.value() != null) {
            // A constant integer gets the digits it has, not all 19.
            BigDecimal v = BigDecimal.valueOf(((Number) lit.value()).longValue());
            return new Literal(v, DataType.DECIMAL128);
        }
        return new DecimalCast(e, DataType.DECIMAL128, t, true);
    }

    /**
     * A conversion to {@code decimal} from a decimal, int32, int64, float64 or utf8; see
     * {@link DecimalCast} for rounding and errors.
     */
    public static PhysicalExpr cast(PhysicalExpr input, DecimalType decimal) {
        if (decimal.equals(input.decimalType())) {
            return input;
        }
        DataType from = input.type();
        if (from != DataType.DECIMAL128 && !from.isNumeric() && from != DataType.UTF8) {
            throw new ExprTypeException("cannot cast " + typeName(input) + " to " + decimal.displayName() + " in " + input
                    + ".cast(" + decimal.displayName() + ")");
        }
        if (input instanceof Literal lit && lit.value() == null) {
            return new Literal(null, DataType.DECIMAL128, decimal);
        }
        return new DecimalCast(input, DataType.DECIMAL128, decimal, false);
    }

    /** Dates and timestamps, which compare with each other. */
    private static boolean temporal(DataType t) {
        return t == DataType.DATE32 || t == DataType.TIMESTAMP;
    }

    /** Numbers and decimals, which compare with each other. */
    private static boolean numberLike(DataType t) {
        return t.isNumeric() || t == DataType.DECIMAL128;
    }

    /** {@link #promote}, where a decimal with integers is a decimal and with float64 a float64. */
    private static DataType promoteWithDecimal(DataType a, DataType b) {
        if (a == DataType.FLOAT64 || b == DataType.FLOAT64) {
            return DataType.FLOAT64;
        }
        return a == DataType.DECIMAL128 || b == DataType.DECIMAL128 ? DataType.DECIMAL128 : promote(a, b);
    }

    static DataType promote(DataType a, DataType b) {
        if (a == DataType.FLOAT64 || b == DataType.FLOAT64) {
            return DataType.FLOAT64;
        }
        if (a == DataType.INT64 || b == DataType.INT64) {
            return DataType.INT64;
        }
        return DataType.INT32;
    }

    /** A unary operation or function; throws {@link ExprTypeException} for an unfit operand. */
    public static PhysicalExpr unary(UnaryOp op, PhysicalExpr input) {
        DataType t = input.type();
        String where = input + "." + op.name().toLowerCase(java.util.Locale.ROOT) + "()";
        DataType result = switch (op) {
            case NOT -> t == DataType.BOOLEAN ? DataType.BOOLEAN : null;
            case NEGATE, ABS -> t.isNumeric() || t == DataType.DECIMAL128 ? t : null;
            case IS_NULL, IS_NOT_NULL -> DataType.BOOLEAN;
            case CHAR_LENGTH -> t == DataType.UTF8 ? DataType.INT32 : null;
            case YEAR, MONTH, DAY -> t == DataType.DATE32 || t == DataType.TIMESTAMP ? DataType.INT32 : null;
            case HOUR, MINUTE, SECOND -> t == DataType.TIMESTAMP ? DataType.INT32 : null;
        };
        if (result != null && t == DataType.TIMESTAMP && op != UnaryOp.IS_NULL && op != UnaryOp.IS_NOT_NULL) {
            return new TimestampPart(op, input);
        }
        if (result == DataType.DECIMAL128) {
            return new DecimalUnary(op, input, 0, input.decimalType());
        }
        if (result == null) {
            String needs = switch (op) {
                case NOT -> "boolean";
                case NEGATE, ABS -> "a number (int32, int64, float64 or decimal)";
                case CHAR_LENGTH -> "utf8";
                case HOUR, MINUTE, SECOND -> "a timestamp";
                default -> "a date32 or timestamp";
            };
            throw new ExprTypeException("cannot apply " + op.name().toLowerCase(java.util.Locale.ROOT) + " to "
                    + typeName(input) + " in " + where + ": it needs " + needs);
        }
        return new Unary(op, input, result);
    }

    /** A conversion to {@code to}; every pair of types converts (strings are parsed at run time). */
    public static PhysicalExpr cast(PhysicalExpr input, DataType to) {
        if (to == DataType.DECIMAL128) {
            throw new ExprTypeException("a cast to decimal needs a precision and scale in " + input
                    + ".cast(decimal128); use cast(input, DecimalType)");
        }
        if (input.type() == DataType.DECIMAL128) {
            if (to == DataType.BOOLEAN || to == DataType.DATE32 || to == DataType.TIMESTAMP) {
                throw new ExprTypeException("cannot cast " + typeName(input) + " to " + to.displayName() + " in " + input
                        + ".cast(" + to.displayName() + ")");
            }
            return new DecimalCast(input, to, null, false);
        }
        if (to == DataType.TIMESTAMP || input.type() == DataType.TIMESTAMP) {
            return cast(input, to, null);
        }
        if (input.type() == to) {
            return input;
        }
        if ((input.type() == DataType.DATE32 && to != DataType.UTF8 && to != DataType.INT32 && to != DataType.INT64)
                || (to == DataType.DATE32 && input.type() != DataType.UTF8 && input.type() != DataType.INT32
                && input.type() != DataType.INT64)) {
            throw new ExprTypeException("cannot cast " + input.type().displayName() + " to " + to.displayName() + " in "
                    + input + ".cast(" + to.displayName() + ")");
        }
        return new Cast(input, to);
    }

    /**
     * A conversion to or from a timestamp ({@link TimestampCast}): to TIMESTAMP with
     * {@code timeZone} (null for naive) from utf8, date32, int64 or a timestamp; from a timestamp
     * to utf8, date32 or int64 ({@code timeZone} then null).
     *
     * @throws ExprTypeException for another pair of types or an unknown zone
     */
    public static PhysicalExpr cast(PhysicalExpr input, DataType to, String timeZone) {
        DataType from = input.type();
        String name = Field.typeName(to, null, timeZone);
        String where = input + ".cast(" + name + ")";
        if (timeZone != null && to != DataType.TIMESTAMP) {
            throw new ExprTypeException("only a timestamp has a time zone, not " + to.displayName() + " in " + where);
        }
        try {
            if (timeZone != null) {
                Timestamps.zone(timeZone, where);
            }
        } catch (IllegalArgumentException e) {
            throw new ExprTypeException(e.getMessage());
        }
        boolean fits = to == DataType.TIMESTAMP
                ? from == DataType.UTF8 || from == DataType.DATE32 || from == DataType.INT64 || from == DataType.TIMESTAMP
                : from == DataType.TIMESTAMP && (to == DataType.UTF8 || to == DataType.DATE32 || to == DataType.INT64);
        if (!fits) {
            throw new ExprTypeException("cannot cast " + typeName(input) + " to " + name + " in " + where
                    + ": a timestamp converts to and from utf8, date32, int64 (microseconds) and timestamps");
        }
        if (from == to && java.util.Objects.equals(input.timeZone(), timeZone)) {
            return input;
        }
        return new TimestampCast(input, to, timeZone);
    }

    /** A test of a utf8 value against a constant pattern. */
    public static PhysicalExpr stringPredicate(StringOp op, PhysicalExpr input, String pattern) {
        if (input.type() != DataType.UTF8) {
            throw new ExprTypeException("cannot apply " + op.name().toLowerCase(java.util.Locale.ROOT) + " to "
                    + input.type().displayName() + " in " + input + ": it needs utf8");
        }
        return new StringMatch(op, input, pattern);
    }

    /**
     * SQL {@code input LIKE pattern} ({@code NOT LIKE} when {@code negated}): {@code %} matches any
     * run of characters, {@code _} one character; no escape character. The pattern is compiled here.
     */
    public static PhysicalExpr like(PhysicalExpr input, String pattern, boolean negated) {
        String fn = negated ? "not_like" : "like";
        if (input.type() != DataType.UTF8) {
            throw new ExprTypeException("cannot apply " + fn + " to " + input.type().displayName() + " in " + input
                    + ".str." + fn + "(\"" + pattern + "\"): it needs utf8");
        }
        return new Like(input, LikePattern.compile(pattern), negated);
    }

    /**
     * SQL {@code SUBSTRING(input FROM start FOR length)} on characters: positions are 1-based, and
     * only the positions in {@code [start, start + length)} that exist are kept.
     *
     * @param length at least 0, or null for "to the end"
     */
    public static PhysicalExpr substring(PhysicalExpr input, long start, Long length) {
        String where = input + ".str.substring(" + start + (length == null ? "" : ", " + length) + ")";
        if (input.type() != DataType.UTF8) {
            throw new ExprTypeException("cannot apply substring to " + input.type().displayName() + " in " + where
                    + ": it needs utf8");
        }
        if (length != null && length < 0) {
            throw new ExprTypeException("substring length must not be negative in " + where);
        }
        return new Substring(input, start, length == null ? Long.MAX_VALUE : length);
    }

    /**
     * SQL {@code input IN (values...)} against constants (Integer, Long, Double, String, LocalDate,
     * Boolean or null): numbers with numbers (as float64 when either side is float64), otherwise the
     * input's own type; a decimal input compares exactly with numbers, BigDecimals and decimal
     * strings ({@link DecimalIsIn}). True when one equals; else null if the input or a value is null; else false.
     */
    public static PhysicalExpr isIn(PhysicalExpr input, List<?> values) {
        DataType t = input.type();
        List<Object> vals = new ArrayList<>(values);
        if (t == DataType.TIMESTAMP) {
            List<Object> micros = new ArrayList<>(vals.size());
            for (Object v : vals) {
                micros.add(v == null ? null : ((Literal) timestampLiteral(v, input.timeZone())).value());
            }
            return new IsIn(input, micros, false);
        }
        String where = input + ".is_in(" + vals.stream().map(IsIn::render)
                .collect(java.util.stream.Collectors.joining(", ", "[", "]")) + ")";
        if (t == DataType.DECIMAL128) {
            return DecimalIsIn.of(input, vals, where);
        }
        boolean asDouble = t == DataType.FLOAT64;
        for (Object v : vals) {
            if (v == null) {
                continue;
            }
            DataType vt = switch (v) {
                case Integer i -> DataType.INT32;
                case Long l -> DataType.INT64;
                case Double d -> DataType.FLOAT64;
                case String s -> DataType.UTF8;
                case LocalDate d -> DataType.DATE32;
                case Boolean b -> DataType.BOOLEAN;
                default -> throw new ExprTypeException("cannot use " + v + " (" + v.getClass().getSimpleName() + ") in "
                        + where + "; use Integer, Long, Double, String, LocalDate or Boolean");
            };
            if (t.isNumeric() && vt.isNumeric()) {
                asDouble |= vt == DataType.FLOAT64;
            } else if (vt != t) {
                throw new ExprTypeException("cannot apply is_in to " + t.displayName() + " with a " + vt.displayName()
                        + " value (" + IsIn.render(v) + ") in " + where + ": the values must be "
                        + (t.isNumeric() ? "numbers (int32, int64 or float64)" : t.displayName()) + " or null");
            }
        }
        return new IsIn(input, vals, asDouble);
    }

    /**
     * SQL {@code input BETWEEN lo AND hi} (both included), typed as the comparisons {@code >=} and
     * {@code <=}: numbers with numbers, otherwise equal types.
     */
    public static PhysicalExpr between(PhysicalExpr input, PhysicalExpr lo, PhysicalExpr hi) {
        for (PhysicalExpr bound : List.of(lo, hi)) {
            boolean fits = input.type() == bound.type() || (numberLike(input.type()) && numberLike(bound.type()))
                    || (temporal(input.type()) && temporal(bound.type()));
            if (!fits) {
                throw new ExprTypeException("cannot apply between to " + input.type().displayName() + " with bounds "
                        + lo.type().displayName() + " and " + hi.type().displayName() + " in " + input + ".between(" + lo
                        + ", " + hi + "): the bounds must be " + (input.type().isNumeric()
                        ? "numbers (int32, int64 or float64)" : input.type().displayName()));
            }
        }
        PhysicalExpr plan = binary(BinaryOp.AND, binary(BinaryOp.GE, input, lo), binary(BinaryOp.LE, input, hi));
        return new Between(input, lo, hi, plan);
    }

    /**
     * The first non-null of {@code inputs} (null when all are). Types as in {@link #when}: equal, or
     * numbers promoted to the widest.
     */
    public static PhysicalExpr coalesce(List<PhysicalExpr> inputs) {
        if (inputs.isEmpty()) {
            throw new ExprTypeException("coalesce() needs at least one value");
        }
        DataType result = inputs.get(0).type();
        for (PhysicalExpr v : inputs) {
            if (v.type() == result) {
                continue;
            }
            if (numberLike(v.type()) && numberLike(result)) {
                result = promoteWithDecimal(result, v.type());
            } else {
                throw new ExprTypeException("coalesce() values have different types: " + result.displayName() + " and "
                        + v.type().displayName() + " (" + v + ") in " + inputs.stream().map(Object::toString)
                        .collect(java.util.stream.Collectors.joining(", ", "coalesce(", ")")));
            }
        }
        DecimalType decimal = result == DataType.DECIMAL128 ? commonDecimal(inputs) : null;
        List<PhysicalExpr> cast = new ArrayList<>();
        for (PhysicalExpr v : result == DataType.TIMESTAMP ? oneZone(inputs, "coalesce()") : inputs) {
            cast.add(decimal != null ? cast(v, decimal) : result == DataType.TIMESTAMP ? v : cast(v, result));
        }
        return new Coalesce(List.copyOf(cast), result);
    }

    /** Rounds a number to {@code digits} decimal places, half away from zero; integers keep their type. */
    public static PhysicalExpr round(PhysicalExpr input, int digits) {
        if (input.type() == DataType.DECIMAL128) {
            return new DecimalUnary(null, input, digits, DecimalUnary.roundType(input.decimalType(), digits));
        }
        if (!input.type().isNumeric()) {
            throw new ExprTypeException("cannot apply round to " + input.type().displayName() + " in " + input + ".round("
                    + digits + "): it needs a number (int32, int64 or float64)");
        }
        return new Round(input, digits);
    }

    /**
     * {@code input + interval}: {@code months} whole months (day of month clamped to the target
     * month's length), then {@code days} days; negative values subtract.
     */
    public static PhysicalExpr addInterval(PhysicalExpr input, long months, long days) {
        return addInterval(input, months, days, 0);
    }

    /**
     * {@code input + interval} with a time part: on a timestamp see {@link TimestampAdd}; on a date32
     * without {@code micros} a date32 ({@link #addInterval(PhysicalExpr, long, long)}), with them a
     * timestamp from the date's midnight.
     */
    public static PhysicalExpr addInterval(PhysicalExpr input, long months, long days, long micros) {
        if (input.type() == DataType.TIMESTAMP) {
            return new TimestampAdd(input, months, days, micros);
        }
        if (input.type() == DataType.DATE32 && micros != 0) {
            return new TimestampAdd(new TimestampCast(input, DataType.TIMESTAMP, null), months, days, micros);
        }
        if (input.type() != DataType.DATE32) {
            throw new ExprTypeException("cannot add " + DateAdd.interval(months, days) + " to " + typeName(input)
                    + " in " + new DateAdd(input, months, days) + ": it needs a date32 or timestamp");
        }
        return new DateAdd(input, months, days);
    }

    /** {@code when(c1).then(v1)...otherwise(o)}: the value of the first true condition. */
    public static PhysicalExpr when(List<PhysicalExpr> conditions, List<PhysicalExpr> values, PhysicalExpr otherwise) {
        if (conditions.isEmpty() || conditions.size() != values.size()) {
            throw new ExprTypeException("when() needs as many values as conditions, at least one");
        }
        for (PhysicalExpr c : conditions) {
            if (c.type() != DataType.BOOLEAN) {
                throw new ExprTypeException("when() condition " + c + " is " + c.type().displayName() + ", not boolean");
            }
        }
        List<PhysicalExpr> all = new ArrayList<>(values);
        all.add(otherwise);
        DataType result = all.get(0).type();
        for (PhysicalExpr v : all) {
            if (v.type() == result) {
                continue;
            }
            if (numberLike(v.type()) && numberLike(result)) {
                result = promoteWithDecimal(result, v.type());
            } else {
                throw new ExprTypeException("when() branches have different types: " + result.displayName() + " and "
                        + v.type().displayName() + " (" + v + ")");
            }
        }
        if (result == DataType.TIMESTAMP) {
            List<PhysicalExpr> zoned = oneZone(all, "when()");
            return new When(List.copyOf(conditions), List.copyOf(zoned.subList(0, values.size())), zoned.get(values.size()),
                    result);
        }
        DecimalType decimal = result == DataType.DECIMAL128 ? commonDecimal(all) : null;
        List<PhysicalExpr> cast = new ArrayList<>();
        for (PhysicalExpr v : values) {
            cast.add(decimal != null ? cast(v, decimal) : cast(v, result));
        }
        return new When(List.copyOf(conditions), cast, decimal != null ? cast(otherwise, decimal) : cast(otherwise, result),
                result);
    }

    /**
     * Timestamp values of one result must share their time zone (or all be naive); naive constants
     * (and typed nulls) take the zone of the first zoned value. Returns the values so adjusted.
     */
    private static List<PhysicalExpr> oneZone(List<PhysicalExpr> exprs, String what) {
        String zone = null;
        for (PhysicalExpr e : exprs) {
            if (e.timeZone() != null) {
                zone = e.timeZone();
                break;
            }
        }
        List<PhysicalExpr> out = new ArrayList<>(exprs.size());
        for (PhysicalExpr e : exprs) {
            PhysicalExpr x = inZone(e, zone);
            if (x.type() == DataType.TIMESTAMP && !java.util.Objects.equals(x.timeZone(), zone)) {
                throw new ExprTypeException(what + " values have different types: " + Field.typeName(DataType.TIMESTAMP, null,
                        zone) + " and " + typeName(x) + " (" + x + "); cast them to one time zone");
            }
            out.add(x);
        }
        return out;
    }

    /** The decimal type that holds every value of {@code exprs} (decimals and integers) exactly. */
    private static DecimalType commonDecimal(List<PhysicalExpr> exprs) {
        DecimalType t = null;
        for (PhysicalExpr e : exprs) {
            DecimalType d = e.type() == DataType.DECIMAL128 ? e.decimalType() : Decimals.ofInteger(e.type());
            if (d != null) {
                t = t == null ? d : Decimals.union(t, d);
            }
        }
        return t;
    }

    /**
     * Evaluates an expression that references no column (constant folding).
     *
     * @return Integer, Long, Double, Boolean, String, LocalDate, BigDecimal, LocalDateTime (naive
     *         timestamp), Instant (zoned timestamp) or null
     */
    public static Object evaluateConstant(PhysicalExpr expr) {
        if (expr instanceof Literal l) {
            return l.value();
        }
        try (BlockPool pool = new BlockPool(64 << 10);
             MemoryBudget budget = MemoryBudget.root("constant-folding", 64L << 20);
             Morsel one = new Morsel(new Schema(List.of()), List.of(), 1, 0);
             ColumnVector v = expr.evaluate(one, new EvalContext(pool, budget))) {
            return v.getObject(0);
        }
    }

    // ================================================================== nodes

    /** Evaluates an operand unless it is a literal (kernels then use the scalar). */
    static ColumnVector operand(PhysicalExpr e, Morsel input, EvalContext ctx) {
        return e instanceof Literal ? null : e.evaluate(input, ctx);
    }

    /** Unsigned lexicographic comparison of two byte ranges (UTF-8 byte order = code point order). */
    static int compareBytes(MemorySegment a, long aOff, int aLen, MemorySegment b, long bOff, int bLen) {
        long m = MemorySegment.mismatch(a, aOff, aOff + aLen, b, bOff, bOff + bLen);
        if (m < 0) {
            return 0;
        }
        if (m == aLen) {
            return -1;
        }
        if (m == bLen) {
            return 1;
        }
        return Integer.compare(Byte.toUnsignedInt(a.get(ValueLayout.JAVA_BYTE, aOff + m)),
                Byte.toUnsignedInt(b.get(ValueLayout.JAVA_BYTE, bOff + m)));
    }

}
