package dev.spillway.formats.parquet;

import dev.hardwood.HardwoodContext;
import dev.hardwood.InputFile;
import dev.hardwood.metadata.ColumnChunk;
import dev.hardwood.metadata.LogicalType;
import dev.hardwood.metadata.PhysicalType;
import dev.hardwood.metadata.RowGroup;
import dev.hardwood.metadata.Statistics;
import dev.hardwood.reader.ColumnReader;
import dev.hardwood.reader.ColumnReaders;
import dev.hardwood.reader.ParquetFileReader;
import dev.hardwood.reader.RowGroupPredicate;
import dev.hardwood.reader.Validity;
import dev.hardwood.schema.ColumnProjection;
import dev.hardwood.schema.ColumnSchema;
import dev.hardwood.schema.FileSchema;
import dev.spillway.formats.FormatException;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Field;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.scheduler.Source;

import dev.spillway.operators.SplitSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A parallel scan of one or more Parquet files, decoded by Hardwood (a pure-Java Parquet reader
 * on the FFM API).
 *
 * <p>Planning opens every file, reads its footer and makes one split per row group; a row group
 * whose min/max statistics prove that a {@link ColumnBound} cannot hold is skipped without being
 * read. Workers claim splits in order and decode them in parallel; each split becomes one morsel
 * whose sequence number is the split's index. Only the projected columns are decoded.
 */
public final class ParquetScan implements AutoCloseable {
    private final List<Path> files;
    private final Schema fileSchema;
    private final List<String> projection;
    private final Schema output;
    private final List<ColumnBound> bounds;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final Consumer<String> events;
    private final List<ParquetFileReader> readers = new ArrayList<>();
    private final List<Split> splits = new ArrayList<>();
    private HardwoodContext context;
    private int rowGroupsSkipped;
    private boolean planned;
    private boolean closed;

    private record Split(int file, long start, long end, long rows) {
    }

