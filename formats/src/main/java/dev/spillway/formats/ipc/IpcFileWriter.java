package dev.spillway.formats.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.spillway.formats.FileOutput;
import dev.spillway.errors.FormatException;
import dev.spillway.operators.MorselFileWriter;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes morsels to an Arrow IPC file (Feather v2, uncompressed), one record batch per morsel.
 * Buffers go to the file straight from the column vectors' native memory
 * ({@link ColumnVector#bufferView}); only a vector that is an unaligned view is normalized
 * through a scratch copy ({@link ColumnVector#copyBuffer}). Not thread-safe.
 */
public final class IpcFileWriter implements MorselFileWriter, AutoCloseable {
    private static final byte[] ZEROS = new byte[IpcFormat.ALIGNMENT];

    private final Path path;
    private final Schema schema;
    private final FileOutput file;
    private final List<long[]> blocks = new ArrayList<>();
    private long rows;

    /** Creates (or truncates) {@code path} and writes the magic and the schema message. */
    public IpcFileWriter(Path path, Schema schema) {
        this.path = path;
        this.schema = schema;
        this.file = new FileOutput(path);
        try {
            write(ByteBuffer.wrap(IpcFormat.MAGIC));
            write(ByteBuffer.wrap(ZEROS, 0, 2));
            FlatBufferBuilder b = new FlatBufferBuilder(256);
            int s = IpcFormat.buildSchema(b, schema);
            b.finish(Message.createMessage(b, MetadataVersion.V5, MessageHeader.Schema, s, 0, 0));
            writeMessage(b.dataBuffer());
        } catch (IOException e) {
            file.close();
            throw new FormatException(path, null, "cannot write: " + e.getMessage(), e);
        }
    }

    /** Rows written. */
    @Override
    public long rows() {
        return rows;
    }

    /** Returns the metadata length written (prefix + flatbuffer + padding). */
    private int writeMessage(ByteBuffer flatbuffer) throws IOException {
        int fbLen = flatbuffer.remaining();
        int padded = (int) IpcFormat.pad(8 + fbLen);
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putInt(IpcFormat.CONTINUATION).putInt(padded - 8).flip();
        write(prefix);
        write(flatbuffer);
        write(ByteBuffer.wrap(ZEROS, 0, padded - 8 - fbLen));
        return padded;
    }

    /** Writes {@code m} as one record batch, taking ownership of it. */
    @Override
    public void write(Morsel m) {
        try (m) {
            writeBatch(m);
        }
    }

    private void writeBatch(Morsel m) {
        int cols = m.columnCount();
        List<long[]> bufs = new ArrayList<>();
        long body = 0;
        for (int c = 0; c < cols; c++) {
            ColumnVector v = m.column(c);
            for (int i = 0; i < v.bufferCount(); i++) {
                long len = v.bufferByteSize(i);
                bufs.add(new long[] {body, len});
                body += IpcFormat.pad(len);
            }
        }
        FlatBufferBuilder b = new FlatBufferBuilder(256 + 32 * bufs.size());
        RecordBatch.startNodesVector(b, cols);
        for (int c = cols - 1; c >= 0; c--) {
            FieldNode.createFieldNode(b, m.column(c).length(), m.column(c).nullCount());
        }
        int nodes = b.endVector();
        RecordBatch.startBuffersVector(b, bufs.size());
        for (int i = bufs.size() - 1; i >= 0; i--) {
            Buffer.createBuffer(b, bufs.get(i)[0], bufs.get(i)[1]);
        }
        int buffers = b.endVector();
        int rb = RecordBatch.createRecordBatch(b, m.rowCount(), nodes, buffers, 0, 0);
        b.finish(Message.createMessage(b, MetadataVersion.V5, MessageHeader.RecordBatch, rb, body, 0));
        try {
            long offset = file.position();
            int meta = writeMessage(b.dataBuffer());
            for (int c = 0; c < cols; c++) {
                ColumnVector v = m.column(c);
                for (int i = 0; i < v.bufferCount(); i++) {
                    long len = v.bufferByteSize(i);
                    if (len > 0) {
                        MemorySegment view = v.bufferView(i);
                        if (view != null) {
                            write(view.asByteBuffer());
                        } else {
                            try (Arena scratch = Arena.ofConfined()) {
                                MemorySegment copy = scratch.allocate(len);
                                v.copyBuffer(i, copy);
                                write(copy.asByteBuffer());
                            }
                        }
                    }
                    write(ByteBuffer.wrap(ZEROS, 0, (int) (IpcFormat.pad(len) - len)));
                }
            }
            blocks.add(new long[] {offset, meta, body});
            rows += m.rowCount();
        } catch (IOException e) {
            throw new FormatException(path, null, "cannot write: " + e.getMessage(), e);
        }
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
            FlatBufferBuilder b = new FlatBufferBuilder(256 + 24 * blocks.size());
            int s = IpcFormat.buildSchema(b, schema);
            Footer.startRecordBatchesVector(b, blocks.size());
            for (int i = blocks.size() - 1; i >= 0; i--) {
                long[] blk = blocks.get(i);
                Block.createBlock(b, blk[0], (int) blk[1], blk[2]);
            }
            int batches = b.endVector();
            Footer.startDictionariesVector(b, 0);
            int dicts = b.endVector();
            b.finish(Footer.createFooter(b, MetadataVersion.V5, s, dicts, batches, 0));
            ByteBuffer fb = b.dataBuffer();
            int len = fb.remaining();
            write(fb);
            ByteBuffer tail = ByteBuffer.allocate(4 + IpcFormat.MAGIC.length).order(ByteOrder.LITTLE_ENDIAN);
            tail.putInt(len).put(IpcFormat.MAGIC).flip();
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

    /** Closes the file without a footer. Idempotent. */
    @Override
    public void abort() {
        if (file.isClosed()) {
            return;
        }
        file.close();
    }
}
