package dev.spillway.formats.parquet;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * Walks the pages of a column chunk and checks each page header's {@code crc} (field 4 of
 * Parquet's {@code PageHeader}: the CRC32 of the page's bytes as stored, after compression).
 *
 * <p>Hardwood verifies the CRC of every page it decodes but reports only the column; when it does,
 * the scan walks the row group's column chunks with this class to name the row group and page.
 * Only the header fields needed to find the next page are decoded (type, sizes, crc); everything
 * else in a header is skipped by its Thrift compact type.
 */
final class PageChecksums {
    private static final int BOOLEAN_TRUE = 1;
    private static final int BOOLEAN_FALSE = 2;
    private static final int BYTE = 3;
    private static final int I16 = 4;
    private static final int I32 = 5;
    private static final int I64 = 6;
    private static final int DOUBLE = 7;
    private static final int BINARY = 8;
    private static final int LIST = 9;
    private static final int SET = 10;
    private static final int MAP = 11;
    private static final int STRUCT = 12;

    private PageChecksums() {
    }

    /**
     * The first page of {@code chunk} (a whole column chunk, positioned at its first page header)
     * whose stored CRC does not match its bytes, described as {@code page N at byte X: ...}; null
     * when every page that carries a CRC matches.
     *
     * @param chunkOffset the chunk's offset in the file, for the message
     * @throws IllegalArgumentException when a page header cannot be parsed
     */
    static String firstMismatch(ByteBuffer chunk, long chunkOffset) {
        ByteBuffer b = chunk.duplicate();
        int page = 0;
        while (b.hasRemaining()) {
            int headerStart = b.position();
            Header h = readHeader(b);
            int dataStart = b.position();
            if (h.compressedSize < 0 || h.compressedSize > b.remaining()) {
                throw new IllegalArgumentException("page " + page + " at byte " + (chunkOffset + headerStart)
                        + " claims " + h.compressedSize + " bytes, " + b.remaining() + " left in the column chunk");
            }
            if (h.crc != null) {
                CRC32 crc = new CRC32();
                crc.update(b.slice(dataStart, h.compressedSize));
                int actual = (int) crc.getValue();
                if (actual != h.crc) {
                    return String.format(Locale.ROOT, "page %d (%s page, header at byte %d): CRC32 %08x in the page header,"
                            + " %08x over the page's %d bytes", page, h.typeName(), chunkOffset + headerStart, h.crc, actual,
                            h.compressedSize);
                }
            }
            b.position(dataStart + h.compressedSize);
            page++;
        }
        return null;
    }

    /** How many pages of {@code chunk} carry a CRC (all of them, for files Spillway writes). */
    static int pagesWithCrc(ByteBuffer chunk) {
        ByteBuffer b = chunk.duplicate();
        int n = 0;
        while (b.hasRemaining()) {
            Header h = readHeader(b);
            if (h.crc != null) {
                n++;
            }
            b.position(b.position() + h.compressedSize);
        }
        return n;
    }

    private record Header(int type, int compressedSize, Integer crc) {
        String typeName() {
            return switch (type) {
                case 0 -> "data";
                case 1 -> "index";
                case 2 -> "dictionary";
                case 3 -> "data v2";
                default -> "type " + type;
            };
        }
    }

    private static Header readHeader(ByteBuffer b) {
        int type = -1;
        int compressed = -1;
        Integer crc = null;
        int last = 0;
        while (true) {
            int head = Byte.toUnsignedInt(b.get());
            if (head == 0) {
                return new Header(type, compressed, crc);
            }
            int t = head & 0x0F;
            int delta = head >>> 4;
            int id = delta != 0 ? last + delta : unzigzag32((int) varint(b));
            last = id;
            if (t == I32 && (id == 1 || id == 3 || id == 4)) {
                int v = unzigzag32((int) varint(b));
                if (id == 1) {
                    type = v;
                } else if (id == 3) {
                    compressed = v;
                } else {
                    crc = v;
                }
            } else {
                skip(b, t);
            }
        }
    }

    private static void skip(ByteBuffer b, int type) {
        switch (type) {
            case BOOLEAN_TRUE, BOOLEAN_FALSE -> {
            }
            case BYTE -> b.get();
            case I16, I32, I64 -> varint(b);
            case DOUBLE -> b.position(b.position() + 8);
            case BINARY -> b.position(b.position() + Math.toIntExact(varint(b)));
            case LIST, SET -> {
                int head = Byte.toUnsignedInt(b.get());
                long n = head >>> 4 == 15 ? varint(b) : head >>> 4;
                for (long i = 0; i < n; i++) {
                    skipElement(b, head & 0x0F);
                }
            }
            case MAP -> {
                long n = varint(b);
                if (n > 0) {
                    int kv = Byte.toUnsignedInt(b.get());
                    for (long i = 0; i < n; i++) {
                        skipElement(b, kv >>> 4);
                        skipElement(b, kv & 0x0F);
                    }
                }
            }
            case STRUCT -> {
                while (true) {
                    int head = Byte.toUnsignedInt(b.get());
                    if (head == 0) {
                        return;
                    }
                    if (head >>> 4 == 0) {
                        varint(b); // a long-form field id
                    }
                    skip(b, head & 0x0F);
                }
            }
            default -> throw new IllegalArgumentException("unknown Thrift compact type " + type + " in a page header");
        }
    }

    /** In a list, set or map, booleans take a byte each. */
    private static void skipElement(ByteBuffer b, int type) {
        if (type == BOOLEAN_TRUE || type == BOOLEAN_FALSE) {
            b.get();
        } else {
            skip(b, type);
        }
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int x = Byte.toUnsignedInt(b.get());
            v |= (long) (x & 0x7F) << shift;
            if (x < 0x80) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes in a page header");
    }

    private static int unzigzag32(int v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
