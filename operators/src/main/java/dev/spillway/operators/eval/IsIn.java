package dev.spillway.operators.eval;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * SQL {@code x IN (v1, v2, ...)} against constants: true when x equals one of them; otherwise null
 * when x is null or a value is null, else false. The values are sorted once and each row is a
 * binary search: over longs (integers, dates, booleans), doubles (when either side is float64;
 * NaN equals nothing, {@code -0.0} equals {@code 0.0}) or UTF-8 bytes.
 */
final class IsIn implements PhysicalExpr {
    private final PhysicalExpr input;
    private final List<Object> values;
    private final boolean asDouble;
    private final boolean hasNull;
    private final long[] longs;
    private final double[] doubles;
    private final MemorySegment[] strings;

    /**
     * @param input    the operand
     * @param values   the constants (already checked to compare with the input), nulls included
     * @param asDouble whether numbers compare as float64
     */
    IsIn(PhysicalExpr input, List<Object> values, boolean asDouble) {
        this.input = input;
        this.values = values;
        this.asDouble = asDouble;
        this.hasNull = values.contains(null);
        List<Object> present = values.stream().filter(v -> v != null).toList();
        if (input.type() == DataType.UTF8) {
            strings = present.stream().map(v -> MemorySegment.ofArray(((String) v).getBytes(StandardCharsets.UTF_8)))
                    .sorted(Comparator.comparing(s -> s, IsIn::compare)).toArray(MemorySegment[]::new);
            longs = null;
            doubles = null;
        } else if (asDouble) {
            // NaN never matches; 0.0 stands for both zeros.
            doubles = present.stream().mapToDouble(v -> ((Number) v).doubleValue()).filter(d -> !Double.isNaN(d))
                    .map(d -> d == 0 ? 0.0 : d).sorted().distinct().toArray();
            longs = null;
            strings = null;
        } else {
            longs = present.stream().mapToLong(IsIn::asLong).sorted().distinct().toArray();
            doubles = null;
            strings = null;
        }
    }

    private static long asLong(Object v) {
        return switch (v) {
            case Boolean b -> b ? 1 : 0;
            case LocalDate d -> d.toEpochDay();
            default -> ((Number) v).longValue();
        };
    }

    private static int compare(MemorySegment a, MemorySegment b) {
        return PhysicalExprs.compareBytes(a, 0, (int) a.byteSize(), b, 0, (int) b.byteSize());
    }

    @Override
    public DataType type() {
        return DataType.BOOLEAN;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        try (ColumnVector v = input.evaluate(morsel, ctx);
             BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                boolean found;
                if (strings != null) {
                    found = containsString((Utf8Vector) v, i);
                } else if (asDouble) {
                    double d = Values.doubleAt(v, i);
                    found = Arrays.binarySearch(doubles, d == 0 ? 0.0 : d) >= 0 && !Double.isNaN(d);
                } else {
                    found = Arrays.binarySearch(longs, Values.longAt(v, i)) >= 0;
                }
                if (found) {
                    out.append(true);
                } else if (hasNull) {
                    out.appendNull();
                } else {
                    out.append(false);
                }
            }
            return out.build();
        }
    }

    private boolean containsString(Utf8Vector v, int row) {
        MemorySegment d = v.dataSegment();
        long off = v.dataOffset(row);
        int len = v.byteLength(row);
        int lo = 0;
        int hi = strings.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            MemorySegment s = strings[mid];
            int c = PhysicalExprs.compareBytes(s, 0, (int) s.byteSize(), d, off, len);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return input + ".is_in(" + values.stream().map(IsIn::render).collect(Collectors.joining(", ", "[", "]")) + ")";
    }

    static String render(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> "\"" + s + "\"";
            case LocalDate d -> "date(" + d + ")";
            case java.math.BigDecimal d -> d.toPlainString();
            default -> v.toString();
        };
    }
}
