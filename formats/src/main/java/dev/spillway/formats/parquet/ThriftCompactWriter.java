package dev.spillway.formats.parquet;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The subset of Thrift's compact protocol that Parquet's footer and page headers need: structs of
 * i32, i64, binary, list and nested struct fields. Field ids are written as deltas from the
 * previous field of the same struct; {@link #structBegin}/{@link #structEnd} keep that state.
 */
final class ThriftCompactWriter {
    static final int I32 = 5;
    static final int I64 = 6;
    static final int BINARY = 8;
    static final int LIST = 9;
    static final int STRUCT = 12;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    private final int[] lastField = new int[32];
    private int depth;

    void structBegin() {
        lastField[++depth] = 0;
    }

    void structEnd() {
        out.write(0);
        depth--;
    }

    void fieldHeader(int id, int type) {
        int delta = id - lastField[depth];
        if (delta > 0 && delta <= 15) {
            out.write(delta << 4 | type);
        } else {
            out.write(type);
            varint(zigzag(id));
        }
        lastField[depth] = id;
    }

    /** A bool field: compact protocol carries the value in the field header's type (1 true, 2 false). */
    void bool(int id, boolean v) {
        fieldHeader(id, v ? 1 : 2);
    }

    void i32(int id, int v) {
        fieldHeader(id, I32);
        varint(zigzag(v));
    }

    void i64(int id, long v) {
        fieldHeader(id, I64);
        varint(zigzag(v));
    }

    void binary(int id, byte[] v) {
        fieldHeader(id, BINARY);
        varint(v.length);
        out.writeBytes(v);
    }

    void string(int id, String v) {
        binary(id, v.getBytes(StandardCharsets.UTF_8));
    }

    /** A struct field; follow with the struct's fields and {@link #structEnd}. */
    void struct(int id) {
        fieldHeader(id, STRUCT);
        structBegin();
    }

    /** A list field header; follow with {@code size} elements. */
    void list(int id, int elementType, int size) {
        fieldHeader(id, LIST);
        if (size < 15) {
            out.write(size << 4 | elementType);
        } else {
            out.write(0xF0 | elementType);
            varint(size);
        }
    }

    void listI32(int v) {
        varint(zigzag(v));
    }

    void listString(String v) {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        varint(b.length);
        out.writeBytes(b);
    }

    /** Appends bytes encoded by another writer (a whole struct, as a list element). */
    void raw(byte[] encoded) {
        out.writeBytes(encoded);
    }

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
