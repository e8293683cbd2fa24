package dev.spillway.operators.eval;

import dev.spillway.expr.StringOp;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** String tests. */
final class StringMatch implements PhysicalExpr {
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101_0101_0101_0101L;
    private static final long HIGHS = 0x8080_8080_8080_8080L;

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
        MemorySegment p = MemorySegment.ofArray(bytes);
        int pl = bytes.length;
        return test(input, morsel, ctx, (d, off, len) -> switch (op) {
            case STARTS_WITH -> len >= pl && MemorySegment.mismatch(d, off, off + pl, p, 0, pl) < 0;
            case ENDS_WITH -> len >= pl && MemorySegment.mismatch(d, off + len - pl, off + len, p, 0, pl) < 0;
            case CONTAINS -> indexOf(d, off, len, p, pl) >= 0;
        });
    }

    /** A test of one UTF-8 value: {@code len} bytes at {@code off} of {@code d}. */
    @FunctionalInterface
    interface Utf8Test {
        boolean test(MemorySegment d, long off, int len);
    }

    /** Evaluates {@code input} (utf8) and applies {@code t} to each value: a boolean column, null where the input is. */
    static ColumnVector test(PhysicalExpr input, Morsel morsel, EvalContext ctx, Utf8Test t) {
        int n = morsel.rowCount();
        try (ColumnVector cv = input.evaluate(morsel, ctx);
             BooleanBuilder out = (BooleanBuilder) ColumnBuilder.create(DataType.BOOLEAN, ctx.pool(), ctx.budget(), n)) {
            Utf8Vector v = (Utf8Vector) cv;
            MemorySegment d = v.dataSegment();
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                } else {
                    out.append(t.test(d, v.dataOffset(i), v.byteLength(i)));
                }
            }
            return out.build();
        }
    }

    /** Offset of the first occurrence of the {@code pl} bytes of {@code p} in the {@code len} bytes at {@code off}, or -1. */
    static long indexOf(MemorySegment d, long off, int len, MemorySegment p, int pl) {
        if (pl == 0) {
            return 0;
        }
        long last = (long) len - pl;
        byte first = p.get(ValueLayout.JAVA_BYTE, 0);
        long firsts = (first & 0xFFL) * ONES;
        long lasts = (p.get(ValueLayout.JAVA_BYTE, pl - 1) & 0xFFL) * ONES;
        long k = 0;
        // Eight candidate positions at a time: flag the positions whose byte equals the pattern's
        // first byte and whose byte pl - 1 further equals its last one, with the has-zero-byte trick
        // on (word ^ firsts) and (word ^ lasts). Every true position is flagged; a borrow may flag a
        // false one too, so each flag is verified.
        for (; k + 7 <= last; k += 8) {
            long w = d.get(LE_LONG, off + k) ^ firsts;
            long v = d.get(LE_LONG, off + k + pl - 1) ^ lasts;
            long hits = (w - ONES) & ~w & (v - ONES) & ~v & HIGHS;
            while (hits != 0) {
                long at = k + (Long.numberOfTrailingZeros(hits) >>> 3);
                if (MemorySegment.mismatch(d, off + at, off + at + pl, p, 0, pl) < 0) {
                    return at;
                }
                hits &= hits - 1;
            }
        }
        for (; k <= last; k++) {
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
