package dev.spillway.operators.eval;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
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

    /** A reference to input column {@code index}. */
    public static PhysicalExpr column(int index, String name, DataType type) {
        return new ColumnRef(index, name, type);
    }

    /**
     * A constant of {@code type}: Integer (int32), Long or Integer (int64), any Number (float64),
     * Boolean, String (utf8), LocalDate or Integer days (date32), or null.
     */
    public static PhysicalExpr literal(Object value, DataType type) {
        return new Literal(normalize(value, type), type);
    }

    private static Object normalize(Object value, DataType type) {
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

    private static ExprTypeException mismatch(BinaryOp op, DataType l, DataType r, String where) {
        return new ExprTypeException("cannot apply '" + op.symbol() + "' to " + l.displayName() + " and "
                + r.displayName() + " in " + where);
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
            case NEGATE -> t.isNumeric() ? t : null;
            case IS_NULL, IS_NOT_NULL -> DataType.BOOLEAN;
            case LENGTH -> t == DataType.UTF8 ? DataType.INT32 : null;
            case YEAR, MONTH, DAY -> t == DataType.DATE32 ? DataType.INT32 : null;
        };
        if (result == null) {
            throw new ExprTypeException("cannot apply " + op.name().toLowerCase(java.util.Locale.ROOT) + " to "
                    + t.displayName() + " in " + where);
        }
        return new Unary(op, input, result);
    }

    /** A conversion to {@code to}; every pair of types converts (strings are parsed at run time). */
    public static PhysicalExpr cast(PhysicalExpr input, DataType to) {
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

    /** A test of a utf8 value against a constant pattern. */
    public static PhysicalExpr stringPredicate(StringOp op, PhysicalExpr input, String pattern) {
        if (input.type() != DataType.UTF8) {
            throw new ExprTypeException("cannot apply " + op.name().toLowerCase(java.util.Locale.ROOT) + " to "
                    + input.type().displayName() + " in " + input + ": it needs utf8");
        }
        return new StringMatch(op, input, pattern);
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
            if (v.type().isNumeric() && result.isNumeric()) {
                result = promote(result, v.type());
            } else {
                throw new ExprTypeException("when() branches have different types: " + result.displayName() + " and "
                        + v.type().displayName() + " (" + v + ")");
            }
        }
        List<PhysicalExpr> cast = new ArrayList<>();
        for (PhysicalExpr v : values) {
            cast.add(cast(v, result));
        }
        return new When(List.copyOf(conditions), cast, cast(otherwise, result), result);
    }

    /**
     * Evaluates an expression that references no column (constant folding).
     *
     * @return Integer, Long, Double, Boolean, String, LocalDate or null
     */
    public static Object evaluateConstant(PhysicalExpr expr) {
        if (expr instanceof Literal l) {
            return l.value;
        }
        try (BlockPool pool = new BlockPool(64 << 10);
             MemoryBudget budget = MemoryBudget.root("constant-folding", 64L << 20);
             Morsel one = new Morsel(new Schema(List.of()), List.of(), 1, 0);
             ColumnVector v = expr.evaluate(one, new EvalContext(pool, budget))) {
            return v.getObject(0);
        }
    }

    // ================================================================== nodes

    /** Column reference: a zero-copy view of an input column. */
    record ColumnRef(int index, String name, DataType type) implements PhysicalExpr {
        @Override
        public ColumnVector evaluate(Morsel input, EvalContext ctx) {
            ColumnVector c = input.column(index);
            return c.slice(0, c.length());
        }

        @Override
        public String toString() {
            return "col(\"" + name + "\")";
        }
    }

    /** A constant, broadcast when evaluated on its own. */
    record Literal(Object value, DataType type) implements PhysicalExpr {

        @Override
        public ColumnVector evaluate(Morsel input, EvalContext ctx) {
            int n = input.rowCount();
            try (ColumnBuilder b = ColumnBuilder.create(type, ctx.pool(), ctx.budget(), n)) {
                for (int i = 0; i < n; i++) {
                    b.appendObject(value);
                }
                return b.build();
            }
        }

        double asDouble() {
            return ((Number) value).doubleValue();
        }

        /** A vector of {@code n} nulls of {@code type}. */
        static ColumnVector nulls(DataType type, int n, EvalContext ctx) {
            return new Literal(null, type).evaluate(new Morsel(new Schema(List.of()), List.of(), n, 0), ctx);
        }

        long asLong() {
            return switch (value) {
                case Boolean bo -> bo ? 1 : 0;
                case LocalDate d -> d.toEpochDay();
                default -> ((Number) value).longValue();
            };
        }

        @Override
        public String toString() {
            return switch (value) {
                case null -> "null";
                case String s -> "\"" + s + "\"";
                case LocalDate d -> "date(" + d + ")";
                default -> value.toString();
            };
        }
    }

    /** Evaluates an operand unless it is a literal (kernels then use the scalar). */
    private static ColumnVector operand(PhysicalExpr e, Morsel input, EvalContext ctx) {
        return e instanceof Literal ? null : e.evaluate(input, ctx);
    }

    /** Arithmetic with promotion. */
    record Arithmetic(BinaryOp op, PhysicalExpr left, PhysicalExpr right, DataType type) implements PhysicalExpr {

        @Override
        public ColumnVector evaluate(Morsel input, EvalContext ctx) {
            int n = input.rowCount();
            // A literal left operand is broadcast; a literal right operand stays a scalar.
            ColumnVector a = left.evaluate(input, ctx);
            try (a; ColumnVector b = operand(right, input, ctx)) {
                Literal rl = right instanceof Literal l ? l : null;
                if (rl != null && rl.value == null) {
                    return Literal.nulls(type, n, ctx);
                }
                if (type == DataType.FLOAT64) {
                    double scalar = rl == null ? 0 : rl.asDouble();
                    ColumnVector fast = Kernels.arithmeticDouble(op, a, b, scalar, n, ctx);
                    return fast != null ? fast : doubles(a, b, scalar, n, ctx);
                }
                long scalar = rl == null ? 0 : rl.asLong();
                ColumnVector fast = type == DataType.INT64 ? Kernels.arithmeticLong(op, a, b, scalar, n, ctx) : null;
                return fast != null ? fast : longs(a, b, scalar, n, ctx);
            }
        }

        private ColumnVector doubles(ColumnVector a, ColumnVector b, double scalar, int n, EvalContext ctx) {
            try (Float64Builder out = (Float64Builder) ColumnBuilder.create(DataType.FLOAT64, ctx.pool(), ctx.budget(), n)) {
                boolean nulls = a.hasNulls() || (b != null && b.hasNulls());
                for (int i = 0; i < n; i++) {
                    if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                        out.appendNull();
                        continue;
                    }
                    double x = Values.doubleAt(a, i);
                    double y = b == null ? scalar : Values.doubleAt(b, i);
                    out.append(switch (op) {
                        case PLUS -> x + y;
                        case MINUS -> x - y;
                        case TIMES -> x * y;
                        case DIV -> x / y;
                        default -> x % y;
                    });
                }
                return out.build();
            }
        }

        private ColumnVector longs(ColumnVector a, ColumnVector b, long scalar, int n, EvalContext ctx) {
            boolean narrow = type == DataType.INT32;
            try (ColumnBuilder out = ColumnBuilder.create(type, ctx.pool(), ctx.budget(), n)) {
                Int32Builder o32 = narrow ? (Int32Builder) out : null;
                Int64Builder o64 = narrow ? null : (Int64Builder) out;
                boolean nulls = a.hasNulls() || (b != null && b.hasNulls());
                for (int i = 0; i < n; i++) {
                    if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                        out.appendNull();
                        continue;
                    }
                    long x = Values.longAt(a, i);
                    long y = b == null ? scalar : Values.longAt(b, i);
                    long r;
                    switch (op) {
                        case PLUS -> r = x + y;
                        case MINUS -> r = x - y;
                        case TIMES -> r = x * y;
                        default -> {
                            if (y == 0) {
                                out.appendNull();
                                continue;
                            }
                            r = x % y;
                        }
                    }
                    // int32 results wrap like Java int arithmetic: the low 32 bits of the long result.
                    if (narrow) {
                        o32.append((int) r);
                    } else {
                        o64.append(r);
                    }
                }
                return out.build();
            }
        }

        @Override
        public String toString() {
            return "(" + left + " " + op.symbol() + " " + right + ")";
        }
    }

    /** Comparison producing booleans. */
    record Comparison(BinaryOp op, PhysicalExpr left, PhysicalExpr right, DataType common) implements PhysicalExpr {

        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public ColumnVector evaluate(Morsel input, EvalContext ctx) {
            int n = input.rowCount();
            Literal rl = right instanceof Literal l ? l : null;
            if (rl != null && rl.value == null) {
                return Literal.nulls(DataType.BOOLEAN, n, ctx);
            }
            ColumnVector a = left.evaluate(input, ctx);
            try (a; ColumnVector b = operand(right, input, ctx)) {
                ColumnVector fast = Kernels.compare(op, common, a, b, rl == null || common != DataType.FLOAT64 ? 0 : rl.asDouble(),
                        rl == null || common == DataType.FLOAT64 || common == DataType.UTF8 ? 0 : rl.asLong(), n, ctx);
                return fast != null ? fast : general(a, b, rl, n, ctx);
            }
        }

        private ColumnVector general(ColumnVector a, ColumnVector b, Literal rl, int n, EvalContext ctx) {
            try (BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
                boolean nulls = a.hasNulls() || (b != null && b.hasNulls());
                if (common == DataType.UTF8) {
                    byte[] pattern = rl == null ? null : ((String) rl.value).getBytes(StandardCharsets.UTF_8);
                    MemorySegment p = pattern == null ? null : MemorySegment.ofArray(pattern);
                    Utf8Vector x = (Utf8Vector) a;
                    Utf8Vector y = (Utf8Vector) b;
                    for (int i = 0; i < n; i++) {
                        if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                            out.appendNull();
                            continue;
                        }
                        int c = y == null
                                ? compareBytes(x.dataSegment(), x.dataOffset(i), x.byteLength(i), p, 0, pattern.length)
                                : compareBytes(x.dataSegment(), x.dataOffset(i), x.byteLength(i), y.dataSegment(),
                                        y.dataOffset(i), y.byteLength(i));
                        out.append(test(c));
                    }
                } else if (common == DataType.FLOAT64) {
                    double scalar = rl == null ? 0 : rl.asDouble();
                    for (int i = 0; i < n; i++) {
                        if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                            out.appendNull();
                            continue;
                        }
                        double x = Values.doubleAt(a, i);
                        double y = b == null ? scalar : Values.doubleAt(b, i);
                        out.append(switch (op) {
                            case EQ -> x == y;
                            case NE -> x != y;
                            case LT -> x < y;
                            case LE -> x <= y;
                            case GT -> x > y;
                            default -> x >= y;
                        });
                    }
                } else {
                    long scalar = rl == null ? 0 : rl.asLong();
                    for (int i = 0; i < n; i++) {
                        if (nulls && (a.isNull(i) || (b != null && b.isNull(i)))) {
                            out.appendNull();
                            continue;
                        }
                        long x = Values.longAt(a, i);
                        long y = b == null ? scalar : Values.longAt(b, i);
                        out.append(test(Long.compare(x, y)));
                    }
                }
                return out.build();
            }
        }

        private boolean test(int c) {
            return switch (op) {
                case EQ -> c == 0;
                case NE -> c != 0;
                case LT -> c < 0;
                case LE -> c <= 0;
                case GT -> c > 0;
                default -> c >= 0;
            };
        }

        @Override
        public String toString() {
            return "(" + left + " " + op.symbol() + " " + right + ")";
        }
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

    /** AND / OR with SQL three-valued logic. */
    record Logical(BinaryOp op, PhysicalExpr left, PhysicalExpr right) implements PhysicalExpr {

        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public ColumnVector evaluate(Morsel input, EvalContext ctx) {
            int n = input.rowCount();
            boolean and = op == BinaryOp.AND;
            try (ColumnVector av = left.evaluate(input, ctx); ColumnVector bv = right.evaluate(input, ctx)) {
                ColumnVector fast = Kernels.logical(op, av, bv, n, ctx);
                return fast != null ? fast : general(av, bv, n, and, ctx);
            }
        }

        private static ColumnVector general(ColumnVector av, ColumnVector bv, int n, boolean and, EvalContext ctx) {
            try (BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
                BooleanVector a = (BooleanVector) av;
                BooleanVector b = (BooleanVector) bv;
                for (int i = 0; i < n; i++) {
                    boolean an = a.isNull(i);
                    boolean bn = b.isNull(i);
                    boolean x = !an && a.get(i);
                    boolean y = !bn && b.get(i);
                    if (and) {
                        // false wins over null; null AND true is null.
                        if ((!an && !x) || (!bn && !y)) {
                            out.append(false);
                        } else if (an || bn) {
                            out.appendNull();
                        } else {
                            out.append(true);
                        }
                    } else {
                        if ((!an && x) || (!bn && y)) {
                            out.append(true);
                        } else if (an || bn) {
                            out.appendNull();
                        } else {
                            out.append(false);
                        }
                    }
                }
                return out.build();
            }
        }

        @Override
        public String toString() {
            return "(" + left + " " + op.symbol() + " " + right + ")";
        }
    }

    /** Unary operators and functions. */
    record Unary(UnaryOp op, PhysicalExpr input, DataType type) implements PhysicalExpr {

        @Override
        public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
            int n = morsel.rowCount();
            try (ColumnVector v = input.evaluate(morsel, ctx);
                 ColumnBuilder out = ColumnBuilder.create(type, ctx.pool(), ctx.budget(), n)) {
                for (int i = 0; i < n; i++) {
                    boolean isNull = v.isNull(i);
                    switch (op) {
                        case IS_NULL -> ((BooleanBuilder) out).append(isNull);
                        case IS_NOT_NULL -> ((BooleanBuilder) out).append(!isNull);
                        default -> {
                            if (isNull) {
                                out.appendNull();
                                continue;
                            }
                            switch (op) {
                                case NOT -> ((BooleanBuilder) out).append(!((BooleanVector) v).get(i));
                                case NEGATE -> {
                                    switch (out) {
                                        case Float64Builder f -> f.append(-Values.doubleAt(v, i));
                                        case Int64Builder l -> l.append(-Values.longAt(v, i));
                                        default -> ((Int32Builder) out).append((int) -Values.longAt(v, i));
                                    }
                                }
                                case LENGTH -> ((Int32Builder) out).append(codePoints((Utf8Vector) v, i));
                                case YEAR -> ((Int32Builder) out).append(Values.year(Values.longAt(v, i)));
                                case MONTH -> ((Int32Builder) out).append(Values.month(Values.longAt(v, i)));
                                default -> ((Int32Builder) out).append(Values.day(Values.longAt(v, i)));
                            }
                        }
                    }
                }
                return out.build();
            }
        }

        private static int codePoints(Utf8Vector v, int row) {
            MemorySegment d = v.dataSegment();
            long off = v.dataOffset(row);
            int len = v.byteLength(row);
            int n = 0;
            for (int k = 0; k < len; k++) {
                // Every code point has exactly one byte that is not a continuation byte (10xxxxxx).
                if ((d.get(ValueLayout.JAVA_BYTE, off + k) & 0xC0) != 0x80) {
                    n++;
                }
            }
            return n;
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

    /** String tests. */
    static final class StringMatch implements PhysicalExpr {
        final StringOp op;
        final PhysicalExpr input;
        final String pattern;
        final byte[] bytes;

        StringMatch(StringOp op, PhysicalExpr input, String pattern) {
            this.op = op;
            this.input = input;
            this.pattern = pattern;
            this.bytes = pattern.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
            int n = morsel.rowCount();
            MemorySegment p = MemorySegment.ofArray(bytes);
            int pl = bytes.length;
            try (ColumnVector cv = input.evaluate(morsel, ctx);
                 BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
                Utf8Vector v = (Utf8Vector) cv;
                MemorySegment d = v.dataSegment();
                for (int i = 0; i < n; i++) {
                    if (v.isNull(i)) {
                        out.appendNull();
                        continue;
                    }
                    long off = v.dataOffset(i);
                    int len = v.byteLength(i);
                    boolean hit = switch (op) {
                        case STARTS_WITH -> len >= pl && MemorySegment.mismatch(d, off, off + pl, p, 0, pl) < 0;
                        case ENDS_WITH -> len >= pl && MemorySegment.mismatch(d, off + len - pl, off + len, p, 0, pl) < 0;
                        case CONTAINS -> indexOf(d, off, len, p, pl) >= 0;
                    };
                    out.append(hit);
                }
                return out.build();
            }
        }

        private static long indexOf(MemorySegment d, long off, int len, MemorySegment p, int pl) {
            if (pl == 0) {
                return 0;
            }
            byte first = p.get(ValueLayout.JAVA_BYTE, 0);
            for (long k = 0; k + pl <= len; k++) {
                if (d.get(ValueLayout.JAVA_BYTE, off + k) == first
                        && MemorySegment.mismatch(d, off + k, off + k + pl, p, 0, pl) < 0) {
                    return k;
                }
            }
            return -1;
        }

        @Override
        public String toString() {
            return input + ".str." + op.name().toLowerCase(java.util.Locale.ROOT) + "(\"" + pattern + "\")";
        }
    }

    /** Type conversion. */
    record Cast(PhysicalExpr input, DataType to) implements PhysicalExpr {

        @Override
        public DataType type() {
            return to;
        }

        @Override
        public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
            int n = morsel.rowCount();
            DataType from = input.type();
            try (ColumnVector v = input.evaluate(morsel, ctx);
                 ColumnBuilder out = ColumnBuilder.create(to, ctx.pool(), ctx.budget(), n)) {
                for (int i = 0; i < n; i++) {
                    if (v.isNull(i)) {
                        out.appendNull();
                        continue;
                    }
                    if (from == DataType.UTF8) {
                        fromString(((Utf8Vector) v).getString(i), out);
                        continue;
                    }
                    switch (out) {
                        case Utf8Builder s -> s.append(v.format(i));
                        case Float64Builder f -> f.append(from == DataType.BOOLEAN ? Values.longAt(v, i) : Values.doubleAt(v, i));
                        case Int64Builder l -> l.append(from == DataType.FLOAT64 ? toLong(Values.doubleAt(v, i)) : Values.longAt(v, i));
                        case Int32Builder x -> x.append(from == DataType.FLOAT64 ? (int) toLong(Values.doubleAt(v, i))
                                : (int) Values.longAt(v, i));
                        case BooleanBuilder b -> b.append(from == DataType.FLOAT64 ? Values.doubleAt(v, i) != 0
                                : Values.longAt(v, i) != 0);
                    }
                }
                return out.build();
            }
        }

        private long toLong(double d) {
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new ExprEvaluationException("cannot cast " + d + " to " + to.displayName() + " in " + this);
            }
            return (long) d;
        }

        private void fromString(String s, ColumnBuilder out) {
            String t = s.strip();
            try {
                switch (out) {
                    case Int32Builder x when to == DataType.DATE32 -> x.append((int) LocalDate.parse(t).toEpochDay());
                    case Int32Builder x -> x.append(Integer.parseInt(t));
                    case Int64Builder l -> l.append(Long.parseLong(t));
                    case Float64Builder f -> f.append(Double.parseDouble(t));
                    case BooleanBuilder b -> {
                        if (t.equalsIgnoreCase("true")) {
                            b.append(true);
                        } else if (t.equalsIgnoreCase("false")) {
                            b.append(false);
                        } else {
                            throw new IllegalArgumentException();
                        }
                    }
                    case Utf8Builder u -> u.append(s);
                }
            } catch (RuntimeException e) {
                throw new ExprEvaluationException("cannot cast '" + s + "' to " + to.displayName() + " in " + this
                        + (to == DataType.DATE32 ? " (expected yyyy-MM-dd)" : to == DataType.BOOLEAN ? " (expected true or false)" : ""));
            }
        }

        @Override
        public String toString() {
            return input + ".cast(" + to.displayName() + ")";
        }
    }

    /** Conditional value. */
    record When(List<PhysicalExpr> conditions, List<PhysicalExpr> values, PhysicalExpr otherwise, DataType type)
            implements PhysicalExpr {

        @Override
        public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
            int n = morsel.rowCount();
            int k = conditions.size();
            List<ColumnVector> conds = new ArrayList<>(k);
            List<ColumnVector> vals = new ArrayList<>(k + 1);
            try (ColumnBuilder out = ColumnBuilder.create(type, ctx.pool(), ctx.budget(), n)) {
                for (int j = 0; j < k; j++) {
                    conds.add(conditions.get(j).evaluate(morsel, ctx));
                    vals.add(values.get(j).evaluate(morsel, ctx));
                }
                vals.add(otherwise.evaluate(morsel, ctx));
                for (int i = 0; i < n; i++) {
                    int pick = k;
                    for (int j = 0; j < k; j++) {
                        BooleanVector c = (BooleanVector) conds.get(j);
                        if (!c.isNull(i) && c.get(i)) {
                            pick = j;
                            break;
                        }
                    }
                    out.appendFrom(vals.get(pick), i);
                }
                return out.build();
            } finally {
                conds.forEach(ColumnVector::close);
                vals.forEach(ColumnVector::close);
            }
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < conditions.size(); j++) {
                sb.append(j == 0 ? "when(" : ".when(").append(conditions.get(j)).append(").then(").append(values.get(j))
                        .append(')');
            }
            return sb.append(".otherwise(").append(otherwise).append(')').toString();
        }
    }
}
