package dev.spillway.formats.parquet;

import dev.spillway.options.ParquetWriteOptions;

import com.github.luben.zstd.Zstd;
import dev.spillway.formats.FileOutput;
import dev.spillway.errors.FormatException;
import dev.spillway.operators.MorselFileWriter;
import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Utf8Vector;
import org.xerial.snappy.Snappy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;

/**
 * Writes morsels to one Parquet file, streaming: morsels are held only until a row group is full,
 * then each column chunk is written as one data page (v1, PLAIN values, RLE/bit-packed
 * definition levels) per morsel. Every column is OPTIONAL; strings carry the STRING logical type,
 * dates DATE, timestamps INT64 TIMESTAMP(MICROS) with isAdjustedToUTC for a column with a time
 * zone (the zone itself is not stored: Parquet has none), decimals DECIMAL (INT32 up to 9 digits, INT64 up to 18, else a 16-byte
 * FIXED_LEN_BYTE_ARRAY). Column chunks carry min/max/null-count statistics so readers can skip row
 * groups (none for FIXED_LEN_BYTE_ARRAY decimals, whose order is signed).
 *
 * <p>Not thread-safe: one writer thread at a time (the sinks call it in order under their
 * reorder buffer's lock). {@link #close()} writes the footer; {@link #abort()} only closes the file.
 */
