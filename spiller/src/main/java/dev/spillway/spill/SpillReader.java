package dev.spillway.spill;

import dev.spillway.errors.SpillCorruptedException;
import dev.spillway.errors.SpillException;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.MappedPages;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;

/**
 * Reads a finished spill file back: memory-maps it, checks its structure and every checksum (or,
 * in an encrypted file, every chunk's AES-GCM tag, decrypting into a pooled buffer), and
 * decompresses blocks into pooled native buffers charged to the reader's budget.
 *
 * <p>Nothing read from the file is trusted: every length and offset is bounds-checked before use
 * and LZ4 runs in its safe mode with an exact output bound, so a damaged file yields a
 * {@link SpillCorruptedException} naming the file and block — never a crash or wrong data. The
 * file descriptor is closed right after mapping (the mapping stays valid), so readers do not count
 * against the open-file cap; {@link #close()} unmaps.
 */
public final class SpillReader implements AutoCloseable {
    private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.fastestInstance().safeDecompressor();
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final DataType[] TYPES = DataType.values();

    private final SpillDirectory dir;
    private final SpillFile file;
    private final MemoryBudget budget;
    private final Arena arena;
    private final MemorySegment map;
    private final long indexOffset;
    /** Largest raw chunk in this file, from its header. */
    private final int chunkBytes;
    private final long[] offsets;
    private final int[] partitions;
    private final int[] rows;
    private volatile boolean closed;

