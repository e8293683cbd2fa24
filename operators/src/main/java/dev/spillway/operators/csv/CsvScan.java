package dev.spillway.operators.csv;

import dev.spillway.errors.CsvFormatException;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.InvalidUtf8;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.memory.DecimalText;
import dev.spillway.types.Field;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MappedPages;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.scheduler.Source;

import dev.spillway.operators.SplitSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * A parallel scan of one or more CSV files.
 *
 * <p>Each file is memory-mapped. One sequential, quote-aware pass ({@link CsvSplits}) cuts the data
 * into splits at record boundaries sized to about one morsel of rows, and records the line number
 * each split starts on for error messages.
 * Workers then claim splits and parse them in parallel straight into column builders: numbers and
 * dates are parsed from the mapped bytes, strings are copied once into the column. Each split
 * becomes one morsel whose sequence number is the split's index, so file order can be restored.
 * Only the projected columns are materialised.
 */
public final class CsvScan implements AutoCloseable {
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final List<Path> files;
    private final CsvOptions options;
    private final Schema fileSchema;
    private final int[] projection;
    private final int[] projected;
    private final Schema output;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final Arena arena = Arena.ofShared();
    private final List<MemorySegment> maps = new ArrayList<>();
    private final List<CsvSplits.Split> splits = new ArrayList<>();
    private long targetSplitBytes;
    private int targetRows = Morsel.DEFAULT_ROWS;
    private boolean planned;
    private boolean closed;

