package dev.spillway.operators.csv;

import dev.spillway.options.CsvOptions;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.operators.MorselFileWriter;
import dev.spillway.types.Schema;
import dev.spillway.memory.Utf8Vector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;

/**
 * Writes morsels as CSV (RFC 4180), streaming through a 1 MiB buffer: a field is quoted when it
 * holds the delimiter, the quote, CR or LF (or, for strings, when it is empty, so that an empty
 * string reads back as an empty string and not as null), and inner quotes are doubled. Floats are
 * written in the shortest form that reads back to the same double. Not thread-safe.
 */
public final class CsvWriter implements MorselFileWriter, AutoCloseable {
    private static final int BUFFER = 1 << 20;

    private final Path file;
    private final Schema schema;
    private final byte delimiter;
    private final byte quote;
    private final byte[] nullBytes;
    private final FileChannel channel;
    private final byte[] out = new byte[BUFFER];
    private int pos;
    private long rows;
    private boolean closed;

    /**
     * Creates (or truncates) {@code file} and writes the header if the options ask for one.
     *
     * @throws UncheckedIOException when the file cannot be created
     */
    public CsvWriter(Path file, Schema schema, CsvOptions options) {
        this.file = file;
        this.schema = schema;
        this.delimiter = (byte) options.delimiter();
        this.quote = (byte) options.quote();
        this.nullBytes = options.nullString().getBytes(StandardCharsets.UTF_8);
        try {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create CSV file " + file + ": " + e.getMessage(), e);
        }
        if (options.header()) {
            for (int c = 0; c < schema.size(); c++) {
                if (c > 0) {
                    put(delimiter);
                }
                byte[] name = schema.field(c).name().getBytes(StandardCharsets.UTF_8);
                putField(MemorySegment.ofArray(name), 0, name.length, true);
            }
            put((byte) '\n');
        }
    }

    /** Writes the rows of {@code m}, taking ownership of it. */
    @Override
    public void write(Morsel m) {
        try (m) {
            writeRows(m);
        }
    }

    private void writeRows(Morsel m) {
        if (closed) {
            throw new IllegalStateException("CSV writer for " + file + " is closed");
        }
        int cols = m.columnCount();
        ColumnVector[] vectors = new ColumnVector[cols];
        for (int c = 0; c < cols; c++) {
            vectors[c] = m.column(c);
        }
        for (int r = 0; r < m.rowCount(); r++) {
            for (int c = 0; c < cols; c++) {
                if (c > 0) {
                    put(delimiter);
                }
                writeValue(vectors[c], r);
            }
            put((byte) '\n');
        }
        rows += m.rowCount();
    }

    private void writeValue(ColumnVector v, int r) {
        if (v.isNull(r)) {
            putBytes(nullBytes);
            return;
        }
        switch (v) {
            case Int64Vector x when x.type() == DataType.TIMESTAMP -> putAscii(x.format(r));
            case Int64Vector x -> putLong(x.get(r));
            case Int32Vector x when x.type() == DataType.DATE32 -> putAscii(LocalDate.ofEpochDay(x.get(r)).toString());
            case Int32Vector x -> putLong(x.get(r));
            case Float64Vector x -> putAscii(formatDouble(x.get(r)));
            case BooleanVector x -> putAscii(x.get(r) ? "true" : "false");
            case Utf8Vector x -> putString(x.dataSegment(), x.dataOffset(r), x.byteLength(r));
            case Decimal128Vector x -> putAscii(x.format(r));
        }
    }

