package dev.spillway.spill;

import dev.spillway.memory.Morsel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The spill files of one {@link RowStore}: one file is written at a time, rolled past a size;
 * each file counts the units with blocks in it and is deleted when the last of them is dropped.
 *
 * <p>{@link #lock} serialises appends (one file at a time) and guards the file list and every
 * unit's {@code files}. It is taken after a unit's lock, never before; the memory manager's
 * thread only try-locks it.
 */
final class StoreFiles {
    final ReentrantLock lock = new ReentrantLock();
    private final SpillDirectory dir;
    private final String label;
    private final long rollBytes;
    private final StoreStats stats;
    private final List<StoreFile> files = new ArrayList<>();
    private StoreFile current;

    StoreFiles(SpillDirectory dir, String label, long rollBytes, StoreStats stats) {
        this.dir = dir;
        this.label = label;
        this.rollBytes = rollBytes;
        this.stats = stats;
    }

    /**
     * Appends {@code out} as blocks tagged with the unit's number (unit lock and {@link #lock}
     * held; the caller still owns the morsels).
     *
     * @return the file the last block went to
     */
    StoreFile write(StoreUnit u, List<Morsel> out) {
        StoreFile f = null;
        for (Morsel m : out) {
            f = fileFor(u);
            int index = f.writer.blockCount();
            long before = f.writer.bytesWritten();
            f.writer.append(m, u.id);
            u.diskBytes += f.writer.bytesWritten() - before;
            u.blocks.add(new StoreUnit.BlockRef(f, index, m.rowCount()));
            u.spilledRows += m.rowCount();
            u.spilledBytes += m.byteSize();
            stats.blockWritten();
        }
        return f;
    }

    private StoreFile fileFor(StoreUnit u) {
        if (current != null && current.writer.bytesWritten() >= rollBytes) {
            current = null;
        }
        if (current == null) {
            current = new StoreFile(dir.newWriter(label));
            files.add(current);
            stats.fileCreated();
        }
        if (!u.files.contains(current)) {
            u.files.add(current);
            current.refs++;
        }
        return current;
    }

    /** Drops the unit's references; deletes the files no unit has blocks in any more. */
    void drop(StoreUnit u) {
        lock.lock();
        try {
            for (StoreFile f : u.files) {
                if (--f.refs == 0) {
                    delete(f);
                }
            }
            u.files.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops the unit's reference to one file whose blocks of this unit were all consumed (unit
     * lock held); deletes the file when no other unit has blocks in it. A later block of the unit
     * written to the same file takes a new reference. No-op when the unit holds none.
     */
    void drop(StoreUnit u, StoreFile f) {
        lock.lock();
        try {
            if (u.files.remove(f) && --f.refs == 0) {
                delete(f);
            }
        } finally {
            lock.unlock();
        }
    }

    private void delete(StoreFile f) {
        files.remove(f);
        if (f == current) {
            current = null;
        }
        f.delete();
        stats.fileDeleted();
    }

    /** Files held now. */
    int count() {
        lock.lock();
        try {
            return files.size();
        } finally {
            lock.unlock();
        }
    }

    /** Deletes every file. */
    void deleteAll() {
        lock.lock();
        try {
            for (StoreFile f : List.copyOf(files)) {
                delete(f);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The path of a file, for events. */
    static Path pathOf(StoreFile f) {
        return f == null ? null : f.path();
    }
}
