package dev.spillway.spill;

import dev.spillway.errors.SpillException;

import dev.spillway.memory.Bytes;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import net.jpountz.lz4.LZ4Exception;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Appends morsels to one spill file as blocks of LZ4-compressed column buffers, then seals it
 * with a footer index ({@link #finish()}).
 *
 * <p>Column data goes from the vectors' native buffers to the file without a heap copy: each
 * buffer is cut into chunks of at most {@link SpillDirectory#chunkBytes()}, compressed into the query's
 * native scratch, and written with positional writes — or written straight from the vector when
 * compression does not pay. With encryption on, the chunk's bytes are then sealed with AES-GCM in
 * the scratch ({@link SpillCipher}) and written as nonce, ciphertext and tag. Only block metadata
 * passes through a small heap buffer. Writes are
 * positional, so the channel can be closed under the open-file cap and reopened at any time.
 *
 * <p>Not thread-safe for concurrent appends to the same file (methods are synchronized); different
 * writers of one query may append concurrently and share the compression scratch.
 */
public final class SpillWriter implements AutoCloseable {
    private final SpillDirectory dir;
    private final Path path;
    /** A chunk descriptor, followed by the nonce when the chunk is encrypted. */
    private final ByteBuffer chunkDescriptor = ByteBuffer
            .allocate(SpillFormat.CHUNK_DESCRIPTOR_BYTES + SpillFormat.GCM_NONCE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final List<long[]> index = new ArrayList<>();
    private long position;
    private long reservedDisk;
    private long rawBytes;
    private boolean finished;
    private boolean closed;

    SpillWriter(SpillDirectory dir, Path path) {
        this.dir = dir;
        this.path = path;
    }

    /** The file being written. */
    public Path path() {
        return path;
    }

    /** Bytes written to the file so far. */
    public synchronized long bytesWritten() {
        return position;
    }

    /** Blocks appended so far. */
    public synchronized int blockCount() {
        return index.size();
    }

    /**
     * Appends {@code morsel} (not closed: the caller still owns it) as one block tagged with
     * {@code partition}.
     *
     * @throws SpillException when the disk is full or a spill cap is reached; the file is then
     *                        deleted and this writer closed
     */
    public synchronized void append(Morsel morsel, int partition) {
        ensureWritable();
        long t0 = System.nanoTime();
        FileChannel ch = null;
        long requested = 0;
        try {
            ch = dir.manager().handles().pin(this);
            if (position == 0) {
                ByteBuffer header = ByteBuffer.allocate(SpillFormat.FILE_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                header.putLong(SpillFormat.FILE_MAGIC).putInt(SpillFormat.VERSION).putInt(dir.chunkBytes()).flip();
                requested = header.remaining();
                reserve(requested);
                write(ch, header, 0);
                position = SpillFormat.FILE_HEADER_BYTES;
            }
            long blockStart = position;
            int columns = morsel.columnCount();
            int metaLength = 0;
            for (int c = 0; c < columns; c++) {
                metaLength += SpillFormat.COLUMN_DESCRIPTOR_BYTES
                        + morsel.column(c).bufferCount() * SpillFormat.BUFFER_DESCRIPTOR_BYTES;
            }
            ByteBuffer meta = ByteBuffer.allocate(SpillFormat.BLOCK_HEADER_BYTES + metaLength).order(ByteOrder.LITTLE_ENDIAN);
            meta.position(SpillFormat.BLOCK_HEADER_BYTES);
            long raw = 0;
            for (int c = 0; c < columns; c++) {
                ColumnVector v = morsel.column(c);
                meta.put((byte) v.type().ordinal()).put((byte) 0).putShort((short) v.bufferCount()).putInt(v.nullCount());
                for (int i = 0; i < v.bufferCount(); i++) {
                    long size = v.bufferByteSize(i);
                    raw += size;
                    meta.putLong(size).putInt(chunkCount(size)).putInt(0);
                }
            }
            long pos = blockStart + SpillFormat.BLOCK_HEADER_BYTES + metaLength;
            long payloadStart = pos;
            for (int c = 0; c < columns; c++) {
                ColumnVector v = morsel.column(c);
                for (int i = 0; i < v.bufferCount(); i++) {
                    pos = writeBuffer(ch, v, i, pos);
                }
            }
            meta.putInt(0, SpillFormat.BLOCK_MAGIC).putInt(4, partition).putInt(8, morsel.rowCount()).putInt(12, columns)
                    .putInt(16, metaLength).putLong(24, pos - payloadStart);
            CRC32C crc = new CRC32C();
            crc.update(meta.array(), 0, SpillFormat.BLOCK_META_CRC_OFFSET);
            crc.update(meta.array(), SpillFormat.BLOCK_HEADER_BYTES, metaLength);
            meta.putInt(SpillFormat.BLOCK_META_CRC_OFFSET, (int) crc.getValue());
            meta.position(0);
            requested = meta.remaining();
            reserve(requested);
            write(ch, meta, blockStart);
            long stored = pos - blockStart;
            position = pos;
            rawBytes += raw;
            index.add(new long[] {blockStart, partition, morsel.rowCount()});
            long nanos = System.nanoTime() - t0;
            dir.stats().wrote(raw, stored, nanos);
            dir.manager().stats().wrote(raw, stored, nanos);
            for (SpillListener l : dir.manager().listeners()) {
                l.blockWritten(path, partition, morsel.rowCount(), raw, stored, nanos);
            }
        } catch (IOException e) {
            SpillException se = diskError(e, requested);
            abort(se);
            throw se;
        } catch (RuntimeException | Error e) {
            abort(e);
            throw e;
        } finally {
            if (ch != null) {
                dir.manager().handles().unpin(this);
            }
        }
    }

    private int chunkCount(long size) {
        return (int) ((size + dir.chunkBytes() - 1) / dir.chunkBytes());
    }

    private long writeBuffer(FileChannel ch, ColumnVector v, int i, long pos) throws IOException {
        long size = v.bufferByteSize(i);
        if (size == 0) {
            return pos;
        }
        MemorySegment src = v.bufferView(i);
        NativeBuffer copy = null;
        try {
            if (src == null) {
                // A view whose bitmap or offsets need normalising: one copy into native memory.
                copy = dir.pool().allocate(dir.budget(), size);
                v.copyBuffer(i, copy.segment());
                src = copy.segment().asSlice(0, size);
            }
            int chunk = dir.chunkBytes();
            for (long off = 0; off < size; off += chunk) {
                pos = writeChunk(ch, src.asSlice(off, Math.min(chunk, size - off)), pos);
            }
            return pos;
        } finally {
            if (copy != null) {
                copy.close();
            }
        }
    }

    private long writeChunk(FileChannel ch, MemorySegment raw, long pos) throws IOException {
        dir.scratchLock().lock();
        try {
            int rawLength = (int) raw.byteSize();
            MemorySegment scratch = dir.scratch().segment();
            ByteBuffer dst = scratch.asByteBuffer();
            boolean lz4 = false;
            int compressed = 0;
            // Output that would not save a sixteenth is not wanted, so the compressor may stop there.
            int wanted = rawLength - (rawLength >>> 4) - 1;
            if (dir.manager().compress() && wanted > 0) {
                try {
                    compressed = SpillDirectory.compressor().compress(raw.asByteBuffer(), 0, rawLength, dst, 0, wanted);
                    lz4 = SpillFormat.compressionPays(rawLength, compressed);
                } catch (LZ4Exception incompressible) {
                    lz4 = false;
                }
            }
            MemorySegment stored = lz4 ? scratch.asSlice(0, compressed) : raw;
            int storedLength = (int) stored.byteSize();
            SpillCipher cipher = dir.cipher();
            if (cipher != null) {
                return writeEncrypted(ch, cipher, lz4, rawLength, stored, scratch, pos);
            }
            ByteBuffer desc = chunkDescriptor.clear();
            desc.put(lz4 ? SpillFormat.CODEC_LZ4 : SpillFormat.CODEC_RAW).put((byte) 0).putShort((short) 0)
                    .putInt(rawLength).putInt(storedLength);
            CRC32C crc = new CRC32C();
            crc.update(desc.array(), 0, 12);
            ByteBuffer data = stored.asByteBuffer();
            crc.update(data);
            data.rewind();
            desc.putInt((int) crc.getValue()).flip();
            reserve(SpillFormat.CHUNK_DESCRIPTOR_BYTES + (long) storedLength);
            write(ch, desc, pos);
            write(ch, data, pos + SpillFormat.CHUNK_DESCRIPTOR_BYTES);
            return pos + SpillFormat.CHUNK_DESCRIPTOR_BYTES + storedLength;
        } finally {
            dir.scratchLock().unlock();
        }
    }

    /**
     * Writes {@code plain} (the chunk's codec bytes) as {@code nonce | ciphertext | tag} after its
     * descriptor; the ciphertext goes to the scratch (in place when {@code plain} is already there).
     * Called under the scratch lock, which also guards the cipher.
     */
    private long writeEncrypted(FileChannel ch, SpillCipher cipher, boolean lz4, int rawLength, MemorySegment plain,
            MemorySegment scratch, long pos) throws IOException {
        int plainLength = (int) plain.byteSize();
        int storedLength = SpillFormat.GCM_NONCE_BYTES + plainLength + SpillFormat.GCM_TAG_BYTES;
        ByteBuffer head = chunkDescriptor.clear();
        head.put(lz4 ? SpillFormat.CODEC_LZ4 : SpillFormat.CODEC_RAW).put(SpillFormat.CHUNK_FLAG_AES_GCM)
                .putShort((short) 0).putInt(rawLength).putInt(storedLength).putInt(0);
        byte[] aad = SpillCipher.associatedData(head.array(), pos, path.getFileName().toString());
        byte[] nonce = new byte[SpillFormat.GCM_NONCE_BYTES];
        ByteBuffer out = scratch.asSlice(0, plainLength + SpillFormat.GCM_TAG_BYTES).asByteBuffer();
        int sealed = cipher.encrypt(plain.asByteBuffer(), out, nonce, aad);
        if (sealed != plainLength + SpillFormat.GCM_TAG_BYTES) {
            throw new IllegalStateException("AES-GCM sealed " + plainLength + " bytes into " + sealed);
        }
        head.put(nonce).flip();
        reserve(SpillFormat.CHUNK_DESCRIPTOR_BYTES + (long) storedLength);
        write(ch, head, pos);
        write(ch, out.flip(), pos + SpillFormat.CHUNK_DESCRIPTOR_BYTES + SpillFormat.GCM_NONCE_BYTES);
        return pos + SpillFormat.CHUNK_DESCRIPTOR_BYTES + storedLength;
    }

    private void reserve(long bytes) {
        dir.reserveDisk(bytes, path, position);
        reservedDisk += bytes;
    }

    private static void write(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        long pos = at;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }

    private SpillException diskError(IOException e, long requested) {
        return new SpillException("cannot write spill file " + path + ": " + e.getMessage() + "; " + Bytes.format(position)
                + " written to this file, " + Bytes.format(requested) + " requested, free space "
                + Bytes.format(SpillManager.usableSpace(dir.manager().root())), e);
    }

    /**
     * A reader of the blocks appended so far, while this writer may go on appending (the file has
     * no footer yet: the index comes from memory). Blocks appended later need a new reader.
     */
    synchronized SpillReader openWritten() {
        ensureWritable();
        int n = index.size();
        long[] offsets = new long[n];
        int[] partitions = new int[n];
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            long[] e = index.get(i);
            offsets[i] = e[0];
            partitions[i] = (int) e[1];
            rows[i] = (int) e[2];
        }
        return new SpillReader(dir, new SpillFile(path, position, n, rawBytes), offsets, partitions, rows);
    }

    /**
     * Writes the footer index and closes the file.
     *
     * @return the finished file, to read back with {@link SpillDirectory#open}
     */
    public synchronized SpillFile finish() {
        ensureWritable();
        FileChannel ch = null;
        try {
            ch = dir.manager().handles().pin(this);
            if (position == 0) {
                ByteBuffer header = ByteBuffer.allocate(SpillFormat.FILE_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                header.putLong(SpillFormat.FILE_MAGIC).putInt(SpillFormat.VERSION).putInt(dir.chunkBytes()).flip();
                reserve(header.remaining());
                write(ch, header, 0);
                position = SpillFormat.FILE_HEADER_BYTES;
            }
            ByteBuffer footer = ByteBuffer.allocate(index.size() * SpillFormat.INDEX_ENTRY_BYTES + SpillFormat.TRAILER_BYTES)
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (long[] e : index) {
                footer.putLong(e[0]).putInt((int) e[1]).putInt((int) e[2]);
            }
            CRC32C crc = new CRC32C();
            crc.update(footer.array(), 0, footer.position());
            footer.putLong(position).putLong(index.size()).putInt((int) crc.getValue()).putInt(0)
                    .putLong(SpillFormat.END_MAGIC).flip();
            reserve(footer.remaining());
            long size = position + footer.remaining();
            write(ch, footer, position);
            position = size;
            dir.manager().handles().unpin(this);
            ch = null;
            dir.manager().handles().release(this);
            finished = true;
            closed = true;
            SpillFile file = new SpillFile(path, reservedDisk, index.size(), rawBytes);
            dir.writerFinished(this, file);
            return file;
        } catch (IOException e) {
            SpillException se = diskError(e, 0);
            abort(se);
            throw se;
        } catch (RuntimeException | Error e) {
            abort(e);
            throw e;
        } finally {
            if (ch != null) {
                dir.manager().handles().unpin(this);
            }
        }
    }

    private void ensureWritable() {
        if (closed) {
            throw new IllegalStateException("spill writer for " + path + " is " + (finished ? "finished" : "closed"));
        }
    }

    private void abort(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            dir.manager().handles().release(this);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        try {
            dir.writerAborted(this, reservedDisk);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** Deletes the file unless {@link #finish()} sealed it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        SpillException reason = new SpillException("spill writer closed before finish: " + path);
        abort(reason);
        if (reason.getSuppressed().length > 0) {
            throw reason;
        }
    }
}
