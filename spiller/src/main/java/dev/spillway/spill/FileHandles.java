package dev.spillway.spill;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The process-wide cap on open spill files: writers {@link #pin} their channel for each write
 * and {@link #unpin} it after; when the cap is reached the least recently used unpinned channel is
 * closed, and reopened when its writer writes again. Writers use positional writes, so a reopened
 * channel needs no seek. A writer that needs a channel while every open one is pinned waits.
 */
final class FileHandles {
    private final int max;
    private final LinkedHashMap<SpillWriter, Entry> open = new LinkedHashMap<>(16, 0.75f, true);
    private int peakOpen;

    private static final class Entry {
        final FileChannel channel;
        int pins;

        Entry(FileChannel channel) {
            this.channel = channel;
        }
    }

    FileHandles(int max) {
        this.max = max;
    }

    synchronized FileChannel pin(SpillWriter writer) throws IOException {
        Entry e = open.get(writer);
        if (e == null) {
            while (open.size() >= max && !evictOne()) {
                try {
                    wait();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for a spill file handle", ie);
                }
            }
            e = new Entry(FileChannel.open(writer.path(), StandardOpenOption.WRITE));
            open.put(writer, e);
            peakOpen = Math.max(peakOpen, open.size());
        }
        e.pins++;
        return e.channel;
    }

    synchronized void unpin(SpillWriter writer) {
        Entry e = open.get(writer);
        if (e != null) {
            e.pins--;
            notifyAll();
        }
    }

    /** Closes the writer's channel if open (it must not be pinned). */
    synchronized void release(SpillWriter writer) throws IOException {
        Entry e = open.remove(writer);
        if (e != null) {
            e.channel.close();
            notifyAll();
        }
    }

    private boolean evictOne() throws IOException {
        Iterator<Map.Entry<SpillWriter, Entry>> it = open.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<SpillWriter, Entry> victim = it.next();
            if (victim.getValue().pins == 0) {
                it.remove();
                victim.getValue().channel.close();
                return true;
            }
        }
        return false;
    }

    synchronized int openCount() {
        return open.size();
    }

    synchronized int peakOpen() {
        return peakOpen;
    }
}
