package dev.spillway.formats.parquet;

import dev.spillway.formats.FormatException;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.OrderedFileSink;

import java.nio.file.Path;

/**
 * Writes a query's result to a Parquet file in source order, streaming, atomically (see
 * {@link OrderedFileSink}): a {@link ParquetFileWriter} takes the morsels and holds at most one
 * row group.
 */
public final class ParquetSink extends OrderedFileSink {
    private final ParquetFileWriter writer;

    /** Creates the sink (and the temporary file). */
    public ParquetSink(Path target, Schema schema, ParquetWriteOptions options) {
        super(target, "Parquet", (file, message, cause) -> new FormatException(file, null, message, cause));
        this.writer = new ParquetFileWriter(temp(), schema, options);
    }

    @Override
    protected void write(Morsel m) {
        writer.write(m);
    }

    @Override
    protected void completeWriter() {
        writer.close();
    }

    @Override
    protected void abortWriter() {
        writer.abort();
    }

    /** Rows written. */
    public long rows() {
        return writer.rows();
    }
}
