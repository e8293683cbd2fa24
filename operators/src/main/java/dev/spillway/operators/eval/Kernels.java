package dev.spillway.operators.eval;

import dev.spillway.expr.BinaryOp;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Branch-free fast paths for the common case: operands without nulls. Results are written
 * straight into a pre-sized native buffer (no builder, no per-row capacity or validity work);
 * booleans are packed eight at a time. Callers fall back to the general, null-aware loops when an
 * operand has nulls or a type combination is not covered here (a null return).
 */
final class Kernels {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private Kernels() {
    }

    /** {@code a op b} (b a vector) or {@code a op scalar} (b null) for float64 results; null if not covered. */
    static ColumnVector arithmeticDouble(BinaryOp op, ColumnVector a, ColumnVector b, double scalar, int n, EvalContext ctx) {
        if (a.hasNulls() || (b != null && b.hasNulls()) || !(a instanceof Float64Vector x)
                || (b != null && !(b instanceof Float64Vector))) {
            return null;
        }
        Float64Vector y = (Float64Vector) b;
        NativeBuffer out = ctx.pool().allocate(ctx.budget(), Math.max(1, 8L * n));
        MemorySegment o = out.segment();
        if (y == null) {
            switch (op) {
                case PLUS -> {
                    for (int i = 0; i < n; i++) {
                        o.setAtIndex(DOUBLE, i, x.get(i) + scalar);
                    }
                }
                case MINUS -> {
                    for (int i = 0; i < n; i++) {
                        o.setAtIndex(DOUBLE, i, x.get(i) - scalar);
                    }
                }
                case TIMES -> {
                    for (int i = 0; i < n; i++) {
                        o.setAtIndex(DOUBLE, i, x.get(i) * scalar);
                    }
                }
                case DIV -> {
                    for (int i = 0; i < n; i++) {
                        o.setAtIndex(DOUBLE, i, x.get(i) / scalar);
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        o.setAtIndex(DOUBLE, i, x.get(i) % scalar);
                    }
                }
            }
        } else {
            for (int i = 0; i < n; i++) {
                double p = x.get(i);
                double q = y.get(i);
                o.setAtIndex(DOUBLE, i, switch (op) {
                    case PLUS -> p + q;
                    case MINUS -> p - q;
                    case TIMES -> p * q;
                    case DIV -> p / q;
                    default -> p % q;
                });
            }
        }
        return ColumnVector.fromBuffers(DataType.FLOAT64, n, 0, null, out, null);
    }

    /** {@code a op b} for int64 results without MOD (which can produce nulls); null if not covered. */
    static ColumnVector arithmeticLong(BinaryOp op, ColumnVector a, ColumnVector b, long scalar, int n, EvalContext ctx) {
        if (op == BinaryOp.MOD || a.hasNulls() || (b != null && b.hasNulls()) || !(a instanceof Int64Vector x)
                || (b != null && !(b instanceof Int64Vector))) {
            return null;
        }
        Int64Vector y = (Int64Vector) b;
        NativeBuffer out = ctx.pool().allocate(ctx.budget(), Math.max(1, 8L * n));
        MemorySegment o = out.segment();
        for (int i = 0; i < n; i++) {
            long p = x.get(i);
            long q = y == null ? scalar : y.get(i);
            o.setAtIndex(LONG, i, switch (op) {
                case PLUS -> p + q;
                case MINUS -> p - q;
                default -> p * q;
            });
        }
        return ColumnVector.fromBuffers(DataType.INT64, n, 0, null, out, null);
    }

