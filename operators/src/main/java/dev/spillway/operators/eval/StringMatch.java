package dev.spillway.operators.eval;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** String tests. */
final class StringMatch implements PhysicalExpr {
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

    /** Offset of the first occurrence of the {@code pl} bytes of {@code p} in the {@code len} bytes at {@code off}, or -1. */
    static long indexOf(MemorySegment d, long off, int len, MemorySegment p, int pl) {
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
