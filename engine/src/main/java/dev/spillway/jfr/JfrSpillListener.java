package dev.spillway.jfr;

import dev.spillway.spill.SpillListener;

import java.nio.file.Path;

/** Turns spill block writes and reads into {@link SpillWriteEvent}s and {@link SpillReadEvent}s. */
public final class JfrSpillListener implements SpillListener {
    @Override
    public void blockWritten(Path file, int partition, int rows, long rawBytes, long storedBytes, long nanos) {
        SpillWriteEvent e = new SpillWriteEvent();
        if (e.shouldCommit()) {
            e.file = file.toString();
            e.partition = partition;
            e.rows = rows;
            e.rawBytes = rawBytes;
            e.storedBytes = storedBytes;
            e.writeNanos = nanos;
            e.commit();
        }
    }

    @Override
    public void blockRead(Path file, int partition, int rows, long storedBytes, long rawBytes, long nanos) {
        SpillReadEvent e = new SpillReadEvent();
        if (e.shouldCommit()) {
            e.file = file.toString();
            e.partition = partition;
            e.rows = rows;
            e.storedBytes = storedBytes;
            e.rawBytes = rawBytes;
            e.readNanos = nanos;
            e.commit();
        }
    }
}
