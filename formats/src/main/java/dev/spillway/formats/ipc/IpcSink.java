package dev.spillway.formats.ipc;

import dev.spillway.event.EventSink;
import dev.spillway.errors.FormatException;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.operators.OrderedFileSink;
import dev.spillway.operators.PartitionedFileSink;
import dev.spillway.options.Partitioning;

import java.nio.file.Path;

/**
 * Writes a query's result to an Arrow IPC file in source order, streaming, atomically (see
 * {@link OrderedFileSink}): an {@link IpcFileWriter} writes one record batch per morsel.
 */
public final class IpcSink extends OrderedFileSink {
    /** Creates the sink (and the temporary file). */
    public IpcSink(Path target, Schema schema) {
        super(target, "Arrow IPC", (file, message, cause) -> new FormatException(file, null, message, cause),
                file -> new IpcFileWriter(file, schema));
    }

    @Override
    public String name() {
        return "sink ipc " + target().getFileName();
    }

    /**
     * A sink writing hive-style partition directories of Arrow IPC files ({@code dir/k=v/part-00000.arrow}),
     * see {@link PartitionedFileSink}; gathered rows are charged to {@code budget}.
     */
    public static PartitionedFileSink partitioned(Path dir, Schema schema, Partitioning partitioning, BlockPool pool,
            MemoryBudget budget, EventSink events) {
        return new PartitionedFileSink(dir, schema, partitioning, "Arrow IPC", "arrow",
                (file, s) -> new IpcFileWriter(file, s),
                (file, message, cause) -> new FormatException(file, null, message, cause), pool, budget, events);
    }
}