public final class ParquetFileWriter implements MorselFileWriter, AutoCloseable {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);
    /** Bytes of a FIXED_LEN_BYTE_ARRAY decimal: all of a decimal128. */
    private static final int DECIMAL_BYTES = 16;

    private final Path path;
    private final Schema schema;
    private final ParquetWriteOptions options;
    private final FileOutput file;
    private final List<Morsel> pending = new ArrayList<>();
    private final List<byte[]> rowGroups = new ArrayList<>();
    private int pendingRows;
    private long rows;

    /** Creates (or truncates) {@code path} and writes the leading magic. */
    public ParquetFileWriter(Path path, Schema schema, ParquetWriteOptions options) {
        this.path = path;
        this.schema = schema;
        this.options = options;
        this.file = new FileOutput(path);
        try {
            write(ByteBuffer.wrap(MAGIC));
        } catch (IOException e) {
            file.close();
            throw new FormatException(path, null, "cannot write: " + e.getMessage(), e);
        }
    }

    /** Rows written or pending. */
    @Override
    public long rows() {
        return rows + pendingRows;
    }

    /** Appends a morsel, taking ownership of it; writes a row group once enough rows are pending. */
    @Override
    public void write(Morsel m) {
        if (m.rowCount() == 0) {
            m.close();
            return;
        }
        int from = 0;
        while (from < m.rowCount()) {
            int take = Math.min(m.rowCount() - from, options.rowGroupRows() - pendingRows);
            pending.add(from == 0 && take == m.rowCount() ? m : m.slice(from, take));
            pendingRows += take;
            from += take;
            if (pendingRows >= options.rowGroupRows()) {
                flushRowGroup();
            }
        }
        if (!pending.contains(m)) {
            m.close();
        }
    }

    /** Native bytes of the morsels waiting for the current row group. */
    @Override
    public long bufferedBytes() {
        long n = 0;
        for (Morsel m : pending) {
            n += m.byteSize();
        }
        return n;
    }

    /** Writes the pending rows as a row group now, even if it is not full (bounds the memory of many open writers). */
    @Override
    public void flush() {
        flushRowGroup();
    }

    private void flushRowGroup() {
        if (pendingRows == 0) {
            return;
        }
        try {
            ThriftCompactWriter rg = new ThriftCompactWriter();
            rg.structBegin();
            rg.list(1, ThriftCompactWriter.STRUCT, schema.size());
            long total = 0;
            long start = file.position();
            for (int c = 0; c < schema.size(); c++) {
                total += writeChunk(c, rg);
            }
            rg.i64(2, total);
            rg.i64(3, pendingRows);
            rg.i64(5, start);
            rg.i64(6, file.position() - start);
            rg.structEnd();
            rowGroups.add(rg.toByteArray());
            rows += pendingRows;
        } catch (IOException e) {
            throw new FormatException(path, null, "cannot write: " + e.getMessage(), e);
        } finally {
            pending.forEach(Morsel::close);
            pending.clear();
            pendingRows = 0;
        }
    }

    /** Writes column {@code c} of the pending morsels as one chunk; appends its ColumnChunk struct. Returns uncompressed bytes. */
    private long writeChunk(int c, ThriftCompactWriter rg) throws IOException {
        Field field = schema.field(c);
        long chunkStart = file.position();
        long uncompressed = 0;
        long nulls = 0;
        ChunkStats stats = new ChunkStats(field);
        for (Morsel m : pending) {
            ColumnVector v = m.column(c);
            byte[] page = encodePage(v, stats);
            nulls += v.nullCount();
            byte[] compressed = compress(page);
            ThriftCompactWriter h = new ThriftCompactWriter();
            h.structBegin();
            h.i32(1, 0); // DATA_PAGE
            h.i32(2, page.length);
            h.i32(3, compressed.length);
            // The page's CRC32 over its bytes as stored (after compression), as the format specifies.
            CRC32 crc = new CRC32();
            crc.update(compressed);
            h.i32(4, (int) crc.getValue());
            h.struct(5);
            h.i32(1, v.length());
            h.i32(2, 0); // PLAIN
            h.i32(3, 3); // RLE definition levels
            h.i32(4, 3); // RLE repetition levels (none)
            h.structEnd();
            h.structEnd();
            byte[] header = h.toByteArray();
            write(ByteBuffer.wrap(header));
            write(ByteBuffer.wrap(compressed));
            uncompressed += header.length + page.length;
        }
        long compressedSize = file.position() - chunkStart;
        stats.encode();
        rg.structBegin();
        rg.i64(2, chunkStart);
        rg.struct(3);
        rg.i32(1, physicalType(field));
        rg.list(2, ThriftCompactWriter.I32, 2);
        rg.listI32(0);
        rg.listI32(3);
        rg.list(3, ThriftCompactWriter.BINARY, 1);
        rg.listString(field.name());
        rg.i32(4, options.codec().id());
        rg.i64(5, pendingRows);
        rg.i64(6, uncompressed);
        rg.i64(7, compressedSize);
        rg.i64(9, chunkStart);
        rg.struct(12);
        rg.i64(3, nulls);
        if (stats.max != null) {
            rg.binary(5, stats.max);
            rg.binary(6, stats.min);
        }
        rg.structEnd();
        rg.structEnd();
        rg.structEnd();
        return uncompressed;
    }

    static int physicalType(Field field) {
        return switch (field.type()) {
            case BOOLEAN -> 0;
            case INT32, DATE32 -> 1;
            case INT64, TIMESTAMP -> 2;
            case FLOAT64 -> 5;
            case UTF8 -> 6;
            // Decimals as the Parquet format recommends: INT32 up to 9 digits, INT64 up to 18,
            // else a 16-byte big-endian FIXED_LEN_BYTE_ARRAY.
            case DECIMAL128 -> field.decimal().precision() <= 9 ? 1 : field.decimal().fitsLong() ? 2 : 7;
        };
    }

    /** Definition levels (length-prefixed RLE/bit-packed hybrid, bit width 1) followed by PLAIN non-null values. */
    private static byte[] encodePage(ColumnVector v, ChunkStats stats) {
        int n = v.length();
        int bitmapBytes = (n + 7) >>> 3;
        long valueBytes = switch (v.type()) {
            case BOOLEAN -> bitmapBytes;
            case UTF8 -> 4L * n + v.bufferByteSize(2);
            default -> (long) n * v.type().byteWidth();
        };
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(4 + 6 + bitmapBytes + valueBytes)).order(ByteOrder.LITTLE_ENDIAN);
        out.position(4);
        if (v.nullCount() == 0) {
            putVarint(out, (long) n << 1);
            out.put((byte) 1);
        } else {
            putVarint(out, ((long) bitmapBytes << 1) | 1);
            MemorySegment bits = MemorySegment.ofArray(new byte[bitmapBytes]);
            v.copyBuffer(0, bits);
            out.put(bits.toArray(ValueLayout.JAVA_BYTE));
        }
        out.putInt(0, out.position() - 4);
        boolean nulls = v.hasNulls();
        switch (v) {
            case Int64Vector x -> {
                for (int r = 0; r < n; r++) {
                    if (!nulls || x.isValid(r)) {
                        long val = x.get(r);
                        out.putLong(val);
                        stats.addLong(val);
                    }
                }
            }
            case Int32Vector x -> {
                for (int r = 0; r < n; r++) {
                    if (!nulls || x.isValid(r)) {
                        int val = x.get(r);
                        out.putInt(val);
                        stats.addLong(val);
                    }
                }
            }
            case Float64Vector x -> {
                for (int r = 0; r < n; r++) {
                    if (!nulls || x.isValid(r)) {
                        double val = x.get(r);
                        out.putDouble(val);
                        stats.addDouble(val);
                    }
                }
            }
            case BooleanVector x -> {
                int bit = 0;
                int acc = 0;
                for (int r = 0; r < n; r++) {
                    if (!nulls || x.isValid(r)) {
                        boolean val = x.get(r);
                        acc |= (val ? 1 : 0) << bit;
                        stats.addBoolean(val);
                        if (++bit == 8) {
                            out.put((byte) acc);
                            bit = 0;
                            acc = 0;
                        }
                    }
                }
                if (bit != 0) {
                    out.put((byte) acc);
                }
            }
            case Decimal128Vector x -> {
                int precision = x.decimalType().precision();
                for (int r = 0; r < n; r++) {
                    if (!nulls || x.isValid(r)) {
                        long low = x.low(r);
                        if (precision <= 9) {
                            out.putInt((int) low);
                            stats.addLong(low);
                        } else if (precision <= DecimalType.MAX_LONG_PRECISION) {
                            out.putLong(low);
                            stats.addLong(low);
                        } else {
                            // Big-endian two's complement: the buffer is little-endian, so reverse.
                            out.putLong(Long.reverseBytes(x.high(r)));
                            out.putLong(Long.reverseBytes(low));
                        }
                    }
                }
            }
            case Utf8Vector x -> {
                MemorySegment data = x.dataSegment();
                for (int r = 0; r < n; r++) {
                    if (!nulls || x.isValid(r)) {
                        int len = x.byteLength(r);
                        out.putInt(len);
                        int at = out.position();
                        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, x.dataOffset(r), out.array(), at, len);
                        out.position(at + len);
                        stats.addBytes(out.array(), at, len);
                    }
                }
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    private static void putVarint(ByteBuffer out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.put((byte) v);
    }

    private byte[] compress(byte[] page) throws IOException {
        return switch (options.codec()) {
            case UNCOMPRESSED -> page;
            case SNAPPY -> Snappy.compress(page);
            case ZSTD -> Zstd.compress(page, 3);
            case GZIP -> {
                ByteArrayOutputStream bos = new ByteArrayOutputStream(page.length / 2 + 64);
                try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
                    gz.write(page);
                }
                yield bos.toByteArray();
            }
        };
    }

    private void write(ByteBuffer b) throws IOException {
        file.write(b);
    }

    /** Completes the file (see {@link #complete}) and forces it to disk. Idempotent. */
    @Override
    public void close() {
        complete(true);
    }

    /**
     * Writes what is left and the footer, and closes the file; with {@code sync} the file is
     * forced to disk first (a partitioned sink writing thousands of files skips it). Idempotent.
     */
    @Override
    public void complete(boolean sync) {
        if (file.isClosed()) {
            return;
        }
        try {
            flushRowGroup();
            byte[] footer = footer();
            ByteBuffer tail = ByteBuffer.allocate(footer.length + 8).order(ByteOrder.LITTLE_ENDIAN);
            tail.put(footer).putInt(footer.length).put(MAGIC).flip();
            write(tail);
            if (sync) {
                file.force();
            }
        } catch (IOException e) {
            throw new FormatException(path, null, "cannot write: " + e.getMessage(), e);
        } finally {
            abort();
        }
    }

    /** Closes the file without a footer (for a failed query) and releases pending morsels. Idempotent. */
    @Override
    public void abort() {
        if (file.isClosed()) {
            return;
        }
        pending.forEach(Morsel::close);
        pending.clear();
        file.close();
    }

    private byte[] footer() {
        ThriftCompactWriter f = new ThriftCompactWriter();
        f.structBegin();
        f.i32(1, 1);
        f.list(2, ThriftCompactWriter.STRUCT, schema.size() + 1);
        f.structBegin();
        f.string(4, "schema");
        f.i32(5, schema.size());
        f.structEnd();
        for (Field field : schema) {
            f.structBegin();
            f.i32(1, physicalType(field));
            if (physicalType(field) == 7) {
                f.i32(2, DECIMAL_BYTES);
            }
            f.i32(3, 1); // OPTIONAL
            f.string(4, field.name());
            if (field.type() == DataType.DECIMAL128) {
                f.i32(6, 5); // converted type DECIMAL
                f.i32(7, field.decimal().scale());
                f.i32(8, field.decimal().precision());
                f.struct(10);
                f.struct(5); // DECIMAL
                f.i32(1, field.decimal().scale());
                f.i32(2, field.decimal().precision());
                f.structEnd();
                f.structEnd();
            } else if (field.type() == DataType.UTF8) {
                f.i32(6, 0); // converted type UTF8
                f.struct(10);
                f.struct(1); // STRING
                f.structEnd();
                f.structEnd();
            } else if (field.type() == DataType.TIMESTAMP) {
                boolean utc = field.timeZone() != null;
                if (utc) {
                    f.i32(6, 10); // converted type TIMESTAMP_MICROS, which implies instants
                }
                f.struct(10);
                f.struct(8); // TIMESTAMP
                f.bool(1, utc); // isAdjustedToUTC
                f.struct(2); // unit
                f.struct(2); // MICROS
                f.structEnd();
                f.structEnd();
                f.structEnd();
                f.structEnd();
            } else if (field.type() == DataType.DATE32) {
                f.i32(6, 6); // converted type DATE
                f.struct(10);
                f.struct(6); // DATE
                f.structEnd();
                f.structEnd();
            }
            f.structEnd();
        }
        f.i64(3, rows);
        f.list(4, ThriftCompactWriter.STRUCT, rowGroups.size());
        rowGroups.forEach(f::raw);
        f.string(6, "spillway");
        f.structEnd();
        return f.toByteArray();
    }

    /** Min/max of the non-null values of a column chunk, in Parquet's PLAIN statistics encoding. */
    private static final class ChunkStats {
        private final DataType type;
        private final DecimalType decimal;
        private long minL = Long.MAX_VALUE;
        private long maxL = Long.MIN_VALUE;
        private double minD = Double.POSITIVE_INFINITY;
        private double maxD = Double.NEGATIVE_INFINITY;
        private boolean any;
        private boolean nan;
        private byte[] minB;
        private byte[] maxB;
        byte[] min;
        byte[] max;

        ChunkStats(Field field) {
            this.type = field.type();
            this.decimal = field.decimal();
        }

        void addLong(long v) {
            any = true;
            minL = Math.min(minL, v);
            maxL = Math.max(maxL, v);
        }

        void addDouble(double v) {
            any = true;
            if (Double.isNaN(v)) {
                nan = true;
            } else {
                minD = Math.min(minD, v);
                maxD = Math.max(maxD, v);
            }
        }

        void addBoolean(boolean v) {
            addLong(v ? 1 : 0);
        }

        void addBytes(byte[] a, int off, int len) {
            any = true;
            if (minB == null || Arrays.compareUnsigned(a, off, off + len, minB, 0, minB.length) < 0) {
                minB = Arrays.copyOfRange(a, off, off + len);
            }
            if (maxB == null || Arrays.compareUnsigned(a, off, off + len, maxB, 0, maxB.length) > 0) {
                maxB = Arrays.copyOfRange(a, off, off + len);
            }
            min = minB;
            max = maxB;
        }

        /** Encodes min and max once the chunk's values are all seen. */
        void encode() {
            if (!any) {
                return;
            }
            switch (type) {
                case INT64, TIMESTAMP -> {
                    min = le(8).putLong(minL).array();
                    max = le(8).putLong(maxL).array();
                }
                case INT32, DATE32 -> {
                    min = le(4).putInt((int) minL).array();
                    max = le(4).putInt((int) maxL).array();
                }
                case BOOLEAN -> {
                    min = new byte[] {(byte) minL};
                    max = new byte[] {(byte) maxL};
                }
                case FLOAT64 -> {
                    if (nan || minD > maxD) {
                        min = null;
                        max = null;
                    } else {
                        min = le(8).putDouble(minD == 0.0 ? -0.0 : minD).array();
                        max = le(8).putDouble(maxD == 0.0 ? 0.0 : maxD).array();
                    }
                }
                case DECIMAL128 -> {
                    if (decimal.precision() <= 9) {
                        min = le(4).putInt((int) minL).array();
                        max = le(4).putInt((int) maxL).array();
                    } else if (decimal.fitsLong()) {
                        min = le(8).putLong(minL).array();
                        max = le(8).putLong(maxL).array();
                    }
                }
                case UTF8 -> {
                }
            }
        }

        private static ByteBuffer le(int n) {
            return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}
