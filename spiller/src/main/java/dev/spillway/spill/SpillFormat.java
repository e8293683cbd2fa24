package dev.spillway.spill;

/**
 * Byte layout of a spill file: every offset and size the writer and reader share. All integers
 * are little-endian. See the package documentation for the picture.
 */
public final class SpillFormat {
    /** File magic, the ASCII bytes {@code SPILLWY1} read as a little-endian long. */
    public static final long FILE_MAGIC = 0x3159574C4C495053L;
    /** Format version written in the header. */
    public static final int VERSION = 2;
    /**
     * Bytes of the file header: magic (8), version (4), chunk size (4: the largest raw chunk in
     * this file, see {@link #validChunkBytes}).
     */
    public static final int FILE_HEADER_BYTES = 16;
    /** Offset of the chunk size in the file header. */
    public static final int FILE_CHUNK_BYTES_OFFSET = 12;

    /** Block magic, ASCII {@code BLK1}. */
    public static final int BLOCK_MAGIC = 0x314B4C42;
    /**
     * Bytes of a block header: magic (4), partition (4), row count (4), column count (4),
     * meta length (4: bytes of column descriptors that follow), meta CRC32C (4: over header bytes
     * 0..19 and the descriptors), payload length (8: bytes of chunk data after the descriptors).
     */
    public static final int BLOCK_HEADER_BYTES = 32;
    /** Offset of the meta CRC in the block header. */
    public static final int BLOCK_META_CRC_OFFSET = 20;

    /** Bytes of a column descriptor: type ordinal (1), reserved (1), buffer count (2), null count (4). */
    public static final int COLUMN_DESCRIPTOR_BYTES = 8;
    /** Bytes of a buffer descriptor: raw length (8), chunk count (4), reserved (4). */
    public static final int BUFFER_DESCRIPTOR_BYTES = 16;
    /**
     * Bytes of a chunk descriptor: codec (1), flags (1), reserved (2), raw length (4), stored
     * length (4), CRC32C (4; 0 in an encrypted chunk, whose GCM tag is its check).
     */
    public static final int CHUNK_DESCRIPTOR_BYTES = 16;
    /** Offset of the flags byte in a chunk descriptor. */
    public static final int CHUNK_FLAGS_OFFSET = 1;
    /**
     * Chunk flag: the stored bytes are {@code nonce (12) | AES-GCM ciphertext | tag (16)} of the
     * codec's bytes (encrypted after compression); the associated data is the descriptor's first
     * 12 bytes, the chunk's file offset and the file name.
     */
    public static final byte CHUNK_FLAG_AES_GCM = 1;
    /** Bytes of an AES-GCM nonce: a random 4-byte prefix per key and an 8-byte counter. */
    public static final int GCM_NONCE_BYTES = 12;
    /** Bytes of an AES-GCM tag. */
    public static final int GCM_TAG_BYTES = 16;

    /** Chunk codec: bytes stored as they are (compression did not pay). */
    public static final byte CODEC_RAW = 0;
    /** Chunk codec: LZ4 block format. */
    public static final byte CODEC_LZ4 = 1;
    /**
     * Largest raw chunk: buffers are cut into chunks so that the compression scratch stays
     * bounded. A query under a small cap writes smaller chunks ({@link #chunkBytesFor}).
     */
    public static final int CHUNK_BYTES = 1 << 20;
    /** Smallest raw chunk a file may declare. */
    public static final int MIN_CHUNK_BYTES = 1 << 16;

    /** Bytes of a footer index entry: block offset (8), partition (4), row count (4). */
    public static final int INDEX_ENTRY_BYTES = 16;
    /**
     * Bytes of the trailer at the very end: index offset (8), block count (8), index CRC32C (4),
     * reserved (4), end magic (8).
     */
    public static final int TRAILER_BYTES = 32;
    /** Trailer magic, ASCII {@code SPILLEND}. */
    public static final long END_MAGIC = 0x444E454C4C495053L;

    private SpillFormat() {
    }

    /**
     * The compression scratch and chunk size for a query whose memory is capped at {@code cap}
     * bytes: a sixteenth of the cap rounded down to a power of two, from {@link #MIN_CHUNK_BYTES}
     * to {@link #CHUNK_BYTES}. The scratch is held for the query's whole life, so at the 4 MiB
     * minimum cap it takes a sixteenth of the cap (it took almost a third when it was sized for
     * LZ4's worst case of a 1 MiB chunk).
     */
    public static int chunkBytesFor(long cap) {
        long sixteenth = Math.max(1, cap / 16);
        long pow = Long.highestOneBit(sixteenth);
        return Math.clamp(pow, MIN_CHUNK_BYTES, CHUNK_BYTES);
    }

    /**
     * Whether {@code n} is a chunk size a file may declare: a size {@link #chunkBytesFor} gives,
     * less the GCM tag when the file is encrypted.
     */
    public static boolean validChunkBytes(int n) {
        int pow = Integer.highestOneBit(n + GCM_TAG_BYTES);
        return n >= MIN_CHUNK_BYTES - GCM_TAG_BYTES && n <= CHUNK_BYTES && (n == pow || n + GCM_TAG_BYTES == pow);
    }

    /** Whether storing {@code stored} bytes for {@code raw} bytes pays (saves at least 1/16). */
    public static boolean compressionPays(long raw, long stored) {
        return stored < raw - (raw >>> 4);
    }
}
