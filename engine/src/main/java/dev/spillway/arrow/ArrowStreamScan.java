package dev.spillway.arrow;

import dev.spillway.errors.ArrowInterfaceException;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;
import dev.spillway.plan.ExternalScan;
import dev.spillway.errors.PlanException;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A producer's {@code ArrowArrayStream} read as a scan ({@link dev.spillway.Spillway#fromArrowStream}).
 *
 * <p>Taking the stream moves it: its struct is copied to the C heap and the caller's marked
 * released, so the caller must not release it. The schema is read at once (a struct with one
 * child per column; types as {@link ArrowFormat#SUPPORTED}). The stream is single-pass: a second
 * execution of a frame over it fails. It is released when the query that read it ends, or when
 * the engine closes if no query ever did.
 *
 * <p>Batches become morsels without copying: the vectors wrap the producer's buffers, charged to
 * the query's budget, and the producer's release callback runs when the last vector over a batch
 * is closed (see {@link ImportedArray}). Only a bitmap that starts inside a byte and string
 * offsets that do not start at 0 are copied into budget memory, to Spillway's offset-0 form.
 */
public final class ArrowStreamScan implements ExternalScan {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private final MemorySegment stream;
    private final Schema schema;
    /** Per column: utf8 sent as large_utf8 ({@code U}, int64 offsets), whose offsets are narrowed on import. */
    private final boolean[] largeOffsets;
    private final AtomicBoolean opened = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ArrowStreamScan(MemorySegment stream, StreamSchema s) {
        this.stream = stream;
        this.schema = s.schema();
        this.largeOffsets = s.largeOffsets();
    }

    /** The columns and which of them come with int64 string offsets. */
    private record StreamSchema(Schema schema, boolean[] largeOffsets) {
    }

    /**
     * Takes over the stream at {@code streamPointer} and reads its schema.
     *
     * @throws ArrowInterfaceException when the stream is released already, its schema is not a
     *                                 struct of supported columns, or get_schema fails; the
     *                                 stream is released then
     */
    public static ArrowStreamScan take(MemorySegment streamPointer) {
        MemorySegment theirs = CData.struct(streamPointer, CData.STREAM_SIZE);
        if (theirs.get(CData.PTR, CData.STREAM_RELEASE) == 0) {
            throw new ArrowInterfaceException("the ArrowArrayStream at 0x" + Long.toHexString(theirs.address())
                    + " is already released (its release callback is NULL)");
        }
        MemorySegment ours = CData.calloc(CData.STREAM_SIZE);
        MemorySegment.copy(theirs, 0, ours, 0, CData.STREAM_SIZE);
        theirs.set(CData.PTR, CData.STREAM_RELEASE, 0L);
        try {
            return new ArrowStreamScan(ours, readSchema(ours));
        } catch (RuntimeException e) {
            releaseStream(ours);
            throw e;
        }
    }

    private static StreamSchema readSchema(MemorySegment stream) {
        MemorySegment s = CData.calloc(CData.SCHEMA_SIZE);
        try {
            int rc = CData.callGet(stream.get(CData.PTR, CData.STREAM_GET_SCHEMA), stream, s);
            if (rc != 0) {
                throw new ArrowInterfaceException("the Arrow stream's get_schema failed with errno " + rc + ": "
                        + lastError(stream));
            }
            try {
                String format = CData.getString(s.get(CData.PTR, CData.SCHEMA_FORMAT));
                if (!"+s".equals(format)) {
                    throw new ArrowInterfaceException("the Arrow stream's schema has format '" + format
                            + "'; a stream of record batches has a struct schema ('+s') with one child per column");
                }
                int n = Math.toIntExact(s.get(CData.I64, CData.SCHEMA_N_CHILDREN));
                MemorySegment children = CData.at(s.get(CData.PTR, CData.SCHEMA_CHILDREN), 8L * n);
                List<Field> fields = new ArrayList<>(n);
                boolean[] large = new boolean[n];
                for (int c = 0; c < n; c++) {
                    MemorySegment child = CData.at(children.getAtIndex(CData.PTR, c), CData.SCHEMA_SIZE);
                    String name = CData.getString(child.get(CData.PTR, CData.SCHEMA_NAME));
                    if (name == null || name.isEmpty()) {
                        name = "column_" + c;
                    }
                    String childFormat = CData.getString(child.get(CData.PTR, CData.SCHEMA_FORMAT));
                    if (child.get(CData.PTR, CData.SCHEMA_DICTIONARY) != 0) {
                        throw new ArrowInterfaceException("column '" + name + "' is dictionary-encoded (indices '"
                                + childFormat + "'), which Spillway cannot read; supported: " + ArrowFormat.SUPPORTED);
                    }
                    large[c] = ArrowFormat.LARGE_UTF8.equals(childFormat);
                    fields.add(ArrowFormat.toField(name, childFormat,
                            (child.get(CData.I64, CData.SCHEMA_FLAGS) & CData.FLAG_NULLABLE) != 0));
                }
                try {
                    return new StreamSchema(new Schema(fields), large);
                } catch (RuntimeException e) {
                    throw new ArrowInterfaceException("the Arrow stream's schema is not valid here: " + e.getMessage(), e);
                }
            } finally {
                long release = s.get(CData.PTR, CData.SCHEMA_RELEASE);
                if (release != 0) {
                    CData.callRelease(release, s);
                }
            }
        } finally {
            CData.free(s);
        }
    }

    private static String lastError(MemorySegment stream) {
        long fn = stream.get(CData.PTR, CData.STREAM_GET_LAST_ERROR);
        String m = fn == 0 ? null : CData.callLastError(fn, stream);
        return m == null ? "(no message)" : m;
    }

    private static void releaseStream(MemorySegment stream) {
        try {
            long release = stream.get(CData.PTR, CData.STREAM_RELEASE);
            if (release != 0) {
                CData.callRelease(release, stream);
            }
        } finally {
            CData.free(stream);
        }
    }

    @Override
    public Schema schema() {
        return schema;
    }

    @Override
    public String label() {
        return "ARROW C STREAM";
    }

    /**
     * The source that reads the batches; at most once.
     *
     * @throws PlanException when the stream was read (or released) already
     */
    @Override
    public Source open(BlockPool pool, MemoryBudget budget, int morselRows) {
        if (closed.get() || !opened.compareAndSet(false, true)) {
            throw new PlanException("this frame reads an Arrow C stream, which can be read only once and was read"
                    + " already; collect() the frame"
                    + " once and query the DataFrame (Spillway.fromDataFrame) to use its rows several times");
        }
        return new StreamSource(pool, budget, Math.max(1, morselRows));
    }

    /** Releases the producer's stream (arrays already read stay valid). Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            releaseStream(stream);
        }
    }

    // ------------------------------------------------------------------ reading

    /** Pulls batches one at a time (the stream is not thread-safe) and slices big ones into morsels. */
    private final class StreamSource implements Source {
        private final BlockPool pool;
        private final MemoryBudget budget;
        private final int morselRows;
        private Morsel pending;
        private int pendingAt;
        private long sequence;
        private boolean ended;

        StreamSource(BlockPool pool, MemoryBudget budget, int morselRows) {
            this.pool = pool;
            this.budget = budget;
            this.morselRows = morselRows;
        }

        @Override
        public String name() {
            return "arrow stream";
        }

        @Override
        public synchronized Morsel next(TaskContext ctx) {
            while (true) {
                if (pending != null) {
                    int n = Math.min(morselRows, pending.rowCount() - pendingAt);
                    Morsel out = pending.slice(pendingAt, n, sequence++);
                    pendingAt += n;
                    if (pendingAt == pending.rowCount()) {
                        pending.close();
                        pending = null;
                    }
                    return out;
                }
                if (ended || closed.get()) {
                    return null;
                }
                Morsel m = readBatch();
                if (m == null) {
                    ended = true;
                    return null;
                }
                if (m.rowCount() == 0) {
                    m.close();
                } else if (m.rowCount() <= morselRows) {
                    sequence++;
                    return m;
                } else {
                    pending = m;
                    pendingAt = 0;
                }
            }
        }

        /** The next non-empty batch as a morsel, or null at the end of the stream. */
        private Morsel readBatch() {
            while (true) {
                MemorySegment array = CData.calloc(CData.ARRAY_SIZE);
                int rc;
                try {
                    rc = CData.callGet(stream.get(CData.PTR, CData.STREAM_GET_NEXT), stream, array);
                } catch (RuntimeException e) {
                    CData.free(array);
                    throw e;
                }
                if (rc != 0) {
                    CData.free(array);
                    throw new ArrowInterfaceException("the Arrow stream's get_next failed with errno " + rc + ": "
                            + lastError(stream));
                }
                if (array.get(CData.PTR, CData.ARRAY_RELEASE) == 0) {
                    CData.free(array);
                    return null;
                }
                ImportedArray imported = new ImportedArray(array, budget);
                List<ColumnVector> columns = new ArrayList<>(schema.size());
                try {
                    long rows = array.get(CData.I64, CData.ARRAY_LENGTH);
                    long offset = array.get(CData.I64, CData.ARRAY_OFFSET);
                    if (rows > Integer.MAX_VALUE || rows < 0 || offset < 0) {
                        throw new ArrowInterfaceException("an Arrow batch has " + rows + " rows at offset " + offset
                                + "; at most " + Integer.MAX_VALUE + " rows and a non-negative offset are supported");
                    }
                    long n = array.get(CData.I64, CData.ARRAY_N_CHILDREN);
                    if (n != schema.size()) {
                        throw new ArrowInterfaceException("an Arrow batch has " + n + " columns, the stream's schema "
                                + schema.size());
                    }
                    if (rows == 0) {
                        // Nothing to wrap (an empty batch may even have NULL buffers): release it and read on.
                        continue;
                    }
                    if (array.get(CData.I64, CData.ARRAY_NULL_COUNT) != 0 && array.get(CData.I64, CData.ARRAY_N_BUFFERS) > 0
                            && CData.at(array.get(CData.PTR, CData.ARRAY_BUFFERS), 8).get(CData.PTR, 0) != 0) {
                        throw new ArrowInterfaceException("an Arrow batch has null rows at the struct level; only columns"
                                + " can hold nulls in Spillway");
                    }
                    MemorySegment children = CData.at(array.get(CData.PTR, CData.ARRAY_CHILDREN), 8 * n);
                    for (int c = 0; c < n; c++) {
                        MemorySegment child = CData.at(children.getAtIndex(CData.PTR, c), CData.ARRAY_SIZE);
                        columns.add(column(schema.field(c), largeOffsets[c], child, offset, (int) rows, imported));
                    }
                    // Numbered as the next morsel; next() counts it only if it goes out whole (else its slices are numbered).
                    return new Morsel(schema, columns, (int) rows, sequence);
                } catch (RuntimeException e) {
                    columns.forEach(ColumnVector::close);
                    throw e;
                } finally {
                    imported.done();
                }
            }
        }

        /** Rows {@code [parentOffset, parentOffset + rows)} of the child array, as a vector. */
        private ColumnVector column(Field f, boolean large, MemorySegment child, long parentOffset, int rows,
                ImportedArray imported) {
            long length = child.get(CData.I64, CData.ARRAY_LENGTH);
            long off = child.get(CData.I64, CData.ARRAY_OFFSET) + parentOffset;
            if (length - parentOffset < rows) {
                throw new ArrowInterfaceException("column '" + f.name() + "' has " + length + " rows, its batch "
                        + (parentOffset + rows));
            }
            if (child.get(CData.I64, CData.ARRAY_N_CHILDREN) != 0 || child.get(CData.PTR, CData.ARRAY_DICTIONARY) != 0) {
                throw new ArrowInterfaceException("column '" + f.name() + "' has child or dictionary arrays, which its"
                        + " type " + f.typeName() + " does not have");
            }
            int expected = f.type() == DataType.UTF8 ? 3 : 2;
            long nBuffers = child.get(CData.I64, CData.ARRAY_N_BUFFERS);
            if (nBuffers != expected) {
                throw new ArrowInterfaceException("column '" + f.name() + "' of type " + f.typeName() + " has " + nBuffers
                        + " buffers; " + expected + " expected");
            }
            MemorySegment buffers = CData.at(child.get(CData.PTR, CData.ARRAY_BUFFERS), 8L * expected);
            long validityAt = buffers.getAtIndex(CData.PTR, 0);
            long nullCount = child.get(CData.I64, CData.ARRAY_NULL_COUNT);
            if (validityAt == 0) {
                nullCount = 0;
            } else if (nullCount < 0 || off != child.get(CData.I64, CData.ARRAY_OFFSET) || rows != length) {
                nullCount = rows - countSet(CData.at(validityAt, (off + rows + 7) >>> 3), off, rows);
            }
            NativeBuffer validity = null;
            NativeBuffer values = null;
            NativeBuffer data = null;
            try {
                if (nullCount > 0) {
                    validity = bitmap(validityAt, off, rows, imported);
                }
                long valuesAt = buffer(buffers, 1, f, rows);
                switch (f.type()) {
                    case BOOLEAN -> values = bitmap(valuesAt, off, rows, imported);
                    case UTF8 -> {
                        int width = large ? 8 : 4;
                        MemorySegment offsets = CData.at(valuesAt, width * (off + rows + 1));
                        long base = offsetAt(offsets, large, off);
                        long end = offsetAt(offsets, large, off + rows);
                        if (base < 0 || end < base) {
                            throw new ArrowInterfaceException("column '" + f.name() + "' has string offsets " + base
                                    + " to " + end + "; they must be non-negative and ascending");
                        }
                        if (end - base > Integer.MAX_VALUE) {
                            throw new ArrowInterfaceException("column '" + f.name() + "' holds " + (end - base)
                                    + " bytes of strings in one batch; at most " + Integer.MAX_VALUE + " fit int32 offsets");
                        }
                        if (base == 0 && !large) {
                            values = imported.wrap(valuesAt + 4L * off, 4L * (rows + 1));
                        } else {
                            values = pool.allocate(budget, 4L * (rows + 1));
                            MemorySegment dst = values.segment();
                            for (long r = 0; r <= rows; r++) {
                                dst.set(INT, 4 * r, (int) (offsetAt(offsets, large, off + r) - base));
                            }
                        }
                        long dataAt = end == base ? 0 : buffer(buffers, 2, f, rows);
                        data = imported.wrap(dataAt + base, end - base);
                    }
                    default -> values = imported.wrap(valuesAt + off * f.type().byteWidth(),
                            (long) rows * f.type().byteWidth());
                }
            } catch (RuntimeException e) {
                closeAll(e, validity, values, data);
                throw e;
            }
            return ColumnVector.fromBuffers(f, rows, (int) nullCount, validity, values, data);
        }

        private static long buffer(MemorySegment buffers, int i, Field f, int rows) {
            long at = buffers.getAtIndex(CData.PTR, i);
            if (at == 0 && rows > 0) {
                throw new ArrowInterfaceException("column '" + f.name() + "' has a NULL buffer " + i + " for " + rows
                        + " rows");
            }
            return at;
        }

        /** A bitmap of {@code rows} bits starting at bit {@code off}: wrapped when byte-aligned, else shifted into a copy. */
        private NativeBuffer bitmap(long address, long off, int rows, ImportedArray imported) {
            long bytes = (rows + 7L) >>> 3;
            if ((off & 7) == 0) {
                return imported.wrap(address + (off >>> 3), bytes);
            }
            MemorySegment src = CData.at(address, (off + rows + 7) >>> 3);
            NativeBuffer copy = pool.allocateZeroed(budget, Math.max(bytes, 1));
            MemorySegment dst = copy.segment();
            for (long r = 0; r < rows; r++) {
                long bit = off + r;
                if ((src.get(BYTE, bit >>> 3) & (1 << (bit & 7))) != 0) {
                    dst.set(BYTE, r >>> 3, (byte) (dst.get(BYTE, r >>> 3) | (1 << (r & 7))));
                }
            }
            return copy;
        }

        @Override
        public synchronized void close() {
            if (pending != null) {
                pending.close();
                pending = null;
            }
            ArrowStreamScan.this.close();
        }
    }

    private static long offsetAt(MemorySegment offsets, boolean large, long i) {
        return large ? offsets.get(LONG, 8 * i) : offsets.get(INT, 4 * i);
    }

    private static int countSet(MemorySegment bits, long from, long count) {
        int n = 0;
        for (long r = 0; r < count; r++) {
            long bit = from + r;
            if ((bits.get(BYTE, bit >>> 3) & (1 << (bit & 7))) != 0) {
                n++;
            }
        }
        return n;
    }

    private static void closeAll(RuntimeException primary, NativeBuffer... buffers) {
        for (NativeBuffer b : buffers) {
            if (b != null) {
                try {
                    b.close();
                } catch (RuntimeException e) {
                    primary.addSuppressed(e);
                }
            }
        }
    }
}
