package dev.spillway.operators.csv;

import dev.spillway.memory.Morsel;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * The planning pass of a {@link CsvScan}: one sequential, quote-aware pass over a file cuts
 * it into splits at record boundaries, about one morsel of rows each, and records the line each
 * split starts on for error messages. A word of 8 bytes without a quote whose line breaks cannot
 * end a split (inside quotes, or before the next split point) is taken in one step.
 */
final class CsvSplits {
    private static final long MIN_SPLIT = 64 << 10;
    private static final long MAX_SPLIT = 256L << 20;
    /** Bytes the planning pass reads at a time. */
    private static final int READ_BYTES = 1 << 20;

    /** Bytes {@code start .. end} of file {@code file}, whose first record starts on line {@code line}. */
    record Split(int file, long start, long end, long line) {
    }

    private CsvSplits() {
    }

    /** Split size for about {@code rows} rows, from the mean row length of the first MiB after {@code start}. */
    static long estimateSplitBytes(MemorySegment seg, long start, int rows) {
        long end = Math.min(seg.byteSize(), start + (1 << 20));
        long lines = 0;
        for (long p = start; p < end; p++) {
            if (seg.get(ValueLayout.JAVA_BYTE, p) == '\n') {
                lines++;
            }
        }
        double bytesPerRow = lines == 0 ? 64 : (double) (end - start) / lines;
        long min = rows < Morsel.DEFAULT_ROWS ? 1024 : MIN_SPLIT;
        return Math.max(min, Math.min(MAX_SPLIT, (long) (bytesPerRow * rows)));
    }

    /**
     * Cuts bytes {@code start .. size} of file {@code f}, whose first record starts on line
     * {@code firstLine}, into splits of about {@code target} bytes ending at record boundaries (a
     * line break outside quotes), appended to {@code splits}. The pass reads the file through
     * {@code channel} into one small buffer rather than through its mapping: touching every page
     * of the mapping here would fault the whole file into the process once for planning and once
     * more for parsing (or keep it all resident in between).
     */
    static void cut(int f, FileChannel channel, long size, long start, long firstLine, long target, byte quote,
            List<Split> splits) throws IOException {
        if (start >= size) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(READ_BYTES);
        MemorySegment chunk = MemorySegment.ofBuffer(buffer);
        long quoteWord = 0x0101010101010101L * (quote & 0xFF);
        long newlineWord = 0x0101010101010101L * '\n';
        boolean inQuotes = false;
        long line = firstLine;
        long splitStart = start;
        long splitLine = firstLine;
        long next = start + target;
        long base = start;
        while (base < size) {
            int n = fill(channel, buffer, base, size);
            long pos = base;
            long chunkEnd = base + n;
            while (pos < chunkEnd) {
                if (pos + 8 <= chunkEnd) {
                    // A word without quotes whose newlines cannot end a split (inside quotes, or
                    // before the next split point) only counts lines: one step per 8 bytes.
                    long w = chunk.get(ValueLayout.JAVA_LONG_UNALIGNED, pos - base);
                    if (!hasByte(w, quoteWord) && (inQuotes || pos + 8 < next)) {
                        line += countByte(w, newlineWord);
                        pos += 8;
                        continue;
                    }
                }
                byte b = chunk.get(ValueLayout.JAVA_BYTE, pos - base);
                pos++;
                if (b == quote) {
                    inQuotes = !inQuotes;
                } else if (b == '\n') {
                    line++;
                    if (!inQuotes && pos >= next && pos < size) {
                        splits.add(new Split(f, splitStart, pos, splitLine));
                        splitStart = pos;
                        splitLine = line;
                        next = pos + target;
                    }
                }
            }
            base = chunkEnd;
        }
        splits.add(new Split(f, splitStart, size, splitLine));
    }

    /** Reads bytes from {@code position} (at most the buffer's capacity, up to {@code size}) into {@code buffer}; returns how many. */
    private static int fill(FileChannel channel, ByteBuffer buffer, long position, long size) throws IOException {
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), size - position));
        while (buffer.hasRemaining()) {
            int r = channel.read(buffer, position + buffer.position());
            if (r < 0) {
                throw new IOException("the file ended at byte " + (position + buffer.position()) + " while " + size
                        + " bytes were expected (was it truncated during the scan?)");
            }
        }
        return buffer.position();
    }

    /** Whether any byte of {@code w} equals the byte repeated in {@code pattern} (SWAR zero-byte test). */
    private static boolean hasByte(long w, long pattern) {
        long x = w ^ pattern;
        return ((x - 0x0101010101010101L) & ~x & 0x8080808080808080L) != 0;
    }

    /** How many bytes of {@code w} equal the byte repeated in {@code pattern} (exact, no borrow across bytes). */
    static int countByte(long w, long pattern) {
        long x = w ^ pattern;
        long t = (x & 0x7F7F7F7F7F7F7F7FL) + 0x7F7F7F7F7F7F7F7FL;
        return Long.bitCount(~(t | x | 0x7F7F7F7F7F7F7F7FL));
    }

}
