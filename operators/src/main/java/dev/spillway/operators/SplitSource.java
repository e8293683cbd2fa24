package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The source of a file scan (CSV, Parquet, Arrow IPC): workers claim the scan's splits in order
 * (byte ranges, row groups, record batches) and read them in parallel; split {@code i} becomes the
 * morsel of sequence {@code i}. Closing the source closes the scan.
 */
public final class SplitSource implements Source {
    private final String name;
    private final int splits;
    private final IntFunction<Morsel> read;
    private final Runnable close;
    private final AtomicInteger next = new AtomicInteger();

    /**
     * @param name   e.g. {@code scan csv orders.csv}
     * @param splits how many splits the scan has
     * @param read   reads split {@code i} as a morsel of sequence {@code i}
     * @param close  closes the scan
     */
    public SplitSource(String name, int splits, IntFunction<Morsel> read, Runnable close) {
        this.name = name;
        this.splits = splits;
        this.read = read;
        this.close = close;
    }

    /** {@code "scan <format> <file name>"}, or {@code "... N files"}. */
    public static String scanName(String format, List<Path> files) {
        return "scan " + format + " " + (files.size() == 1 ? files.get(0).getFileName() : files.size() + " files");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Morsel next(TaskContext ctx) {
        int i = next.getAndIncrement();
        return i < splits ? read.apply(i) : null;
    }

    @Override
    public void close() {
        close.run();
    }
}
