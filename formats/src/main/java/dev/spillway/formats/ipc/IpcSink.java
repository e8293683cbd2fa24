package dev.spillway.formats.ipc;

import dev.spillway.formats.FormatException;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.OrderedFileSink;

import java.nio.file.Path;

/**
 * Writes a query's result to an Arrow IPC file in source order, streaming, atomically (see
 * {@link OrderedFileSink}): an {@link IpcFileWriter} writes one record batch per morsel.
 */
public final class IpcSink extends OrderedFileSink {
    private final IpcFileWriter writer;

    /** Creates the sink (and the temporary file). */
    public IpcSink(Path target, Schema schema) {
        super(target, "Arrow IPC", (file, message, cause) -> new FormatException(file, null, message, cause));
        this.writer = new IpcFileWriter(temp(), schema);
    }

    @Override
    public String name() {
        return "sink ipc " + target().getFileName();
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
        writer.abort();
    }

    /** Rows written. */
    public long rows() {
        return writer.rows();
    }
}
