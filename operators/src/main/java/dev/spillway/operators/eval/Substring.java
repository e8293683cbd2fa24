package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * SQL {@code SUBSTRING(s FROM start FOR length)} on characters (code points): the characters at
 * 1-based positions {@code [start, start + length)} that exist; copies the bytes, decodes nothing.
 *
 * @param input  the utf8 operand
 * @param start  1-based position of the first character (0 and negative positions count before the string)
 * @param length number of positions, at least 0; {@link Long#MAX_VALUE} for "to the end"
 */
record Substring(PhysicalExpr input, long start, long length) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.UTF8;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        long from = Math.max(start, 1);
        long end = length == Long.MAX_VALUE ? Long.MAX_VALUE : start + length;
        long skip = from - 1;
        long take = Math.max(0, end - from);
        try (ColumnVector cv = input.evaluate(morsel, ctx);
             Utf8Builder out = (Utf8Builder) ColumnBuilder.create(DataType.UTF8, ctx.pool(), ctx.budget(), n)) {
            Utf8Vector v = (Utf8Vector) cv;
            MemorySegment d = v.dataSegment();
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                long off = v.dataOffset(i);
                long stop = off + v.byteLength(i);
                long s = advance(d, off, stop, skip);
                long e = advance(d, s, stop, take);
                out.append(d, s, (int) (e - s));
            }
            return out.build();
        }
    }

    /** The offset {@code chars} characters after {@code pos}, or {@code stop} if the string ends first. */
    private static long advance(MemorySegment d, long pos, long stop, long chars) {
        for (long c = 0; c < chars && pos < stop; c++) {
            pos++;
            // Skip the continuation bytes (10xxxxxx) of this character.
            while (pos < stop && (d.get(ValueLayout.JAVA_BYTE, pos) & 0xC0) == 0x80) {
                pos++;
            }
        }
        return pos;
    }

    @Override
    public String toString() {
        return input + ".str.substring(" + start + (length == Long.MAX_VALUE ? "" : ", " + length) + ")";
    }
}
