package dev.spillway.operators.eval;

import dev.spillway.expr.BinaryOp;
import dev.spillway.expr.StringOp;
import dev.spillway.expr.UnaryOp;

import dev.spillway.types.DataType;
import dev.spillway.types.Schema;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A plain-Java model of expression semantics: random expression trees that can both be compiled
 * to {@link PhysicalExpr}s and evaluated row by row over boxed values, as the test oracle.
 */
final class OracleExpr {
    private OracleExpr() {
    }

    /** A node of a random expression. */
    interface Node {
        DataType type();

        Object eval(List<Object> row);

        PhysicalExpr compile(Schema schema);
    }

    private static final DataType[] NUMERIC = {DataType.INT32, DataType.INT64, DataType.FLOAT64};
    /** Every type but DECIMAL128 and TIMESTAMP, which have their own oracles (DecimalEvalTest, TimestampEvalTest). */
    private static final DataType[] PLAIN = Arrays.stream(DataType.values())
            .filter(t -> t != DataType.DECIMAL128 && t != DataType.TIMESTAMP)
            .toArray(DataType[]::new);

    static Node random(Random rnd, Schema schema, int depth) {
        return random(rnd, schema, depth, PLAIN[rnd.nextInt(PLAIN.length)]);
    }

    static Node random(Random rnd, Schema schema, int depth, DataType want) {
        if (depth == 0 || rnd.nextInt(10) < 3) {
            return leaf(rnd, schema, want);
        }
        int d = depth - 1;
        switch (want) {
            case INT32 -> {
                return switch (rnd.nextInt(8)) {
                    case 0 -> new Arith(BinaryOp.values()[rnd.nextInt(3)], random(rnd, schema, d, DataType.INT32),
                            random(rnd, schema, d, DataType.INT32));
                    case 5 -> new Fn(UnaryOp.ABS, random(rnd, schema, d, DataType.INT32));
                    case 6 -> new RoundTo(random(rnd, schema, d, DataType.INT32), rnd.nextInt(5) - 3);
                    case 7 -> new Coalesce(randoms(rnd, schema, d, want));
                    case 1 -> new Fn(UnaryOp.CHAR_LENGTH, random(rnd, schema, d, DataType.UTF8));
                    case 2 -> new Fn(UnaryOp.values()[5 + rnd.nextInt(3)], random(rnd, schema, d, DataType.DATE32));
                    case 3 -> new Arith(BinaryOp.MOD, random(rnd, schema, d, DataType.INT32), random(rnd, schema, d, DataType.INT32));
                    default -> new When(random(rnd, schema, d, DataType.BOOLEAN), random(rnd, schema, d, want),
                            random(rnd, schema, d, want));
                };
            }
            case INT64, FLOAT64 -> {
                if (rnd.nextInt(6) == 0) {
                    return new When(random(rnd, schema, d, DataType.BOOLEAN), random(rnd, schema, d, want),
                            random(rnd, schema, d, want));
                }
                if (want == DataType.FLOAT64 && rnd.nextInt(4) == 0) {
                    return new Arith(BinaryOp.DIV, random(rnd, schema, d, NUMERIC[rnd.nextInt(3)]),
                            random(rnd, schema, d, NUMERIC[rnd.nextInt(3)]));
                }
                if (rnd.nextInt(8) == 0) {
                    return new Fn(rnd.nextBoolean() ? UnaryOp.NEGATE : UnaryOp.ABS, random(rnd, schema, d, want));
                }
                if (rnd.nextInt(8) == 0) {
                    return new RoundTo(random(rnd, schema, d, want), rnd.nextInt(9) - 3);
                }
                if (rnd.nextInt(10) == 0) {
                    return new Coalesce(randoms(rnd, schema, d, want));
                }
                // One operand of the wanted type, the other of a type that does not widen it.
                DataType other = want == DataType.INT64 ? NUMERIC[rnd.nextInt(2)] : NUMERIC[rnd.nextInt(3)];
                Node a = random(rnd, schema, d, want);
                Node b = random(rnd, schema, d, other);
                BinaryOp op = BinaryOp.values()[rnd.nextInt(3)];
                if (rnd.nextInt(6) == 0) {
                    op = BinaryOp.MOD;
                }
                return rnd.nextBoolean() ? new Arith(op, a, b) : new Arith(op, b, a);
            }
            case BOOLEAN -> {
                return switch (rnd.nextInt(10)) {
                    case 7 -> {
                        DataType t = PLAIN[rnd.nextInt(PLAIN.length)];
                        List<Object> vals = new java.util.ArrayList<>();
                        for (int k = rnd.nextInt(5); k > 0; k--) {
                            Lit l = (Lit) leaf(rnd, Schema.of(), t == DataType.FLOAT64 && rnd.nextBoolean() ? DataType.INT32 : t);
                            vals.add(l.value() instanceof Integer i && t == DataType.INT32 ? (Object) (i + rnd.nextInt(15)) : l.value());
                        }
                        yield new IsIn(random(rnd, schema, d, t), vals);
                    }
                    case 8 -> {
                        DataType t = PLAIN[rnd.nextInt(PLAIN.length)];
                        DataType b = t.isNumeric() ? NUMERIC[rnd.nextInt(3)] : t;
                        yield new Between(random(rnd, schema, d, t), random(rnd, schema, d, b), random(rnd, schema, d, b));
                    }
                    case 9 -> new LikeNode(random(rnd, schema, d, DataType.UTF8), randomPattern(rnd), rnd.nextBoolean());
                    case 0, 1 -> new Cmp(BinaryOp.values()[5 + rnd.nextInt(6)], random(rnd, schema, d, NUMERIC[rnd.nextInt(3)]),
                            random(rnd, schema, d, NUMERIC[rnd.nextInt(3)]));
                    case 2 -> {
                        DataType t = new DataType[] {DataType.UTF8, DataType.DATE32, DataType.BOOLEAN}[rnd.nextInt(3)];
                        yield new Cmp(BinaryOp.values()[5 + rnd.nextInt(6)], random(rnd, schema, d, t), random(rnd, schema, d, t));
                    }
                    case 3 -> new Logic(rnd.nextBoolean() ? BinaryOp.AND : BinaryOp.OR, random(rnd, schema, d, DataType.BOOLEAN),
                            random(rnd, schema, d, DataType.BOOLEAN));
                    case 4 -> new Fn(rnd.nextBoolean() ? UnaryOp.NOT : UnaryOp.IS_NULL, rnd.nextBoolean()
                            ? random(rnd, schema, d, DataType.BOOLEAN) : random(rnd, schema, d, DataType.BOOLEAN));
                    case 5 -> new Match(StringOp.values()[rnd.nextInt(3)], random(rnd, schema, d, DataType.UTF8),
                            new String[] {"a", "", "é", "shared", "zz"}[rnd.nextInt(5)]);
                    default -> new Fn(UnaryOp.IS_NOT_NULL, random(rnd, schema, d, NUMERIC[rnd.nextInt(3)]));
                };
            }
            case UTF8 -> {
                return switch (rnd.nextInt(4)) {
                    case 0 -> new Coalesce(randoms(rnd, schema, d, want));
                    case 1, 2 -> new SubstringNode(random(rnd, schema, d, want), rnd.nextInt(8) - 2,
                            rnd.nextInt(4) == 0 ? null : (long) rnd.nextInt(6));
                    default -> new When(random(rnd, schema, d, DataType.BOOLEAN), random(rnd, schema, d, want),
                            random(rnd, schema, d, want));
                };
            }
            case DATE32 -> {
                return switch (rnd.nextInt(4)) {
                    case 0 -> new Coalesce(randoms(rnd, schema, d, want));
                    case 1, 2 -> new DatePlus(random(rnd, schema, d, want), rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(61) - 30,
                            rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(201) - 100);
                    default -> new When(random(rnd, schema, d, DataType.BOOLEAN), random(rnd, schema, d, want),
                            random(rnd, schema, d, want));
                };
            }
            default -> {
                return new When(random(rnd, schema, d, DataType.BOOLEAN), random(rnd, schema, d, want), random(rnd, schema, d, want));
            }
        }
    }

