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
import dev.spillway.event.EventSink;
import dev.spillway.event.ParquetScanPlanned;
import dev.spillway.errors.FormatException;
import dev.spillway.formats.HiveColumns;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.operators.SplitSource;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A parallel scan of one or more Parquet files, decoded by Hardwood (a pure-Java Parquet reader
 * on the FFM API).
 *
 * <p>Planning opens every file, reads its footer and makes one split per row group; a row group
 * whose min/max statistics prove that a {@link ColumnBound} cannot hold is skipped without being
 * read. A row group is handed out in slices of at most {@code sliceRows} rows (the morsel size), each
 * decoded when a worker claims it, so a writer's 1M-row row groups never become one giant morsel;
 * different row groups decode in parallel. Only the projected columns are decoded, and only they
 * must have a supported type. Partition columns of a hive-style directory ({@link HiveColumns})
 * are appended as constant columns, and a bound on one skips whole files.
 */
public final class ParquetScan implements AutoCloseable {
    private final List<Path> files;
    private final Schema fileSchema;
    private final List<String> projection;
    /** The projected columns stored in the files (the others are hive partition columns). */
    private final List<String> readColumns;
    private final Schema output;
    private final List<ColumnBound> bounds;
    private final HiveColumns hive;
    private final int sliceRows;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final EventSink events;
    private final List<ParquetFileReader> readers = new ArrayList<>();
    private final List<RowGroupTask> tasks = new ArrayList<>();
    /** First sequence number of each task's slices, plus the total at the end. */
    private int[] firstSlice;
    private RowGroupCursor[] cursors;
    private final AtomicInteger nextSlice = new AtomicInteger();
    private HardwoodContext context;
    private int decodeThreads = 1;
    private int rowGroupsSkipped;
    private int filesSkipped;
    private boolean planned;
    private boolean closed;

    /** One row group to read, handed out in slices of at most {@code sliceRows} rows. */
    private record RowGroupTask(int file, int group, long start, long end, long rows) {
    }

    /**
     * The decoding state of one row group: its slices are decoded in order, one at a time, by
     * whichever worker holds the cursor's lock, so a large row group never becomes one giant
     * morsel and is never decoded twice.
     */
    private static final class RowGroupCursor {
        ColumnReaders readers;
        int produced;
        int batchPos;
        int batchCount;
        /** Decoding failed (the query is failing); later slices must not restart the row group. */
        boolean failed;
    }

    /**
     * Creates a scan of files without partition directories, in morsels of at most
     * {@link Morsel#DEFAULT_ROWS} rows.
     *
     * @see #ParquetScan(List, Schema, List, List, HiveColumns, int, BlockPool, MemoryBudget, EventSink)
     */
    public ParquetScan(List<Path> files, Schema fileSchema, List<String> projection, List<ColumnBound> bounds,
            BlockPool pool, MemoryBudget budget, EventSink events) {
        this(files, fileSchema, projection, bounds, null, Morsel.DEFAULT_ROWS, pool, budget, events);
    }

