package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.ResultStream;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands Spillway data to a C consumer through the Arrow C data interface, without copying: the
 * exported buffers are the frame's own native memory.
 *
 * <p>A frame is a struct array ({@code +s}) per batch, one child per column. The caller
 * allocates the top-level struct ({@code ArrowSchema}, {@code ArrowArray} or
 * {@code ArrowArrayStream}) and passes its address; Spillway fills it in and allocates the
 * children on the C heap.
 *
 * <p><b>Ownership.</b> Each exported array (and the stream) holds the frame through
 * {@link DataFrame#retain()}: the Java owner may close the frame at once, and its memory returns
 * to the budget only after the consumer has released every exported array and the stream. The
 * {@link dev.spillway.Spillway} instance must outlive the consumer's use: closing it with
 * exports unreleased reports them as leaked and unmaps their memory. Release callbacks may run on
 * any thread; the callbacks never throw into the consumer: a stream callback that fails returns an
 * errno and keeps the message for {@code get_last_error}.
 *
 * <p>Buffers are zero-copy except where a column is a view that starts inside a bitmap byte or
 * whose string offsets do not start at 0: Arrow's offset 0 form then needs a shifted copy, made
 * on the C heap and freed with the array.
 */
public final class ArrowExport {
    private static final System.Logger LOG = System.getLogger("dev.spillway.arrow");
    private static final Map<Long, Object> LIVE = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();

    private static final MemorySegment RELEASE_SCHEMA = CData.upcall(ArrowExport.class, "releaseSchema", CData.RELEASE);
    private static final MemorySegment RELEASE_SCHEMA_CHILD = CData.upcall(ArrowExport.class, "releaseSchemaChild",
            CData.RELEASE);
    private static final MemorySegment RELEASE_ARRAY = CData.upcall(ArrowExport.class, "releaseArray", CData.RELEASE);
    private static final MemorySegment RELEASE_ARRAY_CHILD = CData.upcall(ArrowExport.class, "releaseArrayChild",
            CData.RELEASE);
    private static final MemorySegment GET_SCHEMA = CData.upcall(ArrowExport.class, "streamGetSchema", CData.GET);
    private static final MemorySegment GET_NEXT = CData.upcall(ArrowExport.class, "streamGetNext", CData.GET);
    private static final MemorySegment GET_LAST_ERROR = CData.upcall(ArrowExport.class, "streamLastError",
            CData.LAST_ERROR);
    private static final MemorySegment RELEASE_STREAM = CData.upcall(ArrowExport.class, "releaseStream", CData.RELEASE);

    private static final long COPY_ALIGNMENT = 64;

    private ArrowExport() {
    }

    // ------------------------------------------------------------------ public API

    /**
     * Fills the consumer's {@code ArrowSchema} at {@code out} with {@code schema} as a struct
     * ({@code +s}) with one child per column; the consumer releases it.
     *
     * @throws IllegalArgumentException when {@code out} is NULL
     */
    public static void exportSchema(Schema schema, MemorySegment out) {
        Objects.requireNonNull(schema, "schema");
        MemorySegment top = CData.struct(out, CData.SCHEMA_SIZE);
        int n = schema.size();
        long strings = CData.stringSize("+s") + 1;
        String[] formats = new String[n];
        for (int c = 0; c < n; c++) {
            formats[c] = ArrowFormat.of(schema.field(c));
            strings += CData.stringSize(formats[c]) + CData.stringSize(schema.field(c).name());
        }
        long ptrs = n * CData.SCHEMA_SIZE;
        MemorySegment block = CData.calloc(ptrs + 8L * n + strings);
        long id = IDS.incrementAndGet();
        LIVE.put(id, new ExportedTree(id, block, n, CData.SCHEMA_SIZE, CData.SCHEMA_RELEASE, null));
        long str = ptrs + 8L * n;
        for (int c = 0; c < n; c++) {
            Field f = schema.field(c);
            MemorySegment child = block.asSlice(c * CData.SCHEMA_SIZE, CData.SCHEMA_SIZE);
            child.set(CData.PTR, CData.SCHEMA_FORMAT, block.address() + str);
            str += CData.putString(block.asSlice(str), formats[c]);
            child.set(CData.PTR, CData.SCHEMA_NAME, block.address() + str);
            str += CData.putString(block.asSlice(str), f.name());
            child.set(CData.I64, CData.SCHEMA_FLAGS, f.nullable() ? CData.FLAG_NULLABLE : 0L);
            child.set(CData.PTR, CData.SCHEMA_RELEASE, RELEASE_SCHEMA_CHILD.address());
            child.set(CData.PTR, CData.SCHEMA_PRIVATE, id);
            block.set(CData.PTR, ptrs + 8L * c, child.address());
        }
        top.fill((byte) 0);
        top.set(CData.PTR, CData.SCHEMA_FORMAT, block.address() + str);
        str += CData.putString(block.asSlice(str), "+s");
        top.set(CData.PTR, CData.SCHEMA_NAME, block.address() + str);
        top.set(CData.I64, CData.SCHEMA_N_CHILDREN, n);
        top.set(CData.PTR, CData.SCHEMA_CHILDREN, n == 0 ? 0L : block.address() + ptrs);
        top.set(CData.PTR, CData.SCHEMA_PRIVATE, id);
        top.set(CData.PTR, CData.SCHEMA_RELEASE, RELEASE_SCHEMA.address());
    }

    /**
     * Number of batches of {@code df} for {@link #exportBatch(DataFrame, int, MemorySegment)}: one
     * per morsel.
     */
    public static int batchCount(DataFrame df) {
        return EngineInternals.morsels(df).size();
    }

    /**
     * Fills the consumer's {@code ArrowArray} at {@code out} with batch {@code batch} of
     * {@code df}, zero-copy, as a struct array matching {@link #exportSchema}. The array holds
     * the frame until the consumer releases it.
     *
     * @throws IndexOutOfBoundsException when {@code batch} is not below {@link #batchCount}
     * @throws IllegalStateException     when {@code df} is closed
     */
    public static void exportBatch(DataFrame df, int batch, MemorySegment out) {
        Morsel m = EngineInternals.morsels(df).get(Objects.checkIndex(batch, batchCount(df)));
        AutoCloseable hold = df.retain();
        exportBatch(new BatchSource.Batch() {
            @Override
            public Morsel morsel() {
                return m;
            }

            @Override
            public void close() {
                try {
                    hold.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
        }, out);
    }

    /**
     * Fills the consumer's {@code ArrowArrayStream} at {@code out} with the morsels of
     * {@code df}, zero-copy. The stream and each array it hands out hold the frame until released.
     *
     * @throws IllegalStateException when {@code df} is closed
     */
    public static void exportStream(DataFrame df, MemorySegment out) {
        exportStream(BatchSource.of(df), out);
    }

    /**
     * Fills the consumer's {@code ArrowArrayStream} at {@code out} with a streaming query result
     * ({@link dev.spillway.LazyFrame#stream()}), zero-copy, batch by batch as the consumer pulls:
     * the query pauses while the consumer does not, and releasing the stream early cancels it.
     * The stream owns {@code result} from now on.
     */
    public static void exportStream(ResultStream result, MemorySegment out) {
        exportStream(BatchSource.of(result), out);
    }

    /**
     * Fills the consumer's {@code ArrowArrayStream} at {@code out} with the batches of
     * {@code source}, which the stream owns from now on (closed when the consumer releases it, or
     * at once if this method throws).
     */
    public static void exportStream(BatchSource source, MemorySegment out) {
        MemorySegment s;
        try {
            s = CData.struct(out, CData.STREAM_SIZE);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        long id = IDS.incrementAndGet();
        LIVE.put(id, new ExportedStream(id, source));
        s.set(CData.PTR, CData.STREAM_GET_SCHEMA, GET_SCHEMA.address());
        s.set(CData.PTR, CData.STREAM_GET_NEXT, GET_NEXT.address());
        s.set(CData.PTR, CData.STREAM_GET_LAST_ERROR, GET_LAST_ERROR.address());
        s.set(CData.PTR, CData.STREAM_PRIVATE, id);
        s.set(CData.PTR, CData.STREAM_RELEASE, RELEASE_STREAM.address());
    }

    /** Exported schemas, arrays and streams the consumers have not released yet (for leak checks). */
    public static int unreleased() {
        return LIVE.size();
    }

    // ------------------------------------------------------------------ arrays

    /** Exports {@code batch} into {@code out}, owning it from now on (closed at once if this throws). */
    static void exportBatch(BatchSource.Batch batch, MemorySegment out) {
        MemorySegment block = MemorySegment.NULL;
        try {
            MemorySegment top = CData.struct(out, CData.ARRAY_SIZE);
            Morsel m = batch.morsel();
            int n = m.columnCount();
            long childPtrs = n * CData.ARRAY_SIZE;
            long parentBuffers = childPtrs + 8L * n;
            long bufferPtrs = parentBuffers + 8;
            long end = bufferPtrs;
            for (int c = 0; c < n; c++) {
                end += 8L * m.column(c).bufferCount();
            }
            long copies = align(end);
            end = copies;
            for (int c = 0; c < n; c++) {
                ColumnVector v = m.column(c);
                for (int b = 0; b < v.bufferCount(); b++) {
                    if (v.bufferByteSize(b) > 0 && v.bufferView(b) == null) {
                        end = align(end + v.bufferByteSize(b));
                    }
                }
            }
            block = CData.calloc(end);
            long ptr = bufferPtrs;
            long copy = copies;
            for (int c = 0; c < n; c++) {
                ColumnVector v = m.column(c);
                MemorySegment child = block.asSlice(c * CData.ARRAY_SIZE, CData.ARRAY_SIZE);
                child.set(CData.I64, CData.ARRAY_LENGTH, v.length());
                child.set(CData.I64, CData.ARRAY_NULL_COUNT, v.nullCount());
                child.set(CData.I64, CData.ARRAY_N_BUFFERS, v.bufferCount());
                child.set(CData.PTR, CData.ARRAY_BUFFERS, block.address() + ptr);
                for (int b = 0; b < v.bufferCount(); b++) {
                    long size = v.bufferByteSize(b);
                    long address;
                    if (b == 0 && size == 0) {
                        address = 0;
                    } else {
                        MemorySegment view = v.bufferView(b);
                        if (view == null) {
                            MemorySegment dst = block.asSlice(copy, size);
                            v.copyBuffer(b, dst);
                            address = dst.address();
                            copy = align(copy + size);
                        } else {
                            address = view.address();
                        }
                    }
                    block.set(CData.PTR, ptr, address);
                    ptr += 8;
                }
                block.set(CData.PTR, childPtrs + 8L * c, child.address());
            }
            long id = IDS.incrementAndGet();
            LIVE.put(id, new ExportedTree(id, block, n, CData.ARRAY_SIZE, CData.ARRAY_RELEASE, batch));
            for (int c = 0; c < n; c++) {
                MemorySegment child = block.asSlice(c * CData.ARRAY_SIZE, CData.ARRAY_SIZE);
                child.set(CData.PTR, CData.ARRAY_PRIVATE, id);
                child.set(CData.PTR, CData.ARRAY_RELEASE, RELEASE_ARRAY_CHILD.address());
            }
            top.fill((byte) 0);
            top.set(CData.I64, CData.ARRAY_LENGTH, m.rowCount());
            top.set(CData.I64, CData.ARRAY_N_BUFFERS, 1);
            top.set(CData.PTR, CData.ARRAY_BUFFERS, block.address() + parentBuffers);
            top.set(CData.I64, CData.ARRAY_N_CHILDREN, n);
            top.set(CData.PTR, CData.ARRAY_CHILDREN, n == 0 ? 0L : block.address() + childPtrs);
            top.set(CData.PTR, CData.ARRAY_PRIVATE, id);
            top.set(CData.PTR, CData.ARRAY_RELEASE, RELEASE_ARRAY.address());
        } catch (RuntimeException | Error e) {
            if (block.address() != 0) {
                CData.free(block);
            }
            batch.close();
            throw e;
        }
    }

    private static long align(long n) {
        return (n + COPY_ALIGNMENT - 1) & -COPY_ALIGNMENT;
    }

    static void forget(long id) {
        LIVE.remove(id);
    }

    // ------------------------------------------------------------------ upcalls (never throw)

    static void releaseSchema(MemorySegment schema) {
        releaseTree(schema, CData.SCHEMA_SIZE, CData.SCHEMA_PRIVATE, true, "schema");
    }

    static void releaseSchemaChild(MemorySegment schema) {
        releaseTree(schema, CData.SCHEMA_SIZE, CData.SCHEMA_PRIVATE, false, "child schema");
    }

    static void releaseArray(MemorySegment array) {
        releaseTree(array, CData.ARRAY_SIZE, CData.ARRAY_PRIVATE, true, "array");
    }

    static void releaseArrayChild(MemorySegment array) {
        releaseTree(array, CData.ARRAY_SIZE, CData.ARRAY_PRIVATE, false, "child array");
    }

    private static void releaseTree(MemorySegment pointer, long size, long privateOffset, boolean parent, String what) {
        try {
            MemorySegment s = CData.struct(pointer, size);
            if (!(LIVE.get(s.get(CData.PTR, privateOffset)) instanceof ExportedTree tree)) {
                LOG.log(System.Logger.Level.WARNING, "release of an exported Arrow " + what + " that is not live (released twice?)");
                return;
            }
            if (parent) {
                tree.releaseParent(s);
            } else {
                tree.releaseChild(s);
            }
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "releasing an exported Arrow " + what + " failed", t);
        }
    }

    static int streamGetSchema(MemorySegment stream, MemorySegment out) {
        try {
            ExportedStream s = stream(stream);
            return s == null ? CData.EINVAL : s.getSchema(out);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "Arrow stream get_schema failed", t);
            return CData.EIO;
        }
    }

    static int streamGetNext(MemorySegment stream, MemorySegment out) {
        try {
            ExportedStream s = stream(stream);
            return s == null ? CData.EINVAL : s.getNext(out);
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "Arrow stream get_next failed", t);
            return CData.EIO;
        }
    }

    static MemorySegment streamLastError(MemorySegment stream) {
        try {
            ExportedStream s = stream(stream);
            return s == null ? MemorySegment.NULL : s.lastError();
        } catch (Throwable t) {
            return MemorySegment.NULL;
        }
    }

    static void releaseStream(MemorySegment stream) {
        try {
            MemorySegment s = CData.struct(stream, CData.STREAM_SIZE);
            Object state = LIVE.remove(s.get(CData.PTR, CData.STREAM_PRIVATE));
            s.set(CData.PTR, CData.STREAM_RELEASE, 0L);
            if (state instanceof ExportedStream e) {
                e.release();
            }
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "releasing an exported Arrow stream failed", t);
        }
    }

    private static ExportedStream stream(MemorySegment stream) {
        MemorySegment s = CData.struct(stream, CData.STREAM_SIZE);
        return LIVE.get(s.get(CData.PTR, CData.STREAM_PRIVATE)) instanceof ExportedStream e ? e : null;
    }
}