    /**
     * A reader of the blocks written so far to a file that is still being appended to: the block
     * index comes from the writer (no footer yet) and only the written prefix is mapped. Blocks are
     * immutable once appended, so the prefix stays valid while the writer appends behind it.
     */
    SpillReader(SpillDirectory dir, SpillFile prefix, long[] offsets, int[] partitions, int[] rows) {
        this.dir = dir;
        this.file = prefix;
        this.budget = dir.budget();
        this.arena = Arena.ofShared();
        this.indexOffset = prefix.byteSize();
        this.chunkBytes = dir.chunkBytes();
        this.offsets = offsets;
        this.partitions = partitions;
        this.rows = rows;
        try (FileChannel ch = FileChannel.open(prefix.path(), StandardOpenOption.READ)) {
            map = ch.map(FileChannel.MapMode.READ_ONLY, 0, prefix.byteSize(), arena);
        } catch (IOException e) {
            arena.close();
            throw new SpillException("cannot read spill file " + prefix.path() + ": " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    SpillReader(SpillDirectory dir, SpillFile file, MemoryBudget budget) {
        this.dir = dir;
        this.file = file;
        this.budget = budget;
        this.arena = Arena.ofShared();
        try {
            try (FileChannel ch = FileChannel.open(file.path(), StandardOpenOption.READ)) {
                map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            long size = map.byteSize();
            if (size < SpillFormat.FILE_HEADER_BYTES + SpillFormat.TRAILER_BYTES) {
                throw corrupt(-1, "file is " + size + " bytes, too short for a header and a trailer (truncated?)");
            }
            if (map.get(LONG, 0) != SpillFormat.FILE_MAGIC) {
                throw corrupt(-1, "bad file magic");
            }
            int version = map.get(INT, 8);
            if (version != SpillFormat.VERSION) {
                throw corrupt(-1, "unsupported format version " + version + " (this build reads " + SpillFormat.VERSION + ")");
            }
            chunkBytes = map.get(INT, SpillFormat.FILE_CHUNK_BYTES_OFFSET);
            if (!SpillFormat.validChunkBytes(chunkBytes)) {
                throw corrupt(-1, "chunk size " + chunkBytes + " in the header is not a power of two from "
                        + SpillFormat.MIN_CHUNK_BYTES + " to " + SpillFormat.CHUNK_BYTES);
            }
            long t = size - SpillFormat.TRAILER_BYTES;
            if (map.get(LONG, t + 24) != SpillFormat.END_MAGIC) {
                throw corrupt(-1, "no trailer at the end of the file (truncated or not finished)");
            }
            if (map.get(INT, t + 20) != 0) {
                throw corrupt(-1, "trailer's reserved field is not zero");
            }
            indexOffset = map.get(LONG, t);
            long count = map.get(LONG, t + 8);
            if (count < 0 || count > Integer.MAX_VALUE || indexOffset < SpillFormat.FILE_HEADER_BYTES
                    || indexOffset + count * SpillFormat.INDEX_ENTRY_BYTES != t) {
                throw corrupt(-1, "trailer describes " + count + " blocks at offset " + indexOffset
                        + ", inconsistent with the file size " + size);
            }
            CRC32C crc = new CRC32C();
            crc.update(map.asSlice(indexOffset, count * SpillFormat.INDEX_ENTRY_BYTES).asByteBuffer());
            if ((int) crc.getValue() != map.get(INT, t + 16)) {
                throw corrupt(-1, "index checksum mismatch");
            }
            int n = (int) count;
            offsets = new long[n];
            partitions = new int[n];
            rows = new int[n];
            long prev = SpillFormat.FILE_HEADER_BYTES - 1;
            for (int i = 0; i < n; i++) {
                long e = indexOffset + (long) i * SpillFormat.INDEX_ENTRY_BYTES;
                offsets[i] = map.get(LONG, e);
                partitions[i] = map.get(INT, e + 8);
                rows[i] = map.get(INT, e + 12);
                if (offsets[i] <= prev || offsets[i] + SpillFormat.BLOCK_HEADER_BYTES > indexOffset || rows[i] < 0) {
                    throw corrupt(i, "index entry points outside the data region");
                }
                prev = offsets[i];
            }
        } catch (IOException e) {
            arena.close();
            throw new SpillException("cannot read spill file " + file.path() + ": " + e, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private SpillCorruptedException corrupt(int block, String what) {
        return new SpillCorruptedException(file.path(), block, what);
    }

    /** Number of blocks. */
    public int blockCount() {
        return offsets.length;
    }

    /** The partition tag of block {@code b}. */
    public int partition(int b) {
        return partitions[b];
    }

    /** Rows of block {@code b}. */
    public int rowCount(int b) {
        return rows[b];
    }

    /** The blocks tagged with {@code partition}, in write order. */
    public List<Integer> blocksOf(int partition) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < partitions.length; i++) {
            if (partitions[i] == partition) {
                out.add(i);
            }
        }
        return out;
    }

    /** Reads the blocks of one partition lazily, in write order. */
    public Iterator<Morsel> partition(int partition, Schema schema) {
        List<Integer> blocks = blocksOf(partition);
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < blocks.size();
            }

            @Override
            public Morsel next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return read(blocks.get(next++), schema);
            }
        };
    }

    /**
     * Reads block {@code b} into buffers charged to the reader's budget; the caller owns the
     * morsel (its sequence number is {@code b}). See {@link #read(int, Schema, MemoryBudget)}.
     */
    public Morsel read(int b, Schema schema) {
        return read(b, schema, budget);
    }

    /**
     * Reads block {@code b}, decompressing into pooled buffers charged to {@code readBudget}; the
     * caller owns the morsel (its sequence number is {@code b}). Safe to call from several threads
     * at once: the mapping is shared and read-only, and every call uses its own checksum state and
     * output buffers (the LZ4 decompressor is stateless).
     *
     * @throws SpillCorruptedException when any check fails
     * @throws IllegalArgumentException when the block's columns do not match {@code schema}
     */
    public Morsel read(int b, Schema schema, MemoryBudget readBudget) {
        if (closed) {
            throw new IllegalStateException("spill reader for " + file.path() + " is closed");
        }
        long t0 = System.nanoTime();
        long off = offsets[b];
        long end = b + 1 < offsets.length ? offsets[b + 1] : indexOffset;
        if (map.get(INT, off) != SpillFormat.BLOCK_MAGIC) {
            throw corrupt(b, "bad block magic");
        }
        int partition = map.get(INT, off + 4);
        int rowCount = map.get(INT, off + 8);
        int columns = map.get(INT, off + 12);
        int metaLength = map.get(INT, off + 16);
        long payloadLength = map.get(LONG, off + 24);
        long metaStart = off + SpillFormat.BLOCK_HEADER_BYTES;
        if (metaLength < 0 || metaStart + metaLength > end) {
            throw corrupt(b, "block metadata length " + metaLength + " exceeds the block");
        }
        CRC32C crc = new CRC32C();
        crc.update(map.asSlice(off, SpillFormat.BLOCK_META_CRC_OFFSET).asByteBuffer());
        crc.update(map.asSlice(metaStart, metaLength).asByteBuffer());
        if ((int) crc.getValue() != map.get(INT, off + SpillFormat.BLOCK_META_CRC_OFFSET)) {
            throw corrupt(b, "block metadata checksum mismatch");
        }
        if (partition != partitions[b] || rowCount != rows[b] || payloadLength < 0
                || metaStart + metaLength + payloadLength != end) {
            throw corrupt(b, "block header disagrees with the index");
        }
        if (columns != schema.size()) {
            throw new IllegalArgumentException("block " + b + " of " + file.path() + " has " + columns
                    + " columns, the schema " + schema.names() + " has " + schema.size());
        }
        List<ColumnVector> vectors = new ArrayList<>(columns);
        List<NativeBuffer> pending = new ArrayList<>(3);
        NativeBuffer[] plainScratch = new NativeBuffer[1];
        long meta = metaStart;
        long pos = metaStart + metaLength;
        long raw = 0;
        try {
            for (int c = 0; c < columns; c++) {
                if (meta + SpillFormat.COLUMN_DESCRIPTOR_BYTES > metaStart + metaLength) {
                    throw corrupt(b, "column descriptors truncated");
                }
                int typeOrdinal = Byte.toUnsignedInt(map.get(ValueLayout.JAVA_BYTE, meta));
                int bufferCount = map.get(SHORT, meta + 2);
                int nullCount = map.get(INT, meta + 4);
                meta += SpillFormat.COLUMN_DESCRIPTOR_BYTES;
                if (typeOrdinal >= TYPES.length) {
                    throw corrupt(b, "unknown column type " + typeOrdinal);
                }
                DataType type = TYPES[typeOrdinal];
                if (type != schema.field(c).type()) {
                    throw new IllegalArgumentException("block " + b + " of " + file.path() + ": column " + c + " is "
                            + type.displayName() + ", the schema says " + schema.field(c));
                }
                int expectedBuffers = type == DataType.UTF8 ? 3 : 2;
                if (bufferCount != expectedBuffers || nullCount < 0 || nullCount > rowCount
                        || meta + (long) bufferCount * SpillFormat.BUFFER_DESCRIPTOR_BYTES > metaStart + metaLength) {
                    throw corrupt(b, "bad descriptor for column " + c);
                }
                pending.clear();
                for (int i = 0; i < bufferCount; i++) {
                    long rawLength = map.get(LONG, meta);
                    int chunks = map.get(INT, meta + 8);
                    meta += SpillFormat.BUFFER_DESCRIPTOR_BYTES;
                    checkBufferLength(b, c, i, type, rowCount, nullCount, rawLength, chunks);
                    if (i == 0 && rawLength == 0) {
                        pending.add(null);
                        continue;
                    }
                    NativeBuffer out = dir.pool().allocate(readBudget, Math.max(1, rawLength));
                    pending.add(out);
                    pos = readChunks(b, pos, end, chunks, rawLength, out.segment(), readBudget, plainScratch);
                    raw += rawLength;
                }
                ColumnVector v;
                try {
                    v = ColumnVector.fromBuffers(schema.field(c), rowCount, nullCount, pending.get(0), pending.get(1),
                            type == DataType.UTF8 ? pending.get(2) : null);
                } catch (IllegalArgumentException e) {
                    pending.clear();
                    throw corrupt(b, "column " + c + ": " + e.getMessage());
                } finally {
                    pending.clear();
                }
                vectors.add(v);
            }
            if (pos != end) {
                throw corrupt(b, "payload has " + (end - pos) + " unread bytes");
            }
        } catch (RuntimeException e) {
            for (NativeBuffer nb : pending) {
                if (nb != null) {
                    nb.close();
                }
            }
            for (ColumnVector v : vectors) {
                v.close();
            }
            throw e;
        } finally {
            if (plainScratch[0] != null) {
                plainScratch[0].close();
            }
        }
        // The block was decompressed into pooled buffers: its file pages can leave the RSS.
        MappedPages.release(map, off, end);
        long nanos = System.nanoTime() - t0;
        long stored = end - off;
        dir.stats().read(stored, raw, nanos);
        dir.manager().stats().read(stored, raw, nanos);
        for (SpillListener l : dir.manager().listeners()) {
            l.blockRead(file.path(), partition, rowCount, stored, raw, nanos);
        }
        return new Morsel(schema, vectors, rowCount, b);
    }

    private void checkBufferLength(int b, int c, int i, DataType type, int rowCount, int nullCount, long rawLength,
            int chunks) {
        long expected;
        if (i == 0) {
            expected = nullCount == 0 ? 0 : (rowCount + 7L) / 8;
        } else if (i == 1) {
            expected = switch (type) {
                case BOOLEAN -> (rowCount + 7L) / 8;
                case UTF8 -> 4L * (rowCount + 1);
                default -> (long) rowCount * type.byteWidth();
            };
        } else {
            expected = -1;
        }
        if (rawLength < 0 || rawLength > Integer.MAX_VALUE || (expected >= 0 && rawLength != expected)
                || chunks != (rawLength + chunkBytes - 1) / chunkBytes) {
            throw corrupt(b, "column " + c + " buffer " + i + " has length " + rawLength + " in " + chunks
                    + " chunks, expected " + (expected >= 0 ? expected : "any") + " bytes");
        }
    }

    private long readChunks(int b, long pos, long end, int chunks, long rawLength, MemorySegment out,
            MemoryBudget readBudget, NativeBuffer[] plainScratch) {
        long filled = 0;
        SpillCipher cipher = dir.cipher();
        for (int k = 0; k < chunks; k++) {
            if (pos + SpillFormat.CHUNK_DESCRIPTOR_BYTES > end) {
                throw corrupt(b, "chunk descriptor beyond the block");
            }
            byte codec = map.get(ValueLayout.JAVA_BYTE, pos);
            byte flags = map.get(ValueLayout.JAVA_BYTE, pos + SpillFormat.CHUNK_FLAGS_OFFSET);
            int chunkRaw = map.get(INT, pos + 4);
            int stored = map.get(INT, pos + 8);
            int expectedCrc = map.get(INT, pos + 12);
            long data = pos + SpillFormat.CHUNK_DESCRIPTOR_BYTES;
            if (chunkRaw <= 0 || chunkRaw > chunkBytes || chunkRaw > rawLength - filled || stored < 0
                    || data + stored > end) {
                throw corrupt(b, "chunk " + k + " has impossible lengths (raw " + chunkRaw + ", stored " + stored + ")");
            }
            boolean encrypted = flags == SpillFormat.CHUNK_FLAG_AES_GCM;
            if (flags != 0 && !encrypted) {
                throw corrupt(b, "chunk " + k + " has unknown flags " + flags);
            }
            // A plain chunk where this query encrypts would be data the query never wrote.
            if (encrypted != (cipher != null)) {
                throw corrupt(b, "chunk " + k + (encrypted ? " is encrypted, but this query's spill files are not"
                        : " is not encrypted, but this query encrypts its spill files (tampered?)"));
            }
            MemorySegment dst = out.asSlice(filled, chunkRaw);
            MemorySegment codecBytes;
            int codecLength;
            if (encrypted) {
                codecLength = stored - SpillFormat.GCM_NONCE_BYTES - SpillFormat.GCM_TAG_BYTES;
                if (codecLength < 0 || codecLength > chunkRaw) {
                    throw corrupt(b, "encrypted chunk " + k + " stores " + stored + " bytes for " + chunkRaw + " raw");
                }
                if (codec == SpillFormat.CODEC_RAW) {
                    if (codecLength != chunkRaw) {
                        throw corrupt(b, "raw chunk " + k + " stores " + codecLength + " bytes for " + chunkRaw);
                    }
                    codecBytes = dst;
                } else {
                    if (plainScratch[0] == null) {
                        plainScratch[0] = dir.pool().allocate(readBudget, chunkBytes);
                    }
                    codecBytes = plainScratch[0].segment().asSlice(0, codecLength);
                }
                decrypt(b, k, cipher, pos, data, stored, codecBytes);
            } else {
                CRC32C crc = new CRC32C();
                crc.update(map.asSlice(pos, 12).asByteBuffer());
                crc.update(map.asSlice(data, stored).asByteBuffer());
                if ((int) crc.getValue() != expectedCrc) {
                    throw corrupt(b, "chunk " + k + " checksum mismatch");
                }
                codecBytes = map.asSlice(data, stored);
                codecLength = stored;
            }
            if (codec == SpillFormat.CODEC_RAW) {
                if (codecLength != chunkRaw) {
                    throw corrupt(b, "raw chunk " + k + " stores " + codecLength + " bytes for " + chunkRaw);
                }
                if (codecBytes != dst) {
                    MemorySegment.copy(codecBytes, 0, dst, 0, codecLength);
                }
            } else if (codec == SpillFormat.CODEC_LZ4) {
                int n;
                try {
                    n = DECOMPRESSOR.decompress(codecBytes.asByteBuffer(), 0, codecLength, dst.asByteBuffer(), 0, chunkRaw);
                } catch (LZ4Exception e) {
                    throw corrupt(b, "chunk " + k + " does not decompress: " + e.getMessage());
                }
                if (n != chunkRaw) {
                    throw corrupt(b, "chunk " + k + " decompressed to " + n + " bytes, expected " + chunkRaw);
                }
            } else {
                throw corrupt(b, "chunk " + k + " has unknown codec " + codec);
            }
            filled += chunkRaw;
            pos = data + stored;
        }
        if (filled != rawLength) {
            throw corrupt(b, "buffer chunks hold " + filled + " bytes, expected " + rawLength);
        }
        return pos;
    }

    /** Decrypts the chunk at {@code pos} (its stored bytes at {@code data}) into {@code plain}, checking its tag. */
    private void decrypt(int b, int k, SpillCipher cipher, long pos, long data, int stored, MemorySegment plain) {
        byte[] descriptor = map.asSlice(pos, 12).toArray(ValueLayout.JAVA_BYTE);
        byte[] nonce = map.asSlice(data, SpillFormat.GCM_NONCE_BYTES).toArray(ValueLayout.JAVA_BYTE);
        byte[] aad = SpillCipher.associatedData(descriptor, pos, file.path().getFileName().toString());
        ByteBuffer sealed = map.asSlice(data + SpillFormat.GCM_NONCE_BYTES, stored - SpillFormat.GCM_NONCE_BYTES)
                .asByteBuffer();
        int n;
        try {
            n = cipher.decrypt(nonce, sealed, plain.asByteBuffer(), aad);
        } catch (AEADBadTagException e) {
            throw corrupt(b, "chunk " + k + " fails its AES-GCM authentication tag (damaged, tampered with, moved, or"
                    + " written under another query's key)");
        }
        if (n != plain.byteSize()) {
            throw corrupt(b, "chunk " + k + " decrypted to " + n + " bytes, expected " + plain.byteSize());
        }
    }

    /** The file being read. */
    public SpillFile file() {
        return file;
    }

    /** Unmaps the file. Idempotent; morsels already read stay valid. No read may be in progress. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        arena.close();
    }
}