    /** Comparison of numbers without nulls, packing eight results per byte; null if not covered. */
    static ColumnVector compare(BinaryOp op, DataType common, ColumnVector a, ColumnVector b, double dScalar, long lScalar,
            int n, EvalContext ctx) {
        if (a.hasNulls() || (b != null && b.hasNulls()) || a instanceof BooleanVector || b instanceof BooleanVector) {
            return null;
        }
        if (common == DataType.UTF8) {
            return null;
        }
        NativeBuffer out = ctx.pool().allocateZeroed(ctx.budget(), Math.max(1, (n + 7L) >>> 3));
        MemorySegment o = out.segment();
        boolean asDouble = common == DataType.FLOAT64;
        for (int base = 0; base < n; base += 8) {
            int end = Math.min(n, base + 8);
            int bits = 0;
            for (int i = base; i < end; i++) {
                boolean r;
                if (asDouble) {
                    double p = doubleAt(a, i);
                    double q = b == null ? dScalar : doubleAt(b, i);
                    r = switch (op) {
                        case EQ -> p == q;
                        case NE -> p != q;
                        case LT -> p < q;
                        case LE -> p <= q;
                        case GT -> p > q;
                        default -> p >= q;
                    };
                } else {
                    long p = longAt(a, i);
                    long q = b == null ? lScalar : longAt(b, i);
                    r = switch (op) {
                        case EQ -> p == q;
                        case NE -> p != q;
                        case LT -> p < q;
                        case LE -> p <= q;
                        case GT -> p > q;
                        default -> p >= q;
                    };
                }
                bits |= (r ? 1 : 0) << (i - base);
            }
            o.set(ValueLayout.JAVA_BYTE, base >>> 3, (byte) bits);
        }
        return ColumnVector.fromBuffers(DataType.BOOLEAN, n, 0, null, out, null);
    }

    /** AND / OR of two boolean vectors without nulls, a byte at a time; null if not covered. */
    static ColumnVector logical(BinaryOp op, ColumnVector a, ColumnVector b, int n, EvalContext ctx) {
        if (a.hasNulls() || b.hasNulls()) {
            return null;
        }
        long bytes = (n + 7L) >>> 3;
        NativeBuffer out = ctx.pool().allocate(ctx.budget(), Math.max(1, bytes));
        NativeBuffer xCopy = null;
        NativeBuffer yCopy = null;
        try {
            MemorySegment x = a.bufferView(1);
            if (x == null) {
                xCopy = bitmapCopy(a, bytes, ctx);
                x = xCopy.segment();
            }
            MemorySegment y = b.bufferView(1);
            if (y == null) {
                yCopy = bitmapCopy(b, bytes, ctx);
                y = yCopy.segment();
            }
            MemorySegment o = out.segment();
            for (long k = 0; k < bytes; k++) {
                byte p = x.get(ValueLayout.JAVA_BYTE, k);
                byte q = y.get(ValueLayout.JAVA_BYTE, k);
                o.set(ValueLayout.JAVA_BYTE, k, (byte) (op == BinaryOp.AND ? p & q : p | q));
            }
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        } finally {
            if (xCopy != null) {
                xCopy.close();
            }
            if (yCopy != null) {
                yCopy.close();
            }
        }
        return ColumnVector.fromBuffers(DataType.BOOLEAN, n, 0, null, out, null);
    }

    /**
     * The normalized value bitmap of a boolean vector that is a view at a bit offset (no zero-copy
     * view of its bitmap exists), copied into native scratch the caller closes.
     */
    private static NativeBuffer bitmapCopy(ColumnVector v, long bytes, EvalContext ctx) {
        NativeBuffer copy = ctx.pool().allocate(ctx.budget(), Math.max(1, bytes));
        try {
            v.copyBuffer(1, copy.segment());
            return copy;
        } catch (RuntimeException | Error e) {
            copy.close();
            throw e;
        }
    }

    private static double doubleAt(ColumnVector v, int i) {
        if (v instanceof Float64Vector f) {
            return f.get(i);
        }
        return longAt(v, i);
    }

    private static long longAt(ColumnVector v, int i) {
        if (v instanceof Int64Vector l) {
            return l.get(i);
        }
        return ((Int32Vector) v).get(i);
    }
}
