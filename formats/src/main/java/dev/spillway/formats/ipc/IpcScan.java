package dev.spillway.formats.ipc;

import dev.spillway.errors.FormatException;
import dev.spillway.formats.HiveColumns;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MappedPages;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;
import dev.spillway.scheduler.Source;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;

import dev.spillway.operators.SplitSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A parallel, zero-copy scan of Arrow IPC files (Feather v2, uncompressed).
 *
 * <p>Each file is memory-mapped into a shared arena; its footer lists the record batches, and
 * each batch is one split, so workers read batches in parallel. Column vectors wrap the mapped
 * buffers ({@link NativeBuffer#wrap}) without copying: each wrapped buffer holds a reference to
 * its file's mapping, which is unmapped when the scan is closed and the last vector over it is
 * closed. Mapped pages are file cache, not heap or pool memory, so they are not charged to the
 * budget. Only the projected columns are wrapped.
 */
public final class IpcScan implements AutoCloseable {
    private final List<Path> files;
    private final Schema fileSchema;
    private final List<String> projection;
    private final Schema output;
    /** The projected columns stored in the files. */
    private final Schema fileOutput;
    private final HiveColumns hive;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final List<Mapping> maps = new ArrayList<>();
    private final List<Split> splits = new ArrayList<>();
    private boolean planned;
    private boolean closed;

    private record Split(int file, long offset, int metaLength, long bodyLength) {
    }

    /** A file's mapping, unmapped when the scan and every buffer over it let go. */
    private static final class Mapping {
        final Arena arena = Arena.ofShared();
        final AtomicInteger refs = new AtomicInteger(1);
        MemorySegment seg;

        void release() {
            if (refs.decrementAndGet() == 0) {
                arena.close();
            }
        }
    }

    /**
     * Creates a scan of files without partition directories; files are mapped when splits are planned.
     *
     * @param projection column names to read, in file order; null for all
     */
    public IpcScan(List<Path> files, Schema fileSchema, List<String> projection, MemoryBudget budget) {
        this(files, fileSchema, projection, null, null, budget);
    }

    /**
     * Creates a scan; files are mapped when splits are planned.
     *
     * @param schema     the columns of the files followed by the partition columns of {@code hive}
     * @param projection column names to produce, in schema order; null for all
     * @param hive       partition columns parsed from the files' directories, or null
     * @param pool       serves the constant partition columns (may be null without {@code hive})
     */
    public IpcScan(List<Path> files, Schema schema, List<String> projection, HiveColumns hive, BlockPool pool,
            MemoryBudget budget) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("an Arrow IPC scan needs at least one file");
        }
        this.files = List.copyOf(files);
        this.hive = hive;
        List<Field> stored = new ArrayList<>();
        for (Field f : schema) {
            if (hive == null || !hive.contains(f.name())) {
                stored.add(f);
            }
        }
        this.fileSchema = new Schema(stored);
        this.projection = projection == null ? schema.names() : List.copyOf(projection);
        List<Field> out = new ArrayList<>();
        for (String n : this.projection) {
            if (hive == null || !hive.contains(n)) {
                out.add(schema.field(n));
            }
        }
        this.fileOutput = new Schema(out);
        for (String n : this.projection) {
            if (hive != null && hive.contains(n)) {
                out.add(schema.field(n));
            }
        }
        this.output = new Schema(out);
        this.pool = pool;
        this.budget = budget;
    }

    /** The schema of the morsels produced. */
    public Schema outputSchema() {
        return output;
    }

    /**
     * Reads the schema of {@code file} from its footer.
     *
     * @throws FormatException for a missing file, a file that is not Arrow IPC, or an unsupported type
     */
    public static Schema readSchema(Path file) {
        try (Arena a = Arena.ofConfined()) {
            return IpcFormat.toSchema(file, footer(file, map(file, a)).schema());
        }
    }

    private static MemorySegment map(Path file, Arena arena) {
        if (!Files.isRegularFile(file)) {
            throw new FormatException(file, null, "file not found");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new FormatException(file, null, "cannot read: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer bytes(MemorySegment seg, long offset, long length) {
        return seg.asSlice(offset, length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static Footer footer(Path file, MemorySegment seg) {
        long size = seg.byteSize();
        int m = IpcFormat.MAGIC.length;
        if (size < 2L * m + 4 + 2 || !magicAt(seg, 0) || !magicAt(seg, size - m)) {
            throw new FormatException(file, null, "not an Arrow IPC file (magic ARROW1 missing at the start or end)");
        }
        int len = seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), size - m - 4);
        if (len <= 0 || len > size - 2L * m - 4) {
            throw new FormatException(file, null, "corrupt Arrow IPC footer (length " + len + ")");
        }
        try {
            Footer f = Footer.getRootAsFooter(bytes(seg, size - m - 4 - len, len));
            if (f.schema() == null) {
                throw new FormatException(file, null, "corrupt Arrow IPC footer (no schema)");
            }
            return f;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new FormatException(file, null, "corrupt Arrow IPC footer (" + e + ")", e);
        }
    }

    private static boolean magicAt(MemorySegment seg, long at) {
        for (int i = 0; i < IpcFormat.MAGIC.length; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, at + i) != IpcFormat.MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private synchronized void plan() {
        if (planned) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("Arrow IPC scan is closed");
        }
        planned = true;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            Mapping mp = new Mapping();
            maps.add(mp);
            mp.seg = map(file, mp.arena);
            Footer footer = footer(file, mp.seg);
            Schema s = IpcFormat.toSchema(file, footer.schema());
            if (!s.equals(fileSchema)) {
                throw new FormatException(file, null, "columns " + s + " differ from those of " + files.get(0) + " "
                        + fileSchema);
            }
            for (int b = 0; b < footer.recordBatchesLength(); b++) {
                Block blk = footer.recordBatches(b);
                splits.add(new Split(f, blk.offset(), blk.metaDataLength(), blk.bodyLength()));
            }
        }
    }

    /** Number of splits (record batches). */
    public int splitCount() {
        plan();
        return splits.size();
    }

    /** Wraps record batch {@code i} as a morsel with sequence number {@code i}; the caller owns it. */
    public Morsel readSplit(int i) {
        plan();
        Split s = splits.get(i);
        Path file = files.get(s.file());
        Mapping mp = maps.get(s.file());
        MemorySegment seg = mp.seg;
        List<ColumnVector> cols = new ArrayList<>(fileOutput.size());
        Morsel m;
        try {
            long at = s.offset();
            int len = seg.get(ValueLayout.JAVA_INT_UNALIGNED, at);
            long fb = at + 8;
            if (len != IpcFormat.CONTINUATION) { // pre-0.15 files: no continuation marker
                fb = at + 4;
            } else {
                len = seg.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4);
            }
            Message msg = Message.getRootAsMessage(bytes(seg, fb, len));
            if (msg.headerType() != MessageHeader.RecordBatch) {
                throw new FormatException(file, null, "block " + i + " is not a record batch");
            }
            RecordBatch rb = (RecordBatch) msg.header(new RecordBatch());
            if (rb.compression() != null) {
                throw new FormatException(file, null, "compressed Arrow IPC bodies are not supported");
            }
            long body = at + s.metaLength();
            int rows = Math.toIntExact(rb.length());
            int buffer = 0;
            int out = 0;
            for (int c = 0; c < fileSchema.size(); c++) {
                Field f = fileSchema.field(c);
                int nb = f.type() == DataType.UTF8 ? 3 : 2;
                if (out < fileOutput.size() && fileOutput.field(out).name().equals(f.name())) {
                    var node = rb.nodes(c);
                    NativeBuffer validity = node.nullCount() == 0 ? null : wrap(mp, body, rb, buffer);
                    NativeBuffer values = wrap(mp, body, rb, buffer + 1);
                    NativeBuffer data = nb == 3 ? wrap(mp, body, rb, buffer + 2) : null;
                    ColumnVector v = ColumnVector.fromBuffers(f, Math.toIntExact(node.length()),
                            Math.toIntExact(node.nullCount()), validity, values, data);
                    cols.add(v);
                    if (data != null) {
                        checkOffsets(file, i, f.name(), values.segment(), v.length(), data.capacity());
                    }
                    out++;
                }
                buffer += nb;
            }
            m = new Morsel(fileOutput, cols, rows, i);
        } catch (FormatException e) {
            cols.forEach(ColumnVector::close);
            throw e;
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            throw new FormatException(file, null, "corrupt record batch " + i + " (" + e + ")", e);
        }
        return hive == null ? m : hive.append(m, s.file(), output, pool, budget);
    }

    /**
     * String offsets must rise and stay within the data: a damaged one would make a later
     * operator read other rows' bytes, or fail far from here without naming the file. (Arrow IPC
     * carries no checksums, so damaged values themselves cannot be told from real ones.)
     */
    private static void checkOffsets(Path file, int batch, String column, MemorySegment offsets, int rows, long dataBytes) {
        int prev = 0;
        for (long r = 1; r <= rows; r++) {
            int o = offsets.get(ValueLayout.JAVA_INT_UNALIGNED, 4 * r);
            if (o < prev || o > dataBytes) {
                throw new FormatException(file, column, "corrupt record batch " + batch + ": string offset " + r
                        + " of column '" + column + "' is " + o + " after " + prev + " (the data holds " + dataBytes
                        + " bytes; offsets must rise and stay within it)");
            }
            prev = o;
        }
    }

    private NativeBuffer wrap(Mapping mp, long body, RecordBatch rb, int index) {
        var b = rb.buffers(index);
        MemorySegment slice = mp.seg.asSlice(body + b.offset(), b.length());
        mp.refs.incrementAndGet();
        // Once nothing reads the buffer its file pages can leave the RSS, before the mapping goes.
        return NativeBuffer.wrap(slice, budget, () -> {
            MappedPages.release(slice);
            mp.release();
        });
    }

    /** A scheduler source: workers claim record batches in order. Closing it closes the scan. */
    public Source source() {
        plan();
        return new SplitSource(SplitSource.scanName("ipc", files), splits.size(), this::readSplit, this::close);
    }

    /** Drops the scan's reference to each mapping; a file is unmapped once no vector reads it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        maps.forEach(Mapping::release);
    }
}
