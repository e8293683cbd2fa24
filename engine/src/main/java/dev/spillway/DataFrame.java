package dev.spillway;

import dev.spillway.arrow.ArrowExport;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A query result in native memory: a schema and an ordered list of morsels.
 *
 * <p>Off-heap and {@link AutoCloseable}: close it (try-with-resources) to give its memory back
 * to the {@link Spillway} budget. Reading is thread-safe. Row access by index is meant for small
 * frames and tests; bulk consumers read {@link #morsels()} column-wise.
 */
public final class DataFrame implements AutoCloseable {
    private static final int SHOWN_ROWS = 5;

    private final Schema schema;
    private final List<Morsel> morsels;
    private final long[] starts;
    private final long rowCount;
    private final AutoCloseable owner;
    /** The Java owner's hold plus one per open {@link #retain()} handle; the memory goes at zero. */
    private final AtomicInteger holds = new AtomicInteger(1);
    private boolean closed;

    /**
     * Takes ownership of {@code morsels}, which must all have {@code schema}; {@code owner}
     * (the query's memory budget, say) is closed after them.
     */
    DataFrame(Schema schema, List<Morsel> morsels, AutoCloseable owner) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.owner = owner;
        List<Morsel> nonEmpty = new ArrayList<>();
        for (Morsel m : morsels) {
            if (m.rowCount() == 0) {
                m.close();
            } else {
                nonEmpty.add(m);
            }
        }
        this.morsels = List.copyOf(nonEmpty);
        this.starts = new long[this.morsels.size()];
        long n = 0;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = n;
            n += this.morsels.get(i).rowCount();
        }
        this.rowCount = n;
    }

    /** The schema. */
    public Schema schema() {
        return schema;
    }

    /** Number of rows. */
    public long rowCount() {
        return rowCount;
    }

    /** Number of columns. */
    public int columnCount() {
        return schema.size();
    }

    /** The column names. */
    public List<String> columns() {
        return schema.names();
    }

    /** The morsels, in row order (owned by this frame: do not close). */
    List<Morsel> morsels() {
        ensureOpen();
        return morsels;
    }

    // ------------------------------------------------------------------ Arrow C Data Interface

    /**
     * Fills the consumer's {@code ArrowArrayStream} struct at {@code out} with this frame's batches,
     * zero-copy: the stream and every array it hands out keep the frame's memory alive until the
     * consumer releases them, even after this frame is closed. For DuckDB, Arrow Java, pyarrow or
     * any reader of the C stream interface.
     *
     * @throws IllegalArgumentException when {@code out} is NULL
     * @throws IllegalStateException    when this frame is closed
     */
    public void exportArrowStream(MemorySegment out) {
        ArrowExport.exportStream(this, out);
    }

    /**
     * Fills the consumer's {@code ArrowSchema} struct at {@code out} with this frame's columns, as a
     * struct ({@code +s}) with one child per column; the consumer releases it.
     */
    public void exportArrowSchema(MemorySegment out) {
        ArrowExport.exportSchema(schema(), out);
    }

    /** The number of batches {@link #exportArrowBatch} can export. */
    public int arrowBatchCount() {
        return ArrowExport.batchCount(this);
    }

    /**
     * Fills the consumer's {@code ArrowArray} struct at {@code out} with batch {@code batch},
     * zero-copy, as a struct array matching {@link #exportArrowSchema}; the array keeps the frame's
     * memory alive until the consumer releases it.
     *
     * @throws IndexOutOfBoundsException when {@code batch} is not below {@link #arrowBatchCount()}
     */
    public void exportArrowBatch(int batch, MemorySegment out) {
        ArrowExport.exportBatch(this, batch, out);
    }

    /** Native bytes held. */
    public long byteSize() {
        long n = 0;
        for (Morsel m : morsels) {
            n += m.byteSize();
        }
        return n;
    }

    // ------------------------------------------------------------------ typed access

    /** The value at {@code row} of {@code column} as a Java object (null for null). */
    public Object get(long row, String column) {
        return get(row, schema.require(column));
    }

    /** The value at {@code row} of column {@code col} as a Java object (null for null). */
    public Object get(long row, int col) {
        ensureOpen();
        int m = morselOf(row);
        return morsels.get(m).column(col).getObject((int) (row - starts[m]));
    }

    /** An int64 value; throws on null or another type. */
    public long getLong(long row, String column) {
        return ((Number) nonNull(row, column, DataType.INT64, DataType.INT32)).longValue();
    }

    /** A float64 value; throws on null or another type. */
    public double getDouble(long row, String column) {
        return ((Number) nonNull(row, column, DataType.FLOAT64, DataType.INT64, DataType.INT32)).doubleValue();
    }

    /** A decimal value, or null. */
    public java.math.BigDecimal getBigDecimal(long row, String column) {
        requireType(column, DataType.DECIMAL128);
        return (java.math.BigDecimal) get(row, column);
    }

    /**
     * A timestamp as a local date-time, or null: the value of a timestamp without a time zone, the
     * wall-clock time in its zone of one with a time zone.
     */
    public java.time.LocalDateTime getLocalDateTime(long row, String column) {
        requireType(column, DataType.TIMESTAMP);
        Object v = get(row, column);
        return switch (v) {
            case null -> null;
            case java.time.Instant t -> java.time.LocalDateTime.ofInstant(t, java.time.ZoneId.of(schema.field(column).timeZone()));
            default -> (java.time.LocalDateTime) v;
        };
    }

    /**
     * The instant of a timestamp with a time zone, or null.
     *
     * @throws IllegalArgumentException for a timestamp without a time zone, which is no instant
     */
    public java.time.Instant getInstant(long row, String column) {
        requireType(column, DataType.TIMESTAMP);
        if (schema.field(column).timeZone() == null) {
            throw new IllegalArgumentException("column '" + column + "' is a timestamp without a time zone, not an instant; "
                    + "use getLocalDateTime");
        }
        return (java.time.Instant) get(row, column);
    }

    /** The printed text of a value (a zoned timestamp with its offset, as the CSV writer prints it). */
    private String formatted(long row, int col) {
        int m = morselOf(row);
        return morsels.get(m).column(col).format((int) (row - starts[m]));
    }

    /** A utf8 value, or null. */
    public String getString(long row, String column) {
        requireType(column, DataType.UTF8);
        return (String) get(row, column);
    }

    private Object nonNull(long row, String column, DataType... types) {
        requireType(column, types);
        Object v = get(row, column);
        if (v == null) {
            throw new IllegalStateException("row " + row + " of column '" + column + "' is null");
        }
        return v;
    }

    private void requireType(String column, DataType... types) {
        DataType t = schema.field(column).type();
        if (!Arrays.asList(types).contains(t)) {
            throw new IllegalArgumentException("column '" + column + "' is " + t.displayName() + ", not "
                    + types[0].displayName());
        }
    }

    /** Row {@code row} as a list of Java objects in column order. */
    public List<Object> row(long row) {
        List<Object> out = new ArrayList<>(schema.size());
        for (int c = 0; c < schema.size(); c++) {
            out.add(get(row, c));
        }
        return Collections.unmodifiableList(out);
    }

    /** All rows as lists of Java objects (for small frames and tests). */
    public List<List<Object>> rows() {
        ensureOpen();
        if (rowCount > Integer.MAX_VALUE) {
            throw new IllegalStateException("rows() materialises every row on the heap; " + rowCount + " rows is too many");
        }
        List<List<Object>> out = new ArrayList<>((int) rowCount);
        for (Morsel m : morsels) {
            for (int r = 0; r < m.rowCount(); r++) {
                List<Object> row = new ArrayList<>(schema.size());
                for (int c = 0; c < schema.size(); c++) {
                    row.add(m.column(c).getObject(r));
                }
                out.add(row);
            }
        }
        return out;
    }

    /** All values of one column (for small frames and tests). */
    public List<Object> columnValues(String column) {
        int c = schema.require(column);
        List<Object> out = new ArrayList<>();
        for (Morsel m : morsels()) {
            ColumnVector v = m.column(c);
            for (int r = 0; r < v.length(); r++) {
                out.add(v.getObject(r));
            }
        }
        return out;
    }

    private int morselOf(long row) {
        Objects.checkIndex(row, rowCount);
        int i = Arrays.binarySearch(starts, row);
        return i >= 0 ? i : -i - 2;
    }

    // ------------------------------------------------------------------ equality for tests

    /** Whether both frames have the same column names, types and rows in the same order. */
    public boolean contentEquals(DataFrame other) {
        return sameColumns(other) && rows().equals(other.rows());
    }

    /** Whether both frames have the same columns and the same multiset of rows, in any order. */
    public boolean contentEqualsIgnoringOrder(DataFrame other) {
        if (!sameColumns(other) || rowCount != other.rowCount) {
            return false;
        }
        List<List<Object>> a = new ArrayList<>(rows());
        List<List<Object>> b = new ArrayList<>(other.rows());
        Comparator<List<Object>> byText = Comparator.comparing(Object::toString);
        a.sort(byText);
        b.sort(byText);
        return a.equals(b);
    }

    private boolean sameColumns(DataFrame other) {
        if (schema.size() != other.schema.size()) {
            return false;
        }
        for (int i = 0; i < schema.size(); i++) {
            Field x = schema.field(i);
            Field y = other.schema.field(i);
            if (!x.name().equals(y.name()) || x.type() != y.type()) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ display

    /**
     * A table in the style of Polars: shape, column names with types, the first and last rows
     * (with an ellipsis row between when there are more).
     */
    @Override
    public String toString() {
        if (closed) {
            return "DataFrame[closed]";
        }
        List<Long> shown = new ArrayList<>();
        boolean elided = rowCount > 2L * SHOWN_ROWS;
        if (elided) {
            for (long r = 0; r < SHOWN_ROWS; r++) {
                shown.add(r);
            }
            for (long r = rowCount - SHOWN_ROWS; r < rowCount; r++) {
                shown.add(r);
            }
        } else {
            for (long r = 0; r < rowCount; r++) {
                shown.add(r);
            }
        }
        int cols = schema.size();
        List<String[]> cells = new ArrayList<>();
        for (long r : shown) {
            String[] line = new String[cols];
            for (int c = 0; c < cols; c++) {
                Object v = get(r, c);
                line[c] = v == null ? "null" : v instanceof String s ? "\"" + abbreviate(s) + "\""
                        : schema.field(c).type() == DataType.TIMESTAMP ? formatted(r, c) : v.toString();
            }
            cells.add(line);
        }
        int[] width = new int[cols];
        for (int c = 0; c < cols; c++) {
            width[c] = Math.max(schema.field(c).name().length(), schema.field(c).typeName().length());
            for (String[] line : cells) {
                width[c] = Math.max(width[c], line[c].length());
            }
            width[c] = Math.max(width[c], 1);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("shape: (").append(rowCount).append(", ").append(cols).append(")\n");
        rule(sb, width, '┌', '┬', '┐');
        line(sb, width, c -> schema.field(c).name());
        line(sb, width, c -> "---");
        line(sb, width, c -> schema.field(c).typeName());
        rule(sb, width, '╞', '╪', '╡');
        for (int i = 0; i < cells.size(); i++) {
            if (elided && i == SHOWN_ROWS) {
                line(sb, width, c -> "…");
            }
            String[] row = cells.get(i);
            line(sb, width, c -> row[c]);
        }
        rule(sb, width, '└', '┴', '┘');
        return sb.toString();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "…";
    }

    private static void rule(StringBuilder sb, int[] width, char left, char mid, char right) {
        sb.append(left);
        for (int c = 0; c < width.length; c++) {
            sb.append("─".repeat(width[c] + 2)).append(c == width.length - 1 ? right : mid);
        }
        sb.append('\n');
    }

    private static void line(StringBuilder sb, int[] width, java.util.function.IntFunction<String> text) {
        sb.append('│');
        for (int c = 0; c < width.length; c++) {
            String t = text.apply(c);
            sb.append(' ').append(t).append(" ".repeat(width[c] - t.length() + 1)).append('│');
        }
        sb.append('\n');
    }

    // ------------------------------------------------------------------ lifecycle

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("data frame is closed");
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Keeps this frame's native memory valid after {@link #close()} until the returned handle is
     * closed too, for readers the owner does not control (an exported Arrow C array, say). The
     * memory goes back to the budget when the last of {@code close()} and the handles is closed;
     * that may happen on any thread. The handle's {@code close()} is idempotent. A holder of a
     * handle may retain again after the owner's {@code close()}.
     *
     * @throws IllegalStateException when the frame's memory is freed already
     */
    public AutoCloseable retain() {
        int h;
        do {
            h = holds.get();
            if (h <= 0) {
                throw new IllegalStateException("data frame is closed and its memory freed");
            }
        } while (!holds.compareAndSet(h, h + 1));
        AtomicInteger once = new AtomicInteger();
        return () -> {
            if (once.getAndIncrement() == 0) {
                drop();
            }
        };
    }

    /** Gives up the Java owner's hold; frees the native memory unless {@link #retain()} handles are open. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        drop();
    }

    /** Drops one hold; the last one frees the morsels, then the owner (the atomic orders it after every holder's reads). */
    private void drop() {
        if (holds.decrementAndGet() != 0) {
            return;
        }
        for (Morsel m : morsels) {
            m.close();
        }
        if (owner != null) {
            try {
                owner.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("cannot release the frame's memory: " + e.getMessage(), e);
            }
        }
    }
}
