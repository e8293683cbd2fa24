package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.types.Schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The unit of work: a schema, one column per field, a row count and a sequence number.
 *
 * <p>Sources number their morsels in source order; order-sensitive sinks use {@link #sequence()}
 * to restore it after parallel processing. A morsel owns its columns: closing it closes them.
 * {@link #withSequence}, {@link #slice} and {@link #select} are zero-copy and retain the
 * underlying buffers, so the original and the derived morsel are closed independently.
 */
public final class Morsel implements AutoCloseable {
    /** Default rows per morsel: 128k, so 128k int64 values fill one 1 MiB block. */
    public static final int DEFAULT_ROWS = 131_072;

    private final Schema schema;
    private final List<ColumnVector> columns;
    private final int rowCount;
    private final long sequence;
    private boolean closed;

    /**
     * Creates a morsel that takes ownership of {@code columns} (closed with the morsel; closed at
     * once if this constructor throws).
     *
     * @throws IllegalArgumentException when columns do not match the schema's types or the row count
     */
    public Morsel(Schema schema, List<ColumnVector> columns, int rowCount, long sequence) {
        try {
            Objects.requireNonNull(schema, "schema");
            if (columns.size() != schema.size()) {
                throw new IllegalArgumentException("schema has " + schema.size() + " fields but " + columns.size()
                        + " columns were given");
            }
            for (int i = 0; i < columns.size(); i++) {
                ColumnVector c = columns.get(i);
                Field f = schema.field(i);
                if (c.type() != f.type()) {
                    throw new IllegalArgumentException("column '" + f.name() + "' is declared " + f.type().displayName()
                            + " but holds " + c.type().displayName());
                }
                if (c.length() != rowCount) {
                    throw new IllegalArgumentException("column '" + f.name() + "' has " + c.length() + " rows, morsel has "
                            + rowCount);
                }
            }
        } catch (RuntimeException e) {
            for (ColumnVector c : columns) {
                c.close();
            }
            throw e;
        }
        this.schema = schema;
        this.columns = List.copyOf(columns);
        this.rowCount = rowCount;
        this.sequence = sequence;
    }

    /** The schema. */
    public Schema schema() {
        return schema;
    }

    /** Number of columns. */
    public int columnCount() {
        return columns.size();
    }

    /** Column {@code i} (owned by the morsel: do not close). */
    public ColumnVector column(int i) {
        return columns.get(i);
    }

    /** The column called {@code name}; throws naming the available columns when absent. */
    public ColumnVector column(String name) {
        return columns.get(schema.require(name));
    }

    /** Number of rows. */
    public int rowCount() {
        return rowCount;
    }

    /** Position of this morsel in its source's order. */
    public long sequence() {
        return sequence;
    }

    /** Native bytes held by the columns. */
    public long byteSize() {
        long n = 0;
        for (ColumnVector c : columns) {
            n += c.byteSize();
        }
        return n;
    }

    /** The same rows under another sequence number (zero-copy). */
    public Morsel withSequence(long newSequence) {
        return slice(0, rowCount, newSequence);
    }

    /** Rows {@code [from, from + count)} (zero-copy). */
    public Morsel slice(int from, int count) {
        return slice(from, count, sequence);
    }

    /** Rows {@code [from, from + count)} under another sequence number (zero-copy). */
    public Morsel slice(int from, int count, long seq) {
        ensureOpen();
        Objects.checkFromIndexSize(from, count, rowCount);
        List<ColumnVector> out = new ArrayList<>(columns.size());
        for (ColumnVector c : columns) {
            out.add(c.slice(from, count));
        }
        return new Morsel(schema, out, count, seq);
    }

    /** A projection onto the given column positions (zero-copy; a column may repeat only under distinct names). */
    public Morsel select(int... columnIndexes) {
        ensureOpen();
        List<Field> fields = new ArrayList<>(columnIndexes.length);
        List<ColumnVector> out = new ArrayList<>(columnIndexes.length);
        for (int i : columnIndexes) {
            fields.add(schema.field(i));
        }
        Schema projected = new Schema(fields);
        for (int i : columnIndexes) {
            out.add(columns.get(i).slice(0, rowCount));
        }
        return new Morsel(projected, out, rowCount, sequence);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("morsel " + sequence + " is closed");
        }
    }

    /** Closes the columns. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Closeables.closeAll(columns);
    }

    @Override
    public String toString() {
        return "Morsel[seq=" + sequence + ", rows=" + rowCount + ", " + schema.names() + "]";
    }
}
