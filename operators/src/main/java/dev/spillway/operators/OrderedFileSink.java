package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Function;

/**
 * The common part of the file sinks (CSV, Parquet, Arrow IPC): morsels are put back in source
 * order with a {@link ReorderBuffer} and handed to the format's writer as soon as they are next,
 * so at most the morsels in flight wait in memory. The writer writes a temporary file beside the
 * target that replaces it (an atomic move) only when the query succeeds; a failed or cancelled
 * query leaves no partial file.
 */
public abstract class OrderedFileSink implements Sink<Void>, StagedOutput {
    private final String format;
    private final IoFailure ioFailure;
    private final Path target;
    private final Path temp;
    private final MorselFileWriter writer;
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    private boolean committed;

    /** Makes the exception for a file-system failure (the CSV sink's UncheckedIOException, the formats' FormatException). */
    @FunctionalInterface
    protected interface IoFailure {
        /** The exception for {@code message} about {@code file}. */
        RuntimeException of(Path file, String message, IOException cause);
    }

    /**
     * Creates the temporary file beside {@code target} and opens the format's writer on it.
     *
     * @param format    the format's name in messages, e.g. {@code CSV}
     * @param ioFailure how file-system failures are reported
     * @param opener    opens the writer of the temporary file
     */
    protected OrderedFileSink(Path target, String format, IoFailure ioFailure, Function<Path, MorselFileWriter> opener) {
        this.format = format;
        this.ioFailure = ioFailure;
        this.target = target.toAbsolutePath();
        Path dir = this.target.getParent();
        try {
            this.temp = Files.createTempFile(dir, "." + this.target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw ioFailure.of(this.target, "cannot create a file in " + dir + ": " + e.getMessage(), e);
        }
        try {
            this.writer = opener.apply(temp);
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The temporary file beside the target ({@code .<name>.<digits>.tmp}). */
    @Override
    public final Path stagingPath() {
        return temp;
    }

    /** The file the result goes to. */
    protected final Path target() {
        return target;
    }

    /** Rows written so far. */
    public final long rows() {
        return writer.rows();
    }

    private void write(Morsel m) {
        writer.write(m);
    }

    @Override
    public String name() {
        return "sink " + format.toLowerCase(java.util.Locale.ROOT) + " " + target.getFileName();
    }

    @Override
    public final Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public final void consume(Void local, Morsel morsel, TaskContext ctx) {
        reorder.add(morsel.sequence(), morsel, this::write);
    }

    /** A morsel an operator dropped whole still advances the order. */
    @Override
    public final void skip(Void local, long sequence, TaskContext ctx) {
        reorder.skip(sequence, this::write);
    }

    @Override
    public final void combine(Void local, TaskContext ctx) {
    }

    @Override
    public final void finish(TaskContext ctx) {
        if (reorder.waitingCount() != 0) {
            throw new IllegalStateException(format + " sink missing morsel " + reorder.nextSequence() + " of its input");
        }
        writer.complete(true);
        try {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw ioFailure.of(target, "cannot move " + temp + " into place: " + e.getMessage(), e);
        }
        committed = true;
    }

    @Override
    public final void close() {
        reorder.drain().forEach(Morsel::close);
        try {
            writer.abort();
        } finally {
            if (!committed) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    throw ioFailure.of(temp, "cannot delete: " + e.getMessage(), e);
                }
            }
        }
    }
}
