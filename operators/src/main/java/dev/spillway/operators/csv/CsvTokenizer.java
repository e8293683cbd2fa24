package dev.spillway.operators.csv;

import dev.spillway.errors.CsvFormatException;
import dev.spillway.options.CsvOptions;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Splits CSV bytes into records and fields (RFC 4180: quoted fields may hold delimiters, line
 * breaks and doubled quotes; CRLF or LF line ends). Fields are reported as byte ranges, so callers
 * parse numbers straight from the mapped file without a String per field. Completely empty lines
 * are skipped.
 */
final class CsvTokenizer {
    /** Receives the fields of records. */
    interface Fields {
        /** Field {@code index} spans {@code [start, end)}; escaped means it holds doubled quotes. */
        void field(int index, long start, long end, boolean quoted, boolean escaped, long line);

        /** The record that began on {@code line} ended with {@code fields} fields. */
        void endRecord(int fields, long line);
    }

    private final MemorySegment data;
    private final long fileEnd;
    private final byte delimiter;
    private final byte quote;
    private final Path file;

    CsvTokenizer(MemorySegment data, Path file, CsvOptions options) {
        this.data = data;
        this.fileEnd = data.byteSize();
        this.delimiter = (byte) options.delimiter();
        this.quote = (byte) options.quote();
        this.file = file;
    }

    private byte at(long pos) {
        return data.get(ValueLayout.JAVA_BYTE, pos);
    }

    /**
     * Tokenizes the records that start in {@code [start, end)}, at most {@code maxRecords}.
     *
     * @return the position after the last record read
     */
    long run(long start, long end, long firstLine, long maxRecords, Fields out) {
        long pos = start;
        long line = firstLine;
        long records = 0;
        while (pos < end && records < maxRecords) {
            byte first = at(pos);
            if (first == '\n') {
                pos++;
                line++;
                continue;
            }
            if (first == '\r' && pos + 1 < fileEnd && at(pos + 1) == '\n') {
                pos += 2;
                line++;
                continue;
            }
            long recordLine = line;
            int field = 0;
            while (true) {
                long fs;
                long fe;
                boolean quoted = false;
                boolean escaped = false;
                if (pos < fileEnd && at(pos) == quote) {
                    quoted = true;
                    long openLine = line;
                    pos++;
                    fs = pos;
                    while (true) {
                        if (pos >= fileEnd) {
                            throw new CsvFormatException(file, openLine, field + 1, "#" + (field + 1), null,
                                    "quoted field is not closed before the end of the file");
                        }
                        byte b = at(pos);
                        if (b == quote) {
                            if (pos + 1 < fileEnd && at(pos + 1) == quote) {
                                escaped = true;
                                pos += 2;
                                continue;
                            }
                            break;
                        }
                        if (b == '\n') {
                            line++;
                        }
                        pos++;
                    }
                    fe = pos;
                    pos++;
                    if (pos < fileEnd) {
                        byte b = at(pos);
                        boolean crlf = b == '\r' && (pos + 1 >= fileEnd || at(pos + 1) == '\n');
                        if (b != delimiter && b != '\n' && !crlf) {
                            throw new CsvFormatException(file, line, field + 1, "#" + (field + 1), text(fs - 1, pos + 1),
                                    "unexpected character after a closing quote (a quote inside a quoted field must be doubled)");
                        }
                    }
                } else {
                    fs = pos;
                    while (pos < fileEnd) {
                        byte b = at(pos);
                        if (b == delimiter || b == '\n') {
                            break;
                        }
                        if (b == quote) {
                            throw new CsvFormatException(file, line, field + 1, "#" + (field + 1), text(fs, lineEnd(pos)),
                                    "quote character inside an unquoted field (quote the whole field and double the quote)");
                        }
                        pos++;
                    }
                    fe = pos;
                    if (fe > fs && at(fe - 1) == '\r' && (pos >= fileEnd || at(pos) == '\n')) {
                        fe--;
                    }
                }
                out.field(field, fs, fe, quoted, escaped, line);
                field++;
                if (pos >= fileEnd) {
                    break;
                }
                byte b = at(pos);
                if (b == delimiter) {
                    pos++;
                    continue;
                }
                if (b == '\r') {
                    pos++;
                }
                if (pos < fileEnd && at(pos) == '\n') {
                    pos++;
                    line++;
                }
                break;
            }
            out.endRecord(field, recordLine);
            records++;
        }
        return pos;
    }

    private long lineEnd(long pos) {
        long p = pos;
        while (p < fileEnd && at(p) != '\n') {
            p++;
        }
        return p;
    }

    /** The bytes {@code [from, to)} as text (for error messages). */
    String text(long from, long to) {
        return text(from, to, 200);
    }

    private String text(long from, long to, int limit) {
        long f = Math.max(0, from);
        long t = Math.min(fileEnd, Math.max(f, to));
        byte[] b = new byte[(int) Math.min(t - f, limit)];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, f, b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The text of a field, with doubled quotes undone when escaped. */
    String fieldText(long start, long end, boolean escaped) {
        String s = text(start, end, Integer.MAX_VALUE - 8);
        return escaped ? s.replace(String.valueOf((char) quote) + (char) quote, String.valueOf((char) quote)) : s;
    }
}