    private static List<Node> randoms(Random rnd, Schema schema, int depth, DataType want) {
        List<Node> out = new java.util.ArrayList<>();
        for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
            out.add(random(rnd, schema, depth, want));
        }
        return out;
    }

    /** A LIKE pattern over a small alphabet, so that it often matches. */
    static String randomPattern(Random rnd) {
        String[] atoms = {"a", "b", "é", "日", "\uD83D\uDE00", "%", "%", "_", "_", "shared", "-"};
        StringBuilder sb = new StringBuilder();
        for (int k = rnd.nextInt(6); k > 0; k--) {
            sb.append(atoms[rnd.nextInt(atoms.length)]);
        }
        return sb.toString();
    }

    private static Node leaf(Random rnd, Schema schema, DataType want) {
        if (rnd.nextInt(3) > 0) {
            for (int i = 0; i < schema.size(); i++) {
                if (schema.field(i).type() == want) {
                    return new Col(i, schema.field(i).name(), want);
                }
            }
        }
        Object v = switch (want) {
            case INT32 -> rnd.nextInt(7) - 3;
            case INT64 -> (long) rnd.nextInt(1000) - 500;
            case FLOAT64 -> rnd.nextInt(5) == 0 ? 0.0 : rnd.nextInt(2000) / 8.0 - 100;
            case BOOLEAN -> rnd.nextBoolean();
            case UTF8 -> new String[] {"a", "b", "é", "", "shared-prefix-shared-prefix-x"}[rnd.nextInt(5)];
            case DATE32 -> LocalDate.ofEpochDay(rnd.nextInt(20_000));
            case DECIMAL128 -> throw new IllegalArgumentException("decimals have their own oracle");
            case TIMESTAMP -> throw new IllegalArgumentException("timestamps have their own oracle (TimestampEvalTest)");
        };
        return new Lit(rnd.nextInt(12) == 0 ? null : v, want);
    }

    record Col(int index, String name, DataType type) implements Node {
        @Override
        public Object eval(List<Object> row) {
            return row.get(index);
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.column(index, name, type);
        }
    }

    record Lit(Object value, DataType type) implements Node {
        @Override
        public Object eval(List<Object> row) {
            return value;
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.literal(value, type);
        }
    }

    record Arith(BinaryOp op, Node a, Node b) implements Node {
        @Override
        public DataType type() {
            return op == BinaryOp.DIV ? DataType.FLOAT64 : PhysicalExprs.promote(a.type(), b.type());
        }

        @Override
        public Object eval(List<Object> row) {
            Object x = a.eval(row);
            Object y = b.eval(row);
            if (x == null || y == null) {
                return null;
            }
            if (type() == DataType.FLOAT64) {
                double p = ((Number) x).doubleValue();
                double q = ((Number) y).doubleValue();
                return switch (op) {
                    case PLUS -> p + q;
                    case MINUS -> p - q;
                    case TIMES -> p * q;
                    case DIV -> p / q;
                    default -> p % q;
                };
            }
            long p = ((Number) x).longValue();
            long q = ((Number) y).longValue();
            long r;
            switch (op) {
                case PLUS -> r = p + q;
                case MINUS -> r = p - q;
                case TIMES -> r = p * q;
                default -> {
                    if (q == 0) {
                        return null;
                    }
                    r = p % q;
                }
            }
            return type() == DataType.INT32 ? (Object) (int) r : (Object) r;
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.binary(op, a.compile(schema), b.compile(schema));
        }
    }

    record Cmp(BinaryOp op, Node a, Node b) implements Node {
        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public Object eval(List<Object> row) {
            Object x = a.eval(row);
            Object y = b.eval(row);
            if (x == null || y == null) {
                return null;
            }
            if (x instanceof Number nx && y instanceof Number ny) {
                if (nx instanceof Double || ny instanceof Double) {
                    double p = nx.doubleValue();
                    double q = ny.doubleValue();
                    return switch (op) {
                        case EQ -> p == q;
                        case NE -> p != q;
                        case LT -> p < q;
                        case LE -> p <= q;
                        case GT -> p > q;
                        default -> p >= q;
                    };
                }
                return test(Long.compare(nx.longValue(), ny.longValue()));
            }
            int c = switch (x) {
                case String s -> Arrays.compareUnsigned(s.getBytes(StandardCharsets.UTF_8),
                        ((String) y).getBytes(StandardCharsets.UTF_8));
                case LocalDate ld -> ld.compareTo((LocalDate) y);
                default -> Boolean.compare((Boolean) x, (Boolean) y);
            };
            return test(c);
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
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.binary(op, a.compile(schema), b.compile(schema));
        }
    }

    record Logic(BinaryOp op, Node a, Node b) implements Node {
        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public Object eval(List<Object> row) {
            Boolean x = (Boolean) a.eval(row);
            Boolean y = (Boolean) b.eval(row);
            if (op == BinaryOp.AND) {
                if (Boolean.FALSE.equals(x) || Boolean.FALSE.equals(y)) {
                    return false;
                }
                return x == null || y == null ? null : true;
            }
            if (Boolean.TRUE.equals(x) || Boolean.TRUE.equals(y)) {
                return true;
            }
            return x == null || y == null ? null : false;
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.binary(op, a.compile(schema), b.compile(schema));
        }
    }

    record Fn(UnaryOp op, Node a) implements Node {
        @Override
        public DataType type() {
            return switch (op) {
                case NOT, IS_NULL, IS_NOT_NULL -> DataType.BOOLEAN;
                case NEGATE, ABS -> a.type();
                default -> DataType.INT32;
            };
        }

        @Override
        public Object eval(List<Object> row) {
            Object x = a.eval(row);
            if (op == UnaryOp.IS_NULL) {
                return x == null;
            }
            if (op == UnaryOp.IS_NOT_NULL) {
                return x != null;
            }
            if (x == null) {
                return null;
            }
            return switch (op) {
                case NOT -> !(Boolean) x;
                case NEGATE -> switch (x) {
                    case Integer i -> -i;
                    case Long l -> -l;
                    default -> -(Double) x;
                };
                case ABS -> switch (x) {
                    case Integer i -> Math.abs(i);
                    case Long l -> Math.abs(l);
                    default -> Math.abs((Double) x);
                };
                case CHAR_LENGTH -> ((String) x).codePointCount(0, ((String) x).length());
                case YEAR -> ((LocalDate) x).getYear();
                case MONTH -> ((LocalDate) x).getMonthValue();
                default -> ((LocalDate) x).getDayOfMonth();
            };
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.unary(op, a.compile(schema));
        }
    }

    record Match(StringOp op, Node a, String pattern) implements Node {
        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public Object eval(List<Object> row) {
            String s = (String) a.eval(row);
            if (s == null) {
                return null;
            }
            return switch (op) {
                case STARTS_WITH -> s.startsWith(pattern);
                case ENDS_WITH -> s.endsWith(pattern);
                case CONTAINS -> s.contains(pattern);
            };
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.stringPredicate(op, a.compile(schema), pattern);
        }
    }

    record When(Node cond, Node then, Node otherwise) implements Node {
        @Override
        public DataType type() {
            return then.type();
        }

        @Override
        public Object eval(List<Object> row) {
            return Objects.equals(cond.eval(row), Boolean.TRUE) ? then.eval(row) : otherwise.eval(row);
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.when(List.of(cond.compile(schema)), List.of(then.compile(schema)), otherwise.compile(schema));
        }
    }

    /** Round half away from zero of the value's shortest decimal form; integers keep their type. */
    record RoundTo(Node a, int digits) implements Node {
        @Override
        public DataType type() {
            return a.type();
        }

        @Override
        public Object eval(List<Object> row) {
            Object x = a.eval(row);
            return switch (x) {
                case null -> null;
                case Double v when v.isNaN() || v.isInfinite() -> v;
                case Double v -> {
                    double r = new java.math.BigDecimal(Double.toString(v)).setScale(digits, java.math.RoundingMode.HALF_UP)
                            .doubleValue();
                    yield r == 0 ? 0.0 : r;
                }
                case Integer v -> (int) java.math.BigDecimal.valueOf(v).setScale(digits, java.math.RoundingMode.HALF_UP)
                        .setScale(0, java.math.RoundingMode.UNNECESSARY).longValue();
                default -> java.math.BigDecimal.valueOf((Long) x).setScale(digits, java.math.RoundingMode.HALF_UP)
                        .setScale(0, java.math.RoundingMode.UNNECESSARY).longValue();
            };
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.round(a.compile(schema), digits);
        }
    }

    /** First non-null value; all operands have the same type. */
    record Coalesce(List<Node> inputs) implements Node {
        @Override
        public DataType type() {
            return inputs.get(0).type();
        }

        @Override
        public Object eval(List<Object> row) {
            for (Node n : inputs) {
                Object v = n.eval(row);
                if (v != null) {
                    return v;
                }
            }
            return null;
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.coalesce(inputs.stream().map(n -> n.compile(schema)).toList());
        }
    }

    /** SQL IN with SQL nulls. */
    record IsIn(Node a, List<Object> values) implements Node {
        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public Object eval(List<Object> row) {
            Object x = a.eval(row);
            if (x == null) {
                return null;
            }
            boolean sawNull = false;
            for (Object v : values) {
                if (v == null) {
                    sawNull = true;
                } else if (x instanceof Number nx && v instanceof Number nv) {
                    if (nx instanceof Double || nv instanceof Double ? nx.doubleValue() == nv.doubleValue()
                            : nx.longValue() == nv.longValue()) {
                        return true;
                    }
                } else if (x.equals(v)) {
                    return true;
                }
            }
            return sawNull ? null : false;
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.isIn(a.compile(schema), values);
        }
    }

    /** {@code x >= lo AND x <= hi} by the oracle's own comparison and logic. */
    record Between(Node a, Node lo, Node hi) implements Node {
        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public Object eval(List<Object> row) {
            return new Logic(BinaryOp.AND, new Cmp(BinaryOp.GE, a, lo), new Cmp(BinaryOp.LE, a, hi)).eval(row);
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.between(a.compile(schema), lo.compile(schema), hi.compile(schema));
        }
    }

    /** LIKE by translation to a java.util.regex pattern ({@code %} is {@code .*}, {@code _} is one code point). */
    record LikeNode(Node a, String pattern, boolean negated) implements Node {
        @Override
        public DataType type() {
            return DataType.BOOLEAN;
        }

        @Override
        public Object eval(List<Object> row) {
            String s = (String) a.eval(row);
            return s == null ? null : regex(pattern).matcher(s).matches() != negated;
        }

        static java.util.regex.Pattern regex(String like) {
            StringBuilder re = new StringBuilder();
            StringBuilder lit = new StringBuilder();
            like.codePoints().forEach(c -> {
                if (c == '%' || c == '_') {
                    if (!lit.isEmpty()) {
                        re.append(java.util.regex.Pattern.quote(lit.toString()));
                        lit.setLength(0);
                    }
                    re.append(c == '%' ? ".*" : ".");
                } else {
                    lit.appendCodePoint(c);
                }
            });
            if (!lit.isEmpty()) {
                re.append(java.util.regex.Pattern.quote(lit.toString()));
            }
            return java.util.regex.Pattern.compile(re.toString(), java.util.regex.Pattern.DOTALL);
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.like(a.compile(schema), pattern, negated);
        }
    }

    /** SQL SUBSTRING over code points: the 1-based positions in [start, start + length) that exist. */
    record SubstringNode(Node a, long start, Long length) implements Node {
        @Override
        public DataType type() {
            return DataType.UTF8;
        }

        @Override
        public Object eval(List<Object> row) {
            String s = (String) a.eval(row);
            if (s == null) {
                return null;
            }
            int[] cps = s.codePoints().toArray();
            long from = Math.max(start, 1);
            long end = length == null ? Long.MAX_VALUE : start + length;
            StringBuilder sb = new StringBuilder();
            for (int p = 1; p <= cps.length; p++) {
                if (p >= from && p < end) {
                    sb.appendCodePoint(cps[p - 1]);
                }
            }
            return sb.toString();
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.substring(a.compile(schema), start, length);
        }
    }

    /** {@code date + months + days} by {@link LocalDate#plusMonths} and {@link LocalDate#plusDays}. */
    record DatePlus(Node a, long months, long days) implements Node {
        @Override
        public DataType type() {
            return DataType.DATE32;
        }

        @Override
        public Object eval(List<Object> row) {
            LocalDate d = (LocalDate) a.eval(row);
            return d == null ? null : d.plusMonths(months).plusDays(days);
        }

        @Override
        public PhysicalExpr compile(Schema schema) {
            return PhysicalExprs.addInterval(a.compile(schema), months, days);
        }
    }
}