    private static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            // Integral values as "3.0" rather than "3.0E7"; still a float on read-back.
            return (long) d + ".0";
        }
        return Double.toString(d);
    }

    /** Decimal digits of a long, straight into the buffer. */
    private void putLong(long value) {
        if (value == Long.MIN_VALUE) {
            putAscii(Long.toString(value));
            return;
        }
        room(20);
        long v = value;
        if (v < 0) {
            out[pos++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        int end = pos + digits;
        for (int i = end - 1; i >= pos; i--) {
            out[i] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        }
        pos = end;
    }

    /**
     * A string field: copied in bulk, then scanned in the buffer for bytes that need quoting;
     * only then is it rewritten quoted (rare).
     */
    private void putString(MemorySegment src, long off, int len) {
        if (len == 0) {
            putField(src, off, len, false);
            return;
        }
        if (len > out.length / 2) {
            putField(src, off, len, false);
            return;
        }
        room(len);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, off, out, pos, len);
        boolean special = false;
        for (int i = pos; i < pos + len; i++) {
            byte b = out[i];
            special |= b == delimiter || b == quote || b == '\n' || b == '\r';
        }
        if (special || (nullBytes.length == len && java.util.Arrays.equals(out, pos, pos + len, nullBytes, 0, len))) {
            putField(src, off, len, false);
            return;
        }
        pos += len;
    }

    private void putField(MemorySegment src, long off, int len, boolean isHeader) {
        boolean needsQuotes = len == 0 && !isHeader;
        for (int i = 0; i < len && !needsQuotes; i++) {
            byte b = src.get(ValueLayout.JAVA_BYTE, off + i);
            needsQuotes = b == delimiter || b == quote || b == '\n' || b == '\r';
        }
        if (!needsQuotes && nullBytes.length > 0 && len == nullBytes.length
                && MemorySegment.mismatch(src, off, off + len, MemorySegment.ofArray(nullBytes), 0, len) < 0) {
            needsQuotes = true;
        }
        if (!needsQuotes) {
            putSegment(src, off, len);
            return;
        }
        put(quote);
        long start = off;
        for (long i = off; i < off + len; i++) {
            if (src.get(ValueLayout.JAVA_BYTE, i) == quote) {
                putSegment(src, start, (int) (i - start + 1));
                put(quote);
                start = i + 1;
            }
        }
        putSegment(src, start, (int) (off + len - start));
        put(quote);
    }

    /** Makes room for {@code n} more bytes (at most the buffer's size). */
    private void room(int n) {
        if (pos + n > out.length) {
            writeBuffer();
        }
    }

    private void put(byte b) {
        if (pos == out.length) {
            writeBuffer();
        }
        out[pos++] = b;
    }

    private void putAscii(String s) {
        int n = s.length();
        if (n > out.length) {
            putBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            return;
        }
        room(n);
        for (int i = 0; i < n; i++) {
            out[pos + i] = (byte) s.charAt(i);
        }
        pos += n;
    }

    private void putBytes(byte[] b) {
        putSegment(MemorySegment.ofArray(b), 0, b.length);
    }

    private void putSegment(MemorySegment src, long off, int len) {
        long done = 0;
        while (done < len) {
            if (pos == out.length) {
                writeBuffer();
            }
            int n = (int) Math.min(out.length - pos, len - done);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, off + done, out, pos, n);
            pos += n;
            done += n;
        }
    }

    private void writeBuffer() {
        ByteBuffer buffer = ByteBuffer.wrap(out, 0, pos);
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write CSV file " + file + " after " + rows + " rows: " + e.getMessage(), e);
        }
        pos = 0;
    }

    /** Rows written so far. */
    @Override
    public long rows() {
        return rows;
    }

    /** Flushes the file, forces it to disk with {@code sync}, and closes it. Idempotent. */
    @Override
    public void complete(boolean sync) {
        if (closed) {
            return;
        }
        if (sync) {
            try {
                writeBuffer();
                channel.force(false);
            } catch (IOException e) {
                close();
                throw new UncheckedIOException("cannot write CSV file " + file + ": " + e.getMessage(), e);
            }
        }
        close();
    }

    /** Closes the file, flushing what is buffered (a CSV file has no footer). Idempotent. */
    @Override
    public void abort() {
        close();
    }

    /** Flushes and closes the file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (channel) {
            writeBuffer();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close CSV file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The schema written. */
    public Schema schema() {
        return schema;
    }
}
