package dev.spillway.memory.testing;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random test data: values of every type (with nulls, NaN, -0.0, multi-byte and long
 * strings), morsels built from rows of Java objects, and morsels read back as rows, so tests can
 * compare native results with plain {@code java.util} oracles.
 */
public final class RandomData {
    private RandomData() {
    }

    /** The precision and scale of {@link #allTypes()}' decimal column. */
    public static final DecimalType DECIMAL = DecimalType.of(38, 6);

    /** The time zone of {@link #allTypes()}' timestamp column (one with daylight-saving changes). */
    public static final String ZONE = "Europe/Berlin";

    /**
     * A schema with one nullable column of every type; the decimal one is {@link #DECIMAL}, the
     * timestamp one has time zone {@link #ZONE}.
     */
    public static Schema allTypes() {
        List<Field> fields = new ArrayList<>();
        for (DataType t : DataType.values()) {
            fields.add(Field.of(t.displayName() + "_col", t, t == DataType.DECIMAL128 ? DECIMAL : null,
                    t == DataType.TIMESTAMP ? ZONE : null));
        }
        return new Schema(fields);
    }

    /** A random value of {@code field}'s type (decimals and zoned timestamps included), or null. */
    public static Object value(Field field, Random rnd, double nullRate) {
        if (field.timeZone() != null) {
            return rnd.nextDouble() < nullRate ? null : Timestamps.toInstant(timestampMicros(rnd));
        }
        if (field.decimal() == null) {
            return value(field.type(), rnd, nullRate);
        }
        return rnd.nextDouble() < nullRate ? null : decimal(field.decimal(), rnd);
    }

    /**
     * Random timestamp microseconds between about 1906 and 2096: whole seconds, whole days,
     * microsecond precision, and a small set of repeated values (so that keys collide).
     */
    public static long timestampMicros(Random rnd) {
        long seconds = rnd.nextLong(6_000_000_000L) - 2_000_000_000L;
        return switch (rnd.nextInt(4)) {
            case 0 -> seconds * Timestamps.MICROS_PER_SECOND;
            case 1 -> Math.floorDiv(seconds, 86_400) * Timestamps.MICROS_PER_DAY;
            case 2 -> (1_700_000_000L + rnd.nextInt(50) * 3_600L) * Timestamps.MICROS_PER_SECOND;
            default -> seconds * Timestamps.MICROS_PER_SECOND + rnd.nextInt(1_000_000);
        };
    }

    /**
     * A random value of {@code type}: small ones, ones of every length up to the precision (the
     * largest, all nines, included), negatives, zero; always exactly at the type's scale.
     */
    public static BigDecimal decimal(DecimalType type, Random rnd) {
        int digits = switch (rnd.nextInt(4)) {
            case 0 -> 1 + rnd.nextInt(Math.min(4, type.precision()));
            case 1 -> type.precision();
            default -> 1 + rnd.nextInt(type.precision());
        };
        BigInteger unscaled;
        if (rnd.nextInt(10) == 0) {
            unscaled = DecimalType.pow10(digits).subtract(BigInteger.ONE);
        } else if (rnd.nextInt(20) == 0) {
            unscaled = BigInteger.ZERO;
        } else {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < digits; i++) {
                sb.append((char) ('0' + rnd.nextInt(10)));
            }
            unscaled = new BigInteger(sb.toString());
        }
        return new BigDecimal(rnd.nextBoolean() ? unscaled.negate() : unscaled, type.scale());
    }

    /**
     * A random value of {@code type} as a Java object ({@link ColumnVector#getObject}'s types), or
     * null (a LocalDateTime for TIMESTAMP); for DECIMAL128 and zoned timestamps use
     * {@link #value(Field, Random, double)}.
     */
    public static Object value(DataType type, Random rnd, double nullRate) {
        if (rnd.nextDouble() < nullRate) {
            return null;
        }
        return switch (type) {
            case INT32 -> rnd.nextInt(5) == 0 ? rnd.nextInt() : rnd.nextInt(1000) - 500;
            case INT64 -> rnd.nextInt(5) == 0 ? rnd.nextLong() : (long) rnd.nextInt(100_000);
            case FLOAT64 -> switch (rnd.nextInt(12)) {
                case 0 -> Double.NaN;
                case 1 -> -0.0;
                case 2 -> 0.0;
                case 3 -> Double.POSITIVE_INFINITY;
                default -> Math.round(rnd.nextGaussian() * 1e6) / 100.0;
            };
            case BOOLEAN -> rnd.nextBoolean();
            case DATE32 -> LocalDate.ofEpochDay(rnd.nextInt(40_000) - 10_000);
            case UTF8 -> string(rnd);
            case DECIMAL128 -> throw new IllegalArgumentException("a decimal value needs its precision and scale");
            case TIMESTAMP -> Timestamps.toLocal(timestampMicros(rnd));
        };
    }

    private static String string(Random rnd) {
        int kind = rnd.nextInt(20);
        int len = kind == 0 ? 64 + rnd.nextInt(2000) : kind == 1 ? 0 : rnd.nextInt(16);
        StringBuilder sb = new StringBuilder(kind == 2 ? "shared-prefix-shared-prefix-" : "");
        for (int i = 0; i < len; i++) {
            int c = rnd.nextInt(40);
            sb.append(c == 0 ? "é" : c == 1 ? "日" : c == 2 ? "\uD83D\uDE00" : c == 3 ? "," : c == 4 ? "\"" : String.valueOf((char) ('a' + c % 26)));
        }
        return sb.toString();
    }

    /** {@code n} random rows of {@code schema}. */
    public static List<List<Object>> rows(Schema schema, int n, Random rnd, double nullRate) {
        List<List<Object>> rows = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            List<Object> row = new ArrayList<>(schema.size());
            for (Field f : schema) {
                row.add(value(f, rnd, f.nullable() ? nullRate : 0));
            }
            rows.add(row);
        }
        return rows;
    }

    /** A morsel holding {@code rows} (each a list of Java objects in schema order). */
    public static Morsel morsel(Schema schema, List<List<Object>> rows, long sequence, BlockPool pool, MemoryBudget budget) {
        List<ColumnVector> cols = new ArrayList<>(schema.size());
        try {
            for (int c = 0; c < schema.size(); c++) {
                try (ColumnBuilder b = ColumnBuilder.create(schema.field(c), pool, budget, rows.size())) {
                    for (List<Object> row : rows) {
                        b.appendObject(row.get(c));
                    }
                    cols.add(b.build());
                }
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            throw e;
        }
        return new Morsel(schema, cols, rows.size(), sequence);
    }

    /** The rows of a morsel as lists of Java objects. */
    public static List<List<Object>> rowsOf(Morsel m) {
        List<List<Object>> out = new ArrayList<>(m.rowCount());
        for (int r = 0; r < m.rowCount(); r++) {
            List<Object> row = new ArrayList<>(m.columnCount());
            for (int c = 0; c < m.columnCount(); c++) {
                row.add(m.column(c).getObject(r));
            }
            out.add(row);
        }
        return out;
    }
}
