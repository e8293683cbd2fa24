package dev.spillway.operators.csv;

import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.OrderedFileSink;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Writes a query's result to a CSV file in source order, streaming, atomically (see
 * {@link OrderedFileSink}).
 */
public final class CsvSink extends OrderedFileSink {
    private final CsvWriter writer;

    /** Creates the sink (and the temporary file). */
    public CsvSink(Path target, Schema schema, CsvOptions options) {
        super(target, "CSV", (file, message, cause) -> new UncheckedIOException(file + ": " + message, cause));
        this.writer = new CsvWriter(temp(), schema, options);
    }

    @Override
    protected void write(Morsel m) {
        try (m) {
            writer.write(m);
        }
    }

    @Override
    protected void completeWriter() {
        writer.close();
    }

    @Override
    protected void abortWriter() {
        writer.close();
    }

    /** Rows written. */
    public long rows() {
        return writer.rows();
    }
}
