package dev.spillway.spill;

/**
 * Byte layout of a spill file: every offset and size the writer and reader share. All integers
 * are little-endian. See the package documentation for the picture.
 */
public final class SpillFormat {
    /** File magic, the ASCII bytes {@code SPILLWY1} read as a little-endian long. */
    public static final long FILE_MAGIC = 0x3159574C4C495053L;
    /** Format version written in the header. */
    public static final int VERSION = 1;
    /** Bytes of the file header: magic (8), version (4), reserved (4). */
    public static final int FILE_HEADER_BYTES = 16;

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
    /** Largest raw chunk: buffers are cut into chunks so compression scratch stays bounded. */
    public static final int CHUNK_BYTES = 1 << 20;

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

    /** Whether storing {@code stored} bytes for {@code raw} bytes pays (saves at least 1/16). */
    public static boolean compressionPays(long raw, long stored) {
        return stored < raw - (raw >>> 4);
    }
}
