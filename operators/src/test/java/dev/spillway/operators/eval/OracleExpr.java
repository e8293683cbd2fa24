package dev.spillway.operators.eval;

import dev.spillway.memory.DataType;
import dev.spillway.memory.Schema;

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

    static Node random(Random rnd, Schema schema, int depth) {
        DataType[] all = DataType.values();
        return random(rnd, schema, depth, all[rnd.nextInt(all.length)]);
    }

    static Node random(Random rnd, Schema schema, int depth, DataType want) {
        if (depth == 0 || rnd.nextInt(10) < 3) {
            return leaf(rnd, schema, want);
        }
        int d = depth - 1;
        switch (want) {
            case INT32 -> {
                return switch (rnd.nextInt(5)) {
                    case 0 -> new Arith(BinaryOp.values()[rnd.nextInt(3)], random(rnd, schema, d, DataType.INT32),
                            random(rnd, schema, d, DataType.INT32));
                    case 1 -> new Fn(UnaryOp.LENGTH, random(rnd, schema, d, DataType.UTF8));
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
                    return new Fn(UnaryOp.NEGATE, random(rnd, schema, d, want));
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
                return switch (rnd.nextInt(7)) {
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
            default -> {
                return new When(random(rnd, schema, d, DataType.BOOLEAN), random(rnd, schema, d, want), random(rnd, schema, d, want));
            }
        }
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
                case NEGATE -> a.type();
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
                case LENGTH -> ((String) x).codePointCount(0, ((String) x).length());
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
}