    /**
     * Creates a scan; files are opened when splits are planned (first {@link #source()} or
     * {@link #splitCount()}).
     *
     * @param projection positions in {@code fileSchema} to materialise, in output order; null for all
     */
    public CsvScan(List<Path> files, CsvOptions options, Schema fileSchema, int[] projection, BlockPool pool,
            MemoryBudget budget) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("a CSV scan needs at least one file");
        }
        this.files = List.copyOf(files);
        this.options = options;
        this.fileSchema = fileSchema;
        this.pool = pool;
        this.budget = budget;
        int n = fileSchema.size();
        this.projection = projection == null ? identity(n) : projection.clone();
        this.projected = new int[n];
        java.util.Arrays.fill(projected, -1);
        List<Field> out = new ArrayList<>();
        for (int i = 0; i < this.projection.length; i++) {
            projected[this.projection[i]] = i;
            out.add(fileSchema.field(this.projection[i]));
        }
        this.output = new Schema(out);
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    /** The schema of the morsels produced. */
    public Schema outputSchema() {
        return output;
    }

    /** Overrides the split size (bytes); by default about one morsel of rows. For tests and tuning. */
    public CsvScan targetSplitBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("split size must be >= 1 byte");
        }
        this.targetSplitBytes = bytes;
        return this;
    }

    /** Aims at about {@code rows} rows per split (= per morsel); the default is {@link Morsel#DEFAULT_ROWS}. */
    public CsvScan targetSplitRows(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows per split must be >= 1");
        }
        this.targetRows = rows;
        return this;
    }

    // ------------------------------------------------------------------ schema inference

    /**
     * Infers a schema from the first {@link CsvOptions#inferRows()} records of the first file:
     * per column the narrowest of boolean, int64, float64, date32 (ISO yyyy-MM-dd) that fits
     * every non-null sample; then timestamp when every sample is a timestamp or date in
     * {@link Timestamps#FORMS} (with a time zone, UTC, when every sample has a UTC offset; without
     * one when none has; a mix is utf8); else utf8.
     *
     * @throws CsvFormatException for an empty file with a header, or malformed sample rows
     */
    public static Schema inferSchema(List<Path> files, CsvOptions options) {
        if (options.schema() != null) {
            return options.schema();
        }
        Path file = files.get(0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = map(file, a);
            long start = bomLength(seg);
            CsvTokenizer tok = new CsvTokenizer(seg, file, options);
            List<String> names = new ArrayList<>();
            long dataStart = start;
            if (options.header()) {
                if (start >= seg.byteSize()) {
                    throw new CsvFormatException(file, 1, 0, null, null, "file is empty: no header to read column names from");
                }
                dataStart = tok.run(start, seg.byteSize(), 1, 1, new CsvTokenizer.Fields() {
                    @Override
                    public void field(int index, long s, long e, boolean quoted, boolean escaped, long line) {
                        names.add(tok.fieldText(s, e, escaped));
                    }

                    @Override
                    public void endRecord(int fields, long line) {
                    }
                });
            }
            List<List<String>> samples = new ArrayList<>();
            int[] width = {-1};
            tok.run(dataStart, seg.byteSize(), options.header() ? 2 : 1, options.inferRows(), new CsvTokenizer.Fields() {
                final List<String> row = new ArrayList<>();

                @Override
                public void field(int index, long s, long e, boolean quoted, boolean escaped, long line) {
                    String t = tok.fieldText(s, e, escaped);
                    row.add(!quoted && (t.isEmpty() || t.equals(options.nullString())) ? null : t);
                }

                @Override
                public void endRecord(int fields, long line) {
                    int expected = names.isEmpty() ? (width[0] < 0 ? fields : width[0]) : names.size();
                    if (fields != expected) {
                        throw new CsvFormatException(file, line, 0, null, null, "expected " + expected + " fields"
                                + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")") + ", found " + fields);
                    }
                    width[0] = fields;
                    samples.add(new ArrayList<>(row));
                    row.clear();
                }
            });
            int columns = names.isEmpty() ? Math.max(width[0], 0) : names.size();
            if (columns == 0) {
                throw new CsvFormatException(file, 1, 0, null, null, "file has no rows to infer a schema from; give one with"
                        + " CsvOptions.withSchema");
            }
            List<Field> fields = new ArrayList<>();
            for (int c = 0; c < columns; c++) {
                String name = names.isEmpty() ? "column_" + (c + 1) : names.get(c);
                fields.add(inferField(name, samples, c));
            }
            try {
                return new Schema(fields);
            } catch (IllegalArgumentException dup) {
                throw new CsvFormatException(file, 1, 0, null, null, "header has " + dup.getMessage());
            }
        }
    }

    private static Field inferField(String name, List<List<String>> samples, int c) {
        boolean bool = true;
        boolean int64 = true;
        boolean float64 = true;
        boolean date = true;
        boolean timestamp = true;
        boolean anyOffset = false;
        boolean allOffsets = true;
        boolean[] offset = new boolean[1];
        boolean any = false;
        for (List<String> row : samples) {
            String v = row.get(c);
            if (v == null) {
                continue;
            }
            any = true;
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            MemorySegment s = MemorySegment.ofArray(b);
            bool &= v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false");
            int64 &= ValueParser.parseLong(s, 0, b.length) != ValueParser.BAD_LONG || v.equals(String.valueOf(Long.MIN_VALUE));
            float64 &= ValueParser.isDouble(v);
            date &= ValueParser.parseDate(s, 0, b.length) != ValueParser.BAD_DATE;
            if (timestamp) {
                timestamp = Timestamps.looksLike(s, 0, b.length, offset);
                anyOffset |= offset[0];
                allOffsets &= offset[0];
            }
        }
        DataType t = !any ? DataType.UTF8 : bool ? DataType.BOOLEAN : int64 ? DataType.INT64 : float64 ? DataType.FLOAT64
                : date ? DataType.DATE32 : DataType.UTF8;
        if (t == DataType.UTF8 && any && timestamp && (allOffsets || !anyOffset)) {
            // Every value a timestamp: with UTC offsets on all of them the instants are kept (in UTC),
            // with none they are naive date-times; a mix stays text.
            return Field.timestamp(name, allOffsets ? "UTC" : null);
        }
        return Field.of(name, t);
    }

    // ------------------------------------------------------------------ split planning

    private static MemorySegment map(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new CsvFormatException(file, 0, 0, null, null, "file not found");
        } catch (IOException e) {
            throw withCause(new CsvFormatException(file, 0, 0, null, null, "cannot read the file: " + e.getMessage()), e);
        }
    }

    /** {@code x} with {@code cause} as its cause (an interrupt's ClosedByInterruptException makes the query a cancellation). */
    private static CsvFormatException withCause(CsvFormatException x, IOException cause) {
        x.initCause(cause);
        return x;
    }

    private static long bomLength(MemorySegment seg) {
        if (seg.byteSize() >= 3 && seg.get(ValueLayout.JAVA_BYTE, 0) == BOM[0] && seg.get(ValueLayout.JAVA_BYTE, 1) == BOM[1]
                && seg.get(ValueLayout.JAVA_BYTE, 2) == BOM[2]) {
            return 3;
        }
        return 0;
    }

    private synchronized void plan() {
        if (planned) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("CSV scan is closed");
        }
        planned = true;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            MemorySegment seg = map(file, arena);
            maps.add(seg);
            CsvTokenizer tok = new CsvTokenizer(seg, file, options);
            long start = bomLength(seg);
            long line = 1;
            if (options.header() && start < seg.byteSize()) {
                List<String> names = new ArrayList<>();
                start = tok.run(start, seg.byteSize(), 1, 1, new CsvTokenizer.Fields() {
                    @Override
                    public void field(int index, long s, long e, boolean quoted, boolean escaped, long ln) {
                        long bad = options.invalidUtf8() == InvalidUtf8.FAIL ? Utf8Validation.firstInvalid(seg, s, e) : -1;
                        if (bad >= 0) {
                            throw invalidUtf8(file, seg, bad, e, ln, index + 1, "header field " + (index + 1));
                        }
                        names.add(tok.fieldText(s, e, escaped));
                    }

                    @Override
                    public void endRecord(int fields, long ln) {
                    }
                });
                if (!names.equals(fileSchema.names())) {
                    throw new CsvFormatException(file, 1, 0, null, null, "header " + names + " does not match the expected"
                            + " columns " + fileSchema.names());
                }
                line = 2;
            }
            long target = targetSplitBytes > 0 ? targetSplitBytes : CsvSplits.estimateSplitBytes(seg, start, targetRows);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                CsvSplits.cut(f, ch, seg.byteSize(), start, line, target, (byte) options.quote(), splits);
            } catch (IOException e) {
                throw withCause(new CsvFormatException(file, 0, 0, null, null, "cannot read the file: " + e.getMessage()), e);
            }
        }
    }

    /** Number of splits (= morsels) of this scan. */
    public int splitCount() {
        plan();
        return splits.size();
    }

    // ------------------------------------------------------------------ parsing

    /** Parses split {@code i} into a morsel with sequence number {@code i}; the caller owns it. */
    public Morsel parseSplit(int i) {
        plan();
        CsvSplits.Split s = splits.get(i);
        Path file = files.get(s.file());
        MemorySegment seg = maps.get(s.file());
        CsvTokenizer tok = new CsvTokenizer(seg, file, options);
        int estimate = (int) Math.min(Morsel.DEFAULT_ROWS * 2L, Math.max(16, (s.end() - s.start()) / 16));
        List<ColumnBuilder> builders = new ArrayList<>(output.size());
        try {
            for (Field f : output) {
                builders.add(ColumnBuilder.create(f, pool, budget, estimate));
            }
            SplitParser parser = new SplitParser(tok, seg, file, builders);
            tok.run(s.start(), s.end(), s.line(), Long.MAX_VALUE, parser);
            List<ColumnVector> cols = new ArrayList<>(builders.size());
            for (ColumnBuilder b : builders) {
                cols.add(b.build());
            }
            return new Morsel(output, cols, parser.rows, i);
        } finally {
            for (ColumnBuilder b : builders) {
                b.close();
            }
            // Values were copied into the builders: the split's file pages can leave the RSS.
            MappedPages.release(seg, s.start(), s.end());
        }
    }

    /** Appends fields to the builders of the projected columns. */
    private final class SplitParser implements CsvTokenizer.Fields {
        private final CsvTokenizer tok;
        private final MemorySegment seg;
        private final Path file;
        private final List<ColumnBuilder> builders;
        private final byte[] nullBytes;
        private final MemorySegment nullSeg;
        private final byte quote;
        private byte[] scratch = new byte[256];
        private byte[] replaced = new byte[256];
        private final boolean replaceInvalid;
        private final long[] decimalOut = new long[2];
        private final long[] timestampOut = new long[1];
        int rows;

        SplitParser(CsvTokenizer tok, MemorySegment seg, Path file, List<ColumnBuilder> builders) {
            this.tok = tok;
            this.seg = seg;
            this.file = file;
            this.builders = builders;
            this.nullBytes = options.nullString().getBytes(StandardCharsets.UTF_8);
            this.nullSeg = MemorySegment.ofArray(nullBytes);
            this.quote = (byte) options.quote();
            this.replaceInvalid = options.invalidUtf8() == InvalidUtf8.REPLACE;
        }

        @Override
        public void field(int index, long s, long e, boolean quoted, boolean escaped, long line) {
            if (index >= projected.length) {
                return;
            }
            int out = projected[index];
            if (out < 0) {
                return;
            }
            ColumnBuilder b = builders.get(out);
            long len = e - s;
            if (!quoted && (len == 0 || (nullBytes.length > 0 && len == nullBytes.length
                    && MemorySegment.mismatch(seg, s, e, nullSeg, 0, nullBytes.length) < 0))) {
                b.appendNull();
                return;
            }
            switch (b) {
                case Utf8Builder u -> {
                    long bad = Utf8Validation.firstInvalid(seg, s, e);
                    if (bad >= 0) {
                        if (!replaceInvalid) {
                            throw invalidUtf8(file, seg, bad, e, line, index + 1,
                                    "column " + (index + 1) + " ('" + fileSchema.field(index).name() + "')");
                        }
                        appendReplaced(u, s, e, escaped);
                    } else if (escaped) {
                        int n = unescape(s, e);
                        u.append(MemorySegment.ofArray(scratch), 0, n);
                    } else {
                        u.append(seg, s, (int) len);
                    }
                }
                case Int64Builder l when l.type() == DataType.TIMESTAMP -> {
                    ZoneId zone = l.timeZone() == null ? null : Timestamps.zoneOrNull(l.timeZone());
                    int status = Timestamps.parse(seg, s, e, zone, timestampOut);
                    if (status != Timestamps.OK) {
                        throw bad(index, s, e, escaped, line, status == Timestamps.OFFSET_WITHOUT_ZONE
                                ? "a timestamp without a time zone: it has a UTC offset, which only a column with a time "
                                + "zone can hold (accepted: " + Timestamps.FORMS + ")"
                                : "a timestamp (" + Timestamps.FORMS + ")");
                    }
                    l.append(timestampOut[0]);
                }
                case Int64Builder l -> {
                    long v = ValueParser.parseLong(seg, s, e);
                    if (v == ValueParser.BAD_LONG && !ValueParser.isMinLong(seg, s, e)) {
                        throw bad(index, s, e, escaped, line, "an int64");
                    }
                    l.append(v);
                }
                case Int32Builder x when x.type() == DataType.DATE32 -> {
                    int d = ValueParser.parseDate(seg, s, e);
                    if (d == ValueParser.BAD_DATE) {
                        throw bad(index, s, e, escaped, line, "a date (yyyy-MM-dd)");
                    }
                    x.append(d);
                }
                case Int32Builder x -> {
                    long v = ValueParser.parseLong(seg, s, e);
                    if (v == ValueParser.BAD_LONG || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                        throw bad(index, s, e, escaped, line, "an int32");
                    }
                    x.append((int) v);
                }
                case Float64Builder f -> {
                    double v = ValueParser.parseDouble(seg, s, e);
                    if (Double.isNaN(v) && !ValueParser.isNaNText(tok.text(s, e))) {
                        throw bad(index, s, e, escaped, line, "a float64");
                    }
                    f.append(v);
                }
                case Decimal128Builder d -> {
                    int status = DecimalText.parse(seg, s, e, d.decimalType(), decimalOut);
                    if (status != DecimalText.OK) {
                        throw bad(index, s, e, escaped, line, status == DecimalText.OVERFLOW
                                ? "a " + d.decimalType().displayName() + ": too many digits before the decimal point (at most "
                                + (d.decimalType().precision() - d.decimalType().scale()) + ")"
                                : "a " + d.decimalType().displayName() + " (digits with an optional sign and decimal point)");
                    }
                    d.append128(decimalOut[0], decimalOut[1]);
                }
                case BooleanBuilder bo -> {
                    int v = ValueParser.parseBoolean(seg, s, e);
                    if (v < 0) {
                        throw bad(index, s, e, escaped, line, "a boolean (true or false)");
                    }
                    bo.append(v == 1);
                }
            }
        }

        /** Appends {@code [s, e)} with each ill-formed UTF-8 sequence replaced by U+FFFD. */
        private void appendReplaced(Utf8Builder u, long s, long e, boolean escaped) {
            MemorySegment src = seg;
            long from = s;
            long to = e;
            if (escaped) {
                to = unescape(s, e);
                src = MemorySegment.ofArray(scratch);
                from = 0;
            }
            long need = 3 * (to - from);
            if (replaced.length < need) {
                replaced = new byte[(int) Math.max(need, 2L * replaced.length)];
            }
            int n = Utf8Validation.replaceInvalid(src, from, to, replaced);
            u.append(MemorySegment.ofArray(replaced), 0, n);
        }

        private int unescape(long s, long e) {
            int need = (int) (e - s);
            if (scratch.length < need) {
                scratch = new byte[Math.max(need, scratch.length * 2)];
            }
            int n = 0;
            for (long p = s; p < e; p++) {
                byte c = seg.get(ValueLayout.JAVA_BYTE, p);
                scratch[n++] = c;
                if (c == quote) {
                    p++;
                }
            }
            return n;
        }

        private CsvFormatException bad(int index, long s, long e, boolean escaped, long line, String expected) {
            return new CsvFormatException(file, line, index + 1, fileSchema.field(index).name(), tok.fieldText(s, e, escaped),
                    "cannot parse as " + expected);
        }

        @Override
        public void endRecord(int fields, long line) {
            if (fields != fileSchema.size()) {
                throw new CsvFormatException(file, line, 0, null, null, "expected " + fileSchema.size() + " fields ("
                        + String.join(", ", fileSchema.names()) + "), found " + fields);
            }
            rows++;
            // Columns not projected got nothing; projected ones got exactly one value per record.
        }
    }

    /**
     * The error for ill-formed UTF-8 at {@code bad} in a field that ends at {@code fieldEnd} on
     * line {@code lineAtEnd}: {@code file:line:column} (the column counts characters from the
     * line's start), {@code where} (the CSV column), the offending bytes in hex and what is wrong.
     */
    static CsvFormatException invalidUtf8(Path file, MemorySegment seg, long bad, long fieldEnd, long lineAtEnd, int column,
            String where) {
        long line = lineAtEnd;
        for (long p = bad; p < fieldEnd; p++) {
            if (seg.get(ValueLayout.JAVA_BYTE, p) == '\n') {
                line--;
            }
        }
        long lineStart = bad;
        while (lineStart > 0 && seg.get(ValueLayout.JAVA_BYTE, lineStart - 1) != '\n') {
            lineStart--;
        }
        long chars = 1;
        for (long p = lineStart; p < bad; p++) {
            if ((seg.get(ValueLayout.JAVA_BYTE, p) & 0xC0) != 0x80) {
                chars++;
            }
        }
        int subpart = -Utf8Validation.sequence(seg, bad, fieldEnd);
        String bytes = Utf8Validation.hex(seg, bad, fieldEnd, subpart + 1);
        String what = Utf8Validation.describe(seg, bad, fieldEnd);
        return new CsvFormatException(file + ":" + line + ":" + chars + ": invalid UTF-8 in " + where + ": bytes " + bytes
                + " at byte offset " + bad + " are " + what + "; expected well-formed UTF-8 (or read with"
                + " CsvOptions.withInvalidUtf8(InvalidUtf8.REPLACE) to get U+FFFD for each bad sequence)",
                file, line, column, bytes);
    }

    // ------------------------------------------------------------------ source

    /** A scheduler source: workers claim splits in order and parse them in parallel. Closing it closes the scan. */
    public Source source() {
        plan();
        return new SplitSource(SplitSource.scanName("csv", files), splits.size(), this::parseSplit, this::close);
    }

    /** Unmaps the files. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        arena.close();
    }
}
