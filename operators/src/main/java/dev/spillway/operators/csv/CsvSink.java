package dev.spillway.operators.csv;

import dev.spillway.options.CsvOptions;

import dev.spillway.event.EventSink;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.operators.OrderedFileSink;
import dev.spillway.operators.PartitionedFileSink;
import dev.spillway.options.Partitioning;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Writes a query's result to a CSV file in source order, streaming, atomically (see
 * {@link OrderedFileSink}).
 */
public final class CsvSink extends OrderedFileSink {
    /** Creates the sink (and the temporary file). */
    public CsvSink(Path target, Schema schema, CsvOptions options) {
        super(target, "CSV", (file, message, cause) -> new UncheckedIOException(file + ": " + message, cause),
                file -> new CsvWriter(file, schema, options));
    }

    /**
     * A sink writing hive-style partition directories of CSV files ({@code dir/k=v/part-00000.csv}),
     * see {@link PartitionedFileSink}; gathered rows are charged to {@code budget}.
     */
    public static PartitionedFileSink partitioned(Path dir, Schema schema, CsvOptions options, Partitioning partitioning,
            BlockPool pool, MemoryBudget budget, EventSink events) {
        return new PartitionedFileSink(dir, schema, partitioning, "CSV", "csv",
                (file, s) -> new CsvWriter(file, s, options),
                (file, message, cause) -> new UncheckedIOException(file + ": " + message, cause), pool, budget, events);
    }
}