    /**
     * Creates a scan; files are opened when splits are planned.
     *
     * @param fileSchema the columns of the files followed by the partition columns of {@code hive}
     * @param projection column names to produce, in schema order; null for all
     * @param bounds     comparisons used only to skip row groups (and files, on partition columns); may be empty
     * @param hive       the partition columns parsed from the files' directories; null for none
     * @param sliceRows  rows per morsel at most; a larger row group is decoded in slices
     * @param events     receives a {@link ParquetScanPlanned} event after planning; may be null
     */
    public ParquetScan(List<Path> files, Schema fileSchema, List<String> projection, List<ColumnBound> bounds,
            HiveColumns hive, int sliceRows, BlockPool pool, MemoryBudget budget, EventSink events) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("a Parquet scan needs at least one file");
        }
        if (sliceRows < 1) {
            throw new IllegalArgumentException("slice rows must be at least 1, got " + sliceRows);
        }
        this.files = List.copyOf(files);
        this.fileSchema = fileSchema;
        this.projection = projection == null ? fileSchema.names() : List.copyOf(projection);
        this.hive = hive;
        List<Field> out = new ArrayList<>();
        List<String> read = new ArrayList<>();
        for (String name : this.projection) {
            if (hive == null || !hive.contains(name)) {
                out.add(fileSchema.field(name));
                read.add(name);
            }
        }
        for (String name : this.projection) {
            if (hive != null && hive.contains(name)) {
                out.add(fileSchema.field(name));
            }
        }
        this.readColumns = List.copyOf(read);
        this.output = new Schema(out);
        this.bounds = List.copyOf(bounds);
        this.sliceRows = sliceRows;
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
     * Reads the schema of {@code file}: its columns of supported types. A column of another type
     * is left out of the schema but noted in it ({@link Schema#withUnreadable}), so that a query
     * that uses it fails naming the file, the column and its Parquet type, while queries that do
     * not use it run.
     *
     * @throws FormatException for a missing file or a corrupt footer
     */
    public static Schema readSchema(Path file) {
        try (ParquetFileReader r = open(file, null)) {
            Map<String, String> unreadable = new LinkedHashMap<>();
            Schema s = toSchema(file, r.getFileSchema(), unreadable);
            Map<String, String> messages = new LinkedHashMap<>();
            unreadable.forEach((column, reason) -> messages.put(column, new FormatException(file, column, reason).getMessage()));
            return s.withUnreadable(messages);
        } catch (IOException e) {
            throw new FormatException(file, null, "cannot close: " + e.getMessage(), e);
        }
    }

    /**
     * What a file's footer says about its size and values, for planning: the rows, and for each
     * plain integer column (int32/int64 without a decimal or timestamp type) whose every row group
     * has statistics, the smallest and largest value.
     *
     * @param rows          the file's rows
     * @param integerRanges column name to {@code [min, max]}
     */
    public record FileStatistics(long rows, Map<String, long[]> integerRanges) {
        /** Copies the map. */
        public FileStatistics {
            integerRanges = Map.copyOf(integerRanges);
        }
    }

    /**
     * Reads the footer of {@code file} for {@link FileStatistics}.
     *
     * @throws FormatException for a missing file or a corrupt footer
     */
    public static FileStatistics statistics(Path file) {
        try (ParquetFileReader r = open(file, null)) {
            FileSchema schema = r.getFileSchema();
            long rows = 0;
            Map<String, long[]> ranges = new LinkedHashMap<>();
            List<ColumnSchema> ints = new ArrayList<>();
            for (ColumnSchema c : schema.getColumns()) {
                if ((c.type() == PhysicalType.INT32 || c.type() == PhysicalType.INT64) && c.maxRepetitionLevel() == 0
                        && !(c.logicalType() instanceof LogicalType.DecimalType)
                        && !(c.logicalType() instanceof LogicalType.TimestampType)) {
                    ints.add(c);
                    ranges.put(c.name(), new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
                }
            }
            for (RowGroup rg : r.getFileMetaData().rowGroups()) {
                rows += rg.numRows();
                for (ColumnSchema c : ints) {
                    long[] range = ranges.get(c.name());
                    if (range == null) {
                        continue;
                    }
                    Statistics st = rg.columns().get(c.columnIndex()).metaData().statistics();
                    if (st == null || st.isMinMaxDeprecated() || st.minValue() == null || st.maxValue() == null) {
                        if (rg.numRows() > 0) {
                            ranges.remove(c.name());
                        }
                        continue;
                    }
                    range[0] = Math.min(range[0], integer(c.type(), st.minValue()));
                    range[1] = Math.max(range[1], integer(c.type(), st.maxValue()));
                }
            }
            ranges.values().removeIf(range -> range[0] > range[1]);
            return new FileStatistics(rows, ranges);
        } catch (IOException | RuntimeException e) {
            if (e instanceof FormatException f) {
                throw f;
            }
            throw new FormatException(file, null, "cannot read the footer's statistics: " + e.getMessage(), e);
        }
    }

    private static long integer(PhysicalType type, byte[] stat) {
        ByteBuffer bb = ByteBuffer.wrap(stat).order(ByteOrder.LITTLE_ENDIAN);
        return type == PhysicalType.INT32 ? bb.getInt() : bb.getLong();
    }

    private static ParquetFileReader open(Path file, HardwoodContext ctx) {
        if (!Files.isRegularFile(file)) {
            throw new FormatException(file, null, "file not found");
        }
        try {
            InputFile in = new ChannelInputFile(file);
            return ctx == null ? ParquetFileReader.open(in) : ParquetFileReader.open(in, ctx);
        } catch (IOException | RuntimeException e) {
            throw new FormatException(file, null, "not a Parquet file or corrupt footer (" + e.getMessage() + ")", e);
        }
    }

    /** The supported columns of {@code schema}; each other column goes to {@code unreadable} with the reason. */
    private static Schema toSchema(Path file, FileSchema schema, Map<String, String> unreadable) {
        List<Field> fields = new ArrayList<>();
        for (ColumnSchema c : schema.getColumns()) {
            String top = c.fieldPath().toString();
            int dot = top.indexOf('.');
            if (c.maxRepetitionLevel() > 0 || dot >= 0) {
                String name = dot >= 0 ? top.substring(0, dot) : c.name();
                unreadable.putIfAbsent(name, "nested or repeated columns are not supported; " + SUPPORTED);
                continue;
            }
            DataType t = toType(c);
            if (t == null) {
                unreadable.put(c.name(), "Parquet type " + describe(c) + " is not supported; " + SUPPORTED);
            } else if (t == DataType.DECIMAL128) {
                LogicalType.DecimalType d = (LogicalType.DecimalType) c.logicalType();
                fields.add(Field.decimal(c.name(), d.precision(), d.scale()));
            } else if (t == DataType.TIMESTAMP) {
                // isAdjustedToUTC: instants (shown in UTC); otherwise, and for INT96, local date-times.
                boolean utc = c.logicalType() instanceof LogicalType.TimestampType ts && ts.isAdjustedToUTC();
                fields.add(Field.timestamp(c.name(), utc ? "UTC" : null));
            } else {
                fields.add(Field.of(c.name(), t));
            }
        }
        return new Schema(fields);
    }

    private static final String SUPPORTED = "supported: BOOLEAN, INT32 (plain, INT(8|16|32) or DATE), INT64 (plain or "
            + "INT(64)), FLOAT, DOUBLE, BYTE_ARRAY as STRING, ENUM or JSON, DECIMAL (up to 38 digits) on INT32, INT64, "
            + "FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY, TIMESTAMP (MILLIS, MICROS or NANOS) on INT64, INT96 timestamps";

    private static String describe(ColumnSchema c) {
        return c.type() + (c.logicalType() == null ? "" : " (" + c.logicalType() + ")");
    }

    private static DataType toType(ColumnSchema c) {
        LogicalType lt = c.logicalType();
        PhysicalType pt = c.type();
        if (lt instanceof LogicalType.DecimalType d) {
            boolean fits = d.precision() >= 1 && d.precision() <= DecimalType.MAX_PRECISION && d.scale() >= 0
                    && d.scale() <= d.precision();
            return fits && (pt == PhysicalType.INT32 || pt == PhysicalType.INT64 || pt == PhysicalType.FIXED_LEN_BYTE_ARRAY
                    || pt == PhysicalType.BYTE_ARRAY) ? DataType.DECIMAL128 : null;
        }
        return switch (pt) {
            case BOOLEAN -> DataType.BOOLEAN;
            case INT32 -> lt instanceof LogicalType.DateType ? DataType.DATE32
                    : lt == null || lt instanceof LogicalType.IntType ? DataType.INT32 : null;
            case INT64 -> lt == null || lt instanceof LogicalType.IntType ? DataType.INT64
                    : lt instanceof LogicalType.TimestampType ? DataType.TIMESTAMP : null;
            case INT96 -> lt == null ? DataType.TIMESTAMP : null;
            case FLOAT, DOUBLE -> lt == null ? DataType.FLOAT64 : null;
            case BYTE_ARRAY -> lt instanceof LogicalType.StringType || lt instanceof LogicalType.EnumType
                    || lt instanceof LogicalType.JsonType ? DataType.UTF8 : null;
            default -> null;
        };
    }

    /**
     * Threads that decompress and decode pages (Hardwood's executor; default 1). The query's
     * workers consume the decoded batches, so the engine passes its worker count: with one decode
     * thread the workers wait on it.
     *
     * @return this scan
     */
    public ParquetScan decodeThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("decode threads must be at least 1, got " + threads);
        }
        this.decodeThreads = threads;
        return this;
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
        context = HardwoodContext.create(decodeThreads);
        int total = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            ParquetFileReader r = open(file, context);
            readers.add(r);
            Map<String, String> unreadable = new LinkedHashMap<>();
            Schema s = toSchema(file, r.getFileSchema(), unreadable);
            for (String name : readColumns) {
                if (unreadable.containsKey(name)) {
                    throw new FormatException(file, name, unreadable.get(name));
                }
                if (s.indexOf(name) < 0 || s.field(name).type() != fileSchema.field(name).type()) {
                    throw new FormatException(file, name, "column missing or of another type than in " + files.get(0)
                            + " (" + s + ")");
                }
            }
            List<RowGroup> groups = r.getFileMetaData().rowGroups();
            total += groups.size();
            if (hive != null && !hiveMatches(f)) {
                filesSkipped++;
                rowGroupsSkipped += groups.size();
                continue;
            }
            for (int g = 0; g < groups.size(); g++) {
                RowGroup rg = groups.get(g);
                if (rg.numRows() == 0 || skip(r.getFileSchema(), rg)) {
                    rowGroupsSkipped++;
                    continue;
                }
                long start = start(rg);
                long end = g + 1 < groups.size() ? start(groups.get(g + 1)) : Long.MAX_VALUE;
                tasks.add(new RowGroupTask(f, g, start, end, rg.numRows()));
            }
        }
        firstSlice = new int[tasks.size() + 1];
        for (int t = 0; t < tasks.size(); t++) {
            long slices = (tasks.get(t).rows() + sliceRows - 1) / sliceRows;
            firstSlice[t + 1] = Math.toIntExact(firstSlice[t] + slices);
        }
        cursors = new RowGroupCursor[tasks.size()];
        for (int t = 0; t < tasks.size(); t++) {
            cursors[t] = new RowGroupCursor();
        }
        if (events != null) {
            events.accept(new ParquetScanPlanned(files.size(), tasks.size(), rowGroupsSkipped, total, firstSlice[tasks.size()],
                    projection.size(), fileSchema.size(), bounds.isEmpty() ? "" : bounds.toString(), hive == null ? -1 : filesSkipped));
        }
    }

    /** Whether file {@code f}'s partition values can satisfy every bound on a partition column. */
    private boolean hiveMatches(int f) {
        for (ColumnBound b : bounds) {
            if (!hive.contains(b.column())) {
                continue;
            }
            Object v = hive.value(f, b.column());
            if (v == null) {
                return false; // no comparison holds for null
            }
            int c = compareValue(v, b.literal());
            if (c == Integer.MIN_VALUE) {
                continue;
            }
            boolean holds = switch (b.op()) {
                case "=" -> c == 0;
                case "!=" -> c != 0;
                case "<" -> c < 0;
                case "<=" -> c <= 0;
                case ">" -> c > 0;
                default -> c >= 0;
            };
            if (!holds) {
                return false;
            }
        }
        return true;
    }

    /** Compares a partition value with a literal; Integer.MIN_VALUE when they cannot be compared. */
    private static int compareValue(Object v, Object literal) {
        return switch (v) {
            case Long l when literal instanceof Long x -> Integer.signum(Long.compare(l, x));
            case Long l when literal instanceof Integer x -> Integer.signum(Long.compare(l, x));
            case LocalDate d when literal instanceof Integer x -> Integer.signum(Long.compare(d.toEpochDay(), x));
            case Boolean b when literal instanceof Boolean x -> Integer.signum(Boolean.compare(b, x));
            case String str when literal instanceof String x -> Integer.signum(str.compareTo(x));
            default -> Integer.MIN_VALUE;
        };
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
            if (cs == null || cs.logicalType() instanceof LogicalType.TimestampType || cs.type() == PhysicalType.INT96) {
                // Timestamp statistics are in the file's unit (or INT96), not comparable with a literal.
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
            int lo = compare(cs, st.minValue(), b.literal());
            int hi = compare(cs, st.maxValue(), b.literal());
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

    /**
     * Compares a statistics value of column {@code cs} with a literal: a decimal column's values are
     * unscaled integers, compared as decimals; Integer.MIN_VALUE when they cannot be compared.
     */
    private static int compare(ColumnSchema cs, byte[] stat, Object literal) {
        return cs.logicalType() instanceof LogicalType.DecimalType d
                ? compareDecimal(cs.type(), stat, d.scale(), literal) : compare(cs.type(), stat, literal);
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

    /**
     * Compares the statistics value of a decimal column (an unscaled integer: little-endian INT32
     * or INT64, big-endian two's complement FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY) of scale
     * {@code scale} with a number; Integer.MIN_VALUE when they cannot be compared.
     */
    static int compareDecimal(PhysicalType type, byte[] stat, int scale, Object literal) {
        BigDecimal bound = switch (literal) {
            case BigDecimal d -> d;
            case Long l -> BigDecimal.valueOf(l);
            case Integer i -> BigDecimal.valueOf(i);
            case Double d when Double.isFinite(d) -> new BigDecimal(d);
            default -> null;
        };
        if (bound == null || stat.length == 0) {
            return Integer.MIN_VALUE;
        }
        ByteBuffer bb = ByteBuffer.wrap(stat).order(ByteOrder.LITTLE_ENDIAN);
        try {
            BigInteger unscaled = switch (type) {
                case INT32 -> BigInteger.valueOf(bb.getInt());
                case INT64 -> BigInteger.valueOf(bb.getLong());
                case FIXED_LEN_BYTE_ARRAY, BYTE_ARRAY -> new BigInteger(stat);
                default -> null;
            };
            return unscaled == null ? Integer.MIN_VALUE : Integer.signum(new BigDecimal(unscaled, scale).compareTo(bound));
        } catch (java.nio.BufferUnderflowException e) {
            return Integer.MIN_VALUE;
        }
    }

    /** Number of row groups to read. */
    public int splitCount() {
        plan();
        return tasks.size();
    }

    /** Number of morsels the scan produces (row groups in slices of at most {@code sliceRows}). */
    public int morselCount() {
        plan();
        return firstSlice[tasks.size()];
    }

    /** Row groups skipped by statistics (or with their file, by partition values). */
    public int rowGroupsSkipped() {
        plan();
        return rowGroupsSkipped;
    }

    // ------------------------------------------------------------------ page CRCs

    /** Whether Hardwood refused a page whose CRC did not match ({@code CRC mismatch for column ...}). */
    private static boolean crcMismatch(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("CRC mismatch")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The error for a page whose CRC does not match: the read columns' chunks of the row group are
     * walked page by page to name the column, row group and page (Hardwood names only the column).
     */
    private FormatException damagedPage(Path file, RowGroupTask task, RuntimeException e) {
        RowGroup rg;
        ParquetFileReader reader = readers.get(task.file());
        synchronized (reader) {
            rg = reader.getFileMetaData().rowGroups().get(task.group());
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            for (ColumnChunk c : rg.columns()) {
                String name = String.join(".", c.metaData().pathInSchema().elements());
                if (!readColumns.contains(name)) {
                    continue;
                }
                long at = c.chunkStartOffset();
                java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(Math.toIntExact(c.metaData().totalCompressedSize()));
                while (bytes.hasRemaining() && ch.read(bytes, at + bytes.position()) >= 0) {
                    // positional reads until the chunk is in
                }
                String page = PageChecksums.firstMismatch(bytes.flip(), at);
                if (page != null) {
                    return new FormatException(file, name, "row group " + task.group() + " (at byte " + task.start() + "), "
                            + page + ": the file is damaged", e);
                }
            }
        } catch (IOException | RuntimeException locating) {
            e.addSuppressed(locating);
        }
        return new FormatException(file, null, "row group " + task.group() + " (at byte " + task.start()
                + "): a page failed its CRC32 check: " + e.getMessage() + "; the file is damaged", e);
    }

    // ------------------------------------------------------------------ decoding

    /**
     * Claims the next slice and decodes it; null when every slice is claimed. The slices of a row
     * group are decoded in order under its cursor's lock; the morsel's sequence number is the
     * slice's position in the scan, whichever worker decodes it.
     */
    private Morsel nextSlice() {
        plan();
        int ticket = nextSlice.getAndIncrement();
        if (ticket >= firstSlice[tasks.size()]) {
            return null;
        }
        int t = Arrays.binarySearch(firstSlice, ticket); // strictly increasing: every task has at least one slice
        t = t >= 0 ? t : -t - 2;
        RowGroupTask task = tasks.get(t);
        RowGroupCursor cursor = cursors[t];
        Morsel m;
        synchronized (cursor) {
            if (closed || cursor.failed) {
                throw new IllegalStateException(closed ? "Parquet scan is closed"
                        : "row group at byte " + task.start() + " of " + files.get(task.file()) + " failed to decode");
            }
            int k = cursor.produced++;
            int rows = (int) Math.min(sliceRows, task.rows() - (long) k * sliceRows);
            m = decode(task, cursor, rows, firstSlice[t] + k);
            if (cursor.produced == firstSlice[t + 1] - firstSlice[t]) {
                finish(cursor);
            }
        }
        return hive == null ? m : hive.append(m, task.file(), output, pool, budget);
    }

    /** Decodes the next {@code rows} rows of {@code task} (file columns only). */
    private Morsel decode(RowGroupTask task, RowGroupCursor cursor, int rows, long sequence) {
        Path file = files.get(task.file());
        Schema read = new Schema(output.fields().subList(0, readColumns.size()));
        if (readColumns.isEmpty()) {
            return new Morsel(read, List.of(), rows, sequence);
        }
        List<ColumnBuilder> builders = new ArrayList<>(read.size());
        try {
            for (Field f : read) {
                builders.add(ColumnBuilder.create(f, pool, budget, Math.max(rows, 1)));
            }
            if (cursor.readers == null) {
                ParquetFileReader reader = readers.get(task.file());
                synchronized (reader) {
                    cursor.readers = reader.buildColumnReaders(ColumnProjection.columns(readColumns.toArray(String[]::new)))
                            .filter(RowGroupPredicate.byteRange(task.start(), task.end())).batchSize(sliceRows).build();
                }
            }
            int done = 0;
            while (done < rows) {
                if (cursor.batchPos == cursor.batchCount) {
                    if (!cursor.readers.nextBatch()) {
                        throw new FormatException(file, null, "row group at byte " + task.start() + " ends after "
                                + ((long) (cursor.produced - 1) * sliceRows + done) + " rows, its metadata says " + task.rows());
                    }
                    cursor.batchCount = cursor.readers.getRecordCount();
                    cursor.batchPos = 0;
                }
                int take = Math.min(rows - done, cursor.batchCount - cursor.batchPos);
                for (int c = 0; c < builders.size(); c++) {
                    append(cursor.readers.getColumnReader(c), builders.get(c), cursor.batchPos, take);
                }
                cursor.batchPos += take;
                done += take;
            }
            List<ColumnVector> cols = new ArrayList<>(builders.size());
            for (ColumnBuilder b : builders) {
                cols.add(b.build());
            }
            return new Morsel(read, cols, rows, sequence);
        } catch (FormatException e) {
            cursor.failed = true;
            finish(cursor);
            throw e;
        } catch (RuntimeException e) {
            cursor.failed = true;
            finish(cursor);
            if (crcMismatch(e)) {
                throw damagedPage(file, task, e);
            }
            throw new FormatException(file, null, "cannot decode row group at byte " + task.start() + ": " + e, e);
        } finally {
            for (ColumnBuilder b : builders) {
                b.close();
            }
        }
    }

    /** Closes the cursor's readers (the row group is done, failed, or the scan is closed). Caller holds its lock. */
    private static void finish(RowGroupCursor cursor) {
        if (cursor.readers != null) {
            ColumnReaders rs = cursor.readers;
            cursor.readers = null;
            rs.close();
        }
    }

    /** Marks as null the rows of a bulk append (at {@code at}) whose source rows {@code from ..} are null. */
    private static void markNulls(ColumnBuilder b, int at, Validity valid, boolean nulls, int from, int n) {
        if (!nulls) {
            return;
        }
        for (int k = 0; k < n; k++) {
            if (valid.isNull(from + k)) {
                b.setNull(at + k);
            }
        }
    }

    private static void append(ColumnReader r, ColumnBuilder b, int from, int n) {
        Validity valid = r.getLeafValidity();
        boolean nulls = valid != null && valid.hasNulls();
        switch (b) {
            case Int64Builder l when l.type() == DataType.TIMESTAMP -> appendTimestamps(r, l, valid, nulls, from, n);
            case Int64Builder l -> {
                int at = l.length();
                l.appendAll(r.getLongs(), from, n);
                markNulls(l, at, valid, nulls, from, n);
            }
            case Int32Builder x -> {
                int at = x.length();
                x.appendAll(r.getInts(), from, n);
                markNulls(x, at, valid, nulls, from, n);
            }
            case Float64Builder d -> {
                if (r.getColumnSchema().type() == PhysicalType.FLOAT) {
                    float[] v = r.getFloats();
                    for (int k = from; k < from + n; k++) {
                        if (nulls && valid.isNull(k)) {
                            d.appendNull();
                        } else {
                            d.append(v[k]);
                        }
                    }
                } else {
                    int at = d.length();
                    d.appendAll(r.getDoubles(), from, n);
                    markNulls(d, at, valid, nulls, from, n);
                }
            }
            case BooleanBuilder bo -> {
                boolean[] v = r.getBooleans();
                for (int k = from; k < from + n; k++) {
                    if (nulls && valid.isNull(k)) {
                        bo.appendNull();
                    } else {
                        bo.append(v[k]);
                    }
                }
            }
            case Decimal128Builder dec -> {
                PhysicalType pt = r.getColumnSchema().type();
                int[] ints = pt == PhysicalType.INT32 ? r.getInts() : null;
                long[] longs = pt == PhysicalType.INT64 ? r.getLongs() : null;
                byte[] data = ints == null && longs == null ? r.getBinaryValues() : null;
                int[] offsets = data == null ? null : r.getBinaryOffsets();
                for (int k = from; k < from + n; k++) {
                    if (nulls && valid.isNull(k)) {
                        dec.appendNull();
                    } else if (ints != null) {
                        dec.appendUnscaled(ints[k]);
                    } else if (longs != null) {
                        dec.appendUnscaled(longs[k]);
                    } else {
                        int start = offsets[k];
                        int end = k + 1 < offsets.length ? offsets[k + 1] : data.length;
                        appendBigEndian(dec, data, start, end);
                    }
                }
            }
            case Utf8Builder u -> {
                byte[] data = r.getBinaryValues();
                int[] offsets = r.getBinaryOffsets();
                MemorySegment seg = MemorySegment.ofArray(data);
                for (int k = from; k < from + n; k++) {
                    if (nulls && valid.isNull(k)) {
                        u.appendNull();
                    } else {
                        int start = offsets[k];
                        int end = k + 1 < offsets.length ? offsets[k + 1] : data.length;
                        u.append(seg, start, end - start);
                    }
                }
            }
        }
    }

    /** The Julian day number of 1970-01-01, the epoch of INT96 timestamps' day count. */
    private static final long JULIAN_EPOCH_DAY = 2_440_588;

    /**
     * Appends timestamps as microseconds: INT64 in MILLIS (multiplied), MICROS, or NANOS (divided,
     * rounding down); legacy INT96 (Impala, Spark) is 8 little-endian bytes of nanoseconds in the
     * day and 4 of the Julian day number.
     */
    private static void appendTimestamps(ColumnReader r, Int64Builder l, Validity valid, boolean nulls, int from, int n) {
        ColumnSchema cs = r.getColumnSchema();
        if (cs.type() == PhysicalType.INT96) {
            byte[] data = r.getBinaryValues();
            int[] offsets = r.getBinaryOffsets();
            ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = from; k < from + n; k++) {
                if (nulls && valid.isNull(k)) {
                    l.appendNull();
                    continue;
                }
                int start = offsets[k];
                long nanos = bb.getLong(start);
                long julian = Integer.toUnsignedLong(bb.getInt(start + 8));
                l.append((julian - JULIAN_EPOCH_DAY) * Timestamps.MICROS_PER_DAY + Math.floorDiv(nanos, 1000));
            }
            return;
        }
        long[] v = r.getLongs();
        LogicalType.TimeUnit unit = ((LogicalType.TimestampType) cs.logicalType()).unit();
        if (unit == LogicalType.TimeUnit.MICROS) {
            int at = l.length();
            l.appendAll(v, from, n);
            markNulls(l, at, valid, nulls, from, n);
            return;
        }
        for (int k = from; k < from + n; k++) {
            if (nulls && valid.isNull(k)) {
                l.appendNull();
            } else if (unit == LogicalType.TimeUnit.NANOS) {
                l.append(Math.floorDiv(v[k], 1000));
            } else {
                try {
                    l.append(Math.multiplyExact(v[k], 1000));
                } catch (ArithmeticException e) {
                    throw new IllegalStateException("timestamp of " + v[k] + " milliseconds in column '" + cs.name()
                            + "' is out of the microsecond range", e);
                }
            }
        }
    }

    /**
     * Appends a big-endian two's-complement unscaled decimal of {@code [start, end)} (any length;
     * leading sign bytes beyond 16 must be redundant).
     */
    private static void appendBigEndian(Decimal128Builder dec, byte[] data, int start, int end) {
        if (end - start > 16 || end == start) {
            dec.appendUnscaled(end == start ? BigInteger.ZERO : new BigInteger(data, start, end - start));
            return;
        }
        long hi = data[start] < 0 ? -1L : 0L;
        long lo = hi;
        for (int i = start; i < end; i++) {
            hi = hi << 8 | (lo >>> 56);
            lo = lo << 8 | (data[i] & 0xFF);
        }
        dec.append128(hi, lo);
    }

    // ------------------------------------------------------------------ source

    /**
     * A scheduler source: workers claim slices in order; different row groups decode in parallel.
     * Closing it closes the scan.
     */
    public Source source() {
        plan();
        String name = SplitSource.scanName("parquet", files);
        return new Source() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Morsel next(TaskContext ctx) {
                return nextSlice();
            }

            @Override
            public void close() {
                ParquetScan.this.close();
            }
        };
    }

    /** Closes the files and any row group still being decoded. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (cursors != null) {
            for (int t = 0; t < cursors.length; t++) {
                synchronized (cursors[t]) {
                    finish(cursors[t]);
                }
            }
        }
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
