package dev.spillway.formats;

import dev.spillway.errors.FormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file written front to back by one thread, as the Parquet and Arrow IPC writers do: it tracks
 * the write position (offsets of row groups and record batches), forces the file to disk when
 * asked, and turns a failure to open or close into a {@link FormatException} naming the file.
 * Not thread-safe.
 */
public final class FileOutput implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private long position;
    private boolean closed;

    /** Creates (or truncates) {@code path}. */
    public FileOutput(Path path) {
        this.path = path;
        try {
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new FormatException(path, null, "cannot write: " + e.getMessage(), e);
        }
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** Bytes written so far: the offset the next write lands at. */
    public long position() {
        return position;
    }

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return closed;
    }

    /** Writes all of {@code b}. */
    public void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            position += channel.write(b);
        }
    }

    /** Forces what was written to disk. */
    public void force() throws IOException {
        channel.force(false);
    }

    /** Closes the file (whatever was written stays). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            throw new FormatException(path, null, "cannot close: " + e.getMessage(), e);
        }
    }
}
