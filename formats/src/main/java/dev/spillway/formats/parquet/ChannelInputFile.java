package dev.spillway.formats.parquet;

import dev.hardwood.InputFile;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A Parquet file read with positional reads into short-lived heap buffers instead of one mapping
 * of the whole file (the library's default): a mapping keeps every page the scan has read in the
 * process's RSS until it is unmapped, which for a large file dwarfs the engine's memory cap,
 * while a read buffer is garbage as soon as its column chunk is decoded and the page cache keeps
 * the data outside the process. Thread-safe: positional reads share the channel.
 */
final class ChannelInputFile implements InputFile {
    private final Path path;
    private volatile FileChannel channel;

    ChannelInputFile(Path path) {
        this.path = path;
    }

    @Override
    public synchronized void open() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        }
    }

    @Override
    public ByteBuffer readRange(long offset, int length) throws IOException {
        FileChannel ch = channel();
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, offset + buf.position());
            if (n < 0) {
                throw new EOFException(path + ": " + length + " bytes at offset " + offset + " run past the end of the file ("
                        + ch.size() + " bytes)");
            }
        }
        return buf.flip();
    }

    @Override
    public long length() throws IOException {
        return channel().size();
    }

    @Override
    public String name() {
        return path.toString();
    }

    private FileChannel channel() throws IOException {
        FileChannel ch = channel;
        if (ch == null) {
            open();
            ch = channel;
        }
        return ch;
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