    /**
     * Creates a scan; files are opened when splits are planned.
     *
     * @param projection column names to decode, in output (file) order; null for all
     * @param bounds     comparisons used only to skip row groups (may be empty)
     * @param events     receives the {@code [spillway] parquet: ...} line after planning; may be null
     */
    public ParquetScan(List<Path> files, Schema fileSchema, List<String> projection, List<ColumnBound> bounds,
            BlockPool pool, MemoryBudget budget, Consumer<String> events) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("a Parquet scan needs at least one file");
        }
        this.files = List.copyOf(files);
        this.fileSchema = fileSchema;
        this.projection = projection == null ? fileSchema.names() : List.copyOf(projection);
        List<Field> out = new ArrayList<>();
        for (String name : this.projection) {
            out.add(fileSchema.field(name));
        }
        this.output = new Schema(out);
        this.bounds = List.copyOf(bounds);
        this.pool = pool;
        this.budget = budget;
        this.events = events;
    }

    /** The schema of the morsels produced. */
    public Schema outputSchema() {
        return output;
    }

    // ------------------------------------------------------------------ schema

    /**
     * Reads the schema of {@code file}.
     *
     * @throws FormatException for a missing file, a corrupt footer, nested columns or an unsupported type
     */
    public static Schema readSchema(Path file) {
        try (ParquetFileReader r = open(file, null)) {
            return toSchema(file, r.getFileSchema());
        } catch (IOException e) {
            throw new FormatException(file, null, "cannot close: " + e.getMessage(), e);
        }
    }

    private static ParquetFileReader open(Path file, HardwoodContext ctx) {
        if (!Files.isRegularFile(file)) {
            throw new FormatException(file, null, "file not found");
        }
        try {
            return ctx == null ? ParquetFileReader.open(InputFile.of(file)) : ParquetFileReader.open(InputFile.of(file), ctx);
        } catch (IOException | RuntimeException e) {
            throw new FormatException(file, null, "not a Parquet file or corrupt footer (" + e.getMessage() + ")", e);
        }
    }

    private static Schema toSchema(Path file, FileSchema schema) {
        List<Field> fields = new ArrayList<>();
        for (ColumnSchema c : schema.getColumns()) {
            if (c.maxRepetitionLevel() > 0 || c.fieldPath().toString().contains(".")) {
                throw new FormatException(file, c.name(), "nested columns are not supported");
            }
            fields.add(Field.of(c.name(), toType(file, c)));
        }
        return new Schema(fields);
    }

    private static DataType toType(Path file, ColumnSchema c) {
        LogicalType lt = c.logicalType();
        PhysicalType pt = c.type();
        DataType t = switch (pt) {
            case BOOLEAN -> DataType.BOOLEAN;
            case INT32 -> lt instanceof LogicalType.DateType ? DataType.DATE32
                    : lt == null || lt instanceof LogicalType.IntType ? DataType.INT32 : null;
            case INT64 -> lt == null || lt instanceof LogicalType.IntType ? DataType.INT64 : null;
            case FLOAT, DOUBLE -> lt == null ? DataType.FLOAT64 : null;
            case BYTE_ARRAY -> lt instanceof LogicalType.StringType || lt instanceof LogicalType.EnumType
                    || lt instanceof LogicalType.JsonType ? DataType.UTF8 : null;
            default -> null;
        };
        if (t == null) {
            throw new FormatException(file, c.name(), "unsupported Parquet type " + pt + (lt == null ? "" : " (" + lt + ")")
                    + "; supported: boolean, int32, int64, float, double, date, string");
        }
        return t;
    }

    // ------------------------------------------------------------------ planning

    private synchronized void plan() {
        if (planned) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("Parquet scan is closed");
        }
        planned = true;
        context = HardwoodContext.create(1);
        int total = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            ParquetFileReader r = open(file, context);
            readers.add(r);
            Schema s = toSchema(file, r.getFileSchema());
            for (String name : projection) {
                if (s.indexOf(name) < 0 || s.field(name).type() != fileSchema.field(name).type()) {
                    throw new FormatException(file, name, "column missing or of another type than in " + files.get(0)
                            + " (" + s + ")");
                }
            }
            List<RowGroup> groups = r.getFileMetaData().rowGroups();
            for (int g = 0; g < groups.size(); g++) {
                RowGroup rg = groups.get(g);
                total++;
                if (rg.numRows() == 0 || skip(r.getFileSchema(), rg)) {
                    rowGroupsSkipped++;
                    continue;
                }
                long start = start(rg);
                long end = g + 1 < groups.size() ? start(groups.get(g + 1)) : Long.MAX_VALUE;
                splits.add(new Split(f, start, end, rg.numRows()));
            }
        }
        if (events != null) {
            events.accept("[spillway] parquet: files=" + files.size() + " row groups read=" + splits.size() + " skipped="
                    + rowGroupsSkipped + " of " + total + " columns=" + projection.size() + "/" + fileSchema.size()
                    + (bounds.isEmpty() ? "" : " bounds=" + bounds));
        }
    }

    private static long start(RowGroup rg) {
        long s = Long.MAX_VALUE;
        for (ColumnChunk c : rg.columns()) {
            s = Math.min(s, c.chunkStartOffset());
        }
        return s;
    }

    /** Whether the statistics of {@code rg} prove that some bound holds for no row. */
    private boolean skip(FileSchema schema, RowGroup rg) {
        for (ColumnBound b : bounds) {
            ColumnSchema cs;
            try {
                cs = schema.getColumn(b.column());
            } catch (RuntimeException absent) {
                continue;
            }
            if (cs == null) {
                continue;
            }
            ColumnChunk chunk = rg.columns().get(cs.columnIndex());
            Statistics st = chunk.metaData().statistics();
            if (st == null) {
                continue;
            }
            if (st.nullCount() != null && st.nullCount() == rg.numRows()) {
                return true; // all null: no comparison holds
            }
            if (st.isMinMaxDeprecated() || st.minValue() == null || st.maxValue() == null) {
                continue;
            }
            int lo = compare(cs.type(), st.minValue(), b.literal());
            int hi = compare(cs.type(), st.maxValue(), b.literal());
            if (lo == Integer.MIN_VALUE || hi == Integer.MIN_VALUE) {
                continue;
            }
            boolean none = switch (b.op()) {
                case "=" -> lo > 0 || hi < 0;
                case "!=" -> lo == 0 && hi == 0;
                case "<" -> lo >= 0;
                case "<=" -> lo > 0;
                case ">" -> hi <= 0;
                default -> hi < 0; // >=
            };
            if (none) {
                return true;
            }
        }
        return false;
    }

    /** Compares a statistics value with a literal; Integer.MIN_VALUE when they cannot be compared. */
    static int compare(PhysicalType type, byte[] stat, Object literal) {
        ByteBuffer bb = ByteBuffer.wrap(stat).order(ByteOrder.LITTLE_ENDIAN);
        try {
            return switch (type) {
                case INT32, INT64 -> {
                    long v = type == PhysicalType.INT32 ? bb.getInt() : bb.getLong();
                    yield switch (literal) {
                        case Long l -> Long.compare(v, l);
                        case Integer i -> Long.compare(v, i);
                        case Double d -> Double.compare(v, d);
                        default -> Integer.MIN_VALUE;
                    };
                }
                case FLOAT, DOUBLE -> {
                    double v = type == PhysicalType.FLOAT ? bb.getFloat() : bb.getDouble();
                    if (Double.isNaN(v)) {
                        yield Integer.MIN_VALUE;
                    }
                    yield switch (literal) {
                        case Long l -> Double.compare(v, l);
                        case Integer i -> Double.compare(v, i);
                        case Double d -> Double.compare(v, d);
                        default -> Integer.MIN_VALUE;
                    };
                }
                case BOOLEAN -> literal instanceof Boolean b ? Boolean.compare(stat[0] != 0, b) : Integer.MIN_VALUE;
                case BYTE_ARRAY -> literal instanceof String s
                        ? Integer.signum(Arrays.compareUnsigned(stat, s.getBytes(StandardCharsets.UTF_8))) : Integer.MIN_VALUE;
                default -> Integer.MIN_VALUE;
            };
        } catch (java.nio.BufferUnderflowException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** Number of splits (row groups to read). */
    public int splitCount() {
        plan();
        return splits.size();
    }

    /** Row groups skipped by statistics. */
    public int rowGroupsSkipped() {
        plan();
        return rowGroupsSkipped;
    }

    // ------------------------------------------------------------------ decoding

    /** Decodes split {@code i} into a morsel with sequence number {@code i}; the caller owns it. */
    public Morsel readSplit(int i) {
        plan();
        Split s = splits.get(i);
        Path file = files.get(s.file());
        int rows = Math.toIntExact(s.rows());
        List<ColumnBuilder> builders = new ArrayList<>(output.size());
        ColumnReaders rs = null;
        try {
            for (Field f : output) {
                builders.add(ColumnBuilder.create(f.type(), pool, budget, Math.max(rows, 1)));
            }
            ParquetFileReader reader = readers.get(s.file());
            synchronized (reader) {
                rs = reader.buildColumnReaders(ColumnProjection.columns(projection.toArray(String[]::new)))
                        .filter(RowGroupPredicate.byteRange(s.start(), s.end())).batchSize(rows).build();
            }
            int read = 0;
            while (rs.nextBatch()) {
                int n = rs.getRecordCount();
                for (int c = 0; c < builders.size(); c++) {
                    append(file, rs.getColumnReader(c), builders.get(c), n);
                }
                read += n;
            }
            if (read != rows) {
                throw new FormatException(file, null, "row group holds " + read + " rows, its metadata says " + rows);
            }
            List<ColumnVector> cols = new ArrayList<>(builders.size());
            for (ColumnBuilder b : builders) {
                cols.add(b.build());
            }
            return new Morsel(output, cols, rows, i);
        } catch (FormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new FormatException(file, null, "cannot decode row group at byte " + s.start() + ": " + e, e);
        } finally {
            if (rs != null) {
                rs.close();
            }
            for (ColumnBuilder b : builders) {
                b.close();
            }
        }
    }

    private static void append(Path file, ColumnReader r, ColumnBuilder b, int n) {
        Validity valid = r.getLeafValidity();
        boolean nulls = valid != null && valid.hasNulls();
        switch (b) {
            case Int64Builder l -> {
                long[] v = r.getLongs();
                for (int k = 0; k < n; k++) {
                    if (nulls && valid.isNull(k)) {
                        l.appendNull();
                    } else {
                        l.append(v[k]);
                    }
                }
            }
            case Int32Builder x -> {
                int[] v = r.getInts();
                for (int k = 0; k < n; k++) {
                    if (nulls && valid.isNull(k)) {
                        x.appendNull();
                    } else {
                        x.append(v[k]);
                    }
                }
            }
            case Float64Builder d -> {
                if (r.getColumnSchema().type() == PhysicalType.FLOAT) {
                    float[] v = r.getFloats();
                    for (int k = 0; k < n; k++) {
                        if (nulls && valid.isNull(k)) {
                            d.appendNull();
                        } else {
                            d.append(v[k]);
                        }
                    }
                } else {
                    double[] v = r.getDoubles();
                    for (int k = 0; k < n; k++) {
                        if (nulls && valid.isNull(k)) {
                            d.appendNull();
                        } else {
                            d.append(v[k]);
                        }
                    }
                }
            }
            case BooleanBuilder bo -> {
                boolean[] v = r.getBooleans();
                for (int k = 0; k < n; k++) {
                    if (nulls && valid.isNull(k)) {
                        bo.appendNull();
                    } else {
                        bo.append(v[k]);
                    }
                }
            }
            case Utf8Builder u -> {
                byte[] data = r.getBinaryValues();
                int[] offsets = r.getBinaryOffsets();
                MemorySegment seg = MemorySegment.ofArray(data);
                for (int k = 0; k < n; k++) {
                    if (nulls && valid.isNull(k)) {
                        u.appendNull();
                    } else {
                        int from = offsets[k];
                        int to = k + 1 < offsets.length ? offsets[k + 1] : data.length;
                        u.append(seg, from, to - from);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ source

    /** A scheduler source: workers claim row groups in order and decode them in parallel. Closing it closes the scan. */
    public Source source() {
        plan();
        return new SplitSource(SplitSource.scanName("parquet", files), splits.size(), this::readSplit, this::close);
    }

    /** Closes the files. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ParquetFileReader r : readers) {
            try {
                r.close();
            } catch (IOException | RuntimeException e) {
                // Closing a read-only file cannot lose data; the scan is over either way.
                continue;
            }
        }
        if (context != null) {
            context.close();
        }
    }
}
