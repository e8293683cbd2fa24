package dev.spillway.errors;


import java.nio.file.Path;

/** A spill file failed a check on read-back: bad magic, checksum mismatch, truncation. */
public final class SpillCorruptedException extends SpillException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int block;

    /**
     * Creates the exception.
     *
     * @param block the block index, or -1 when the file structure itself is damaged
     */
    public SpillCorruptedException(Path file, int block, String what) {
        super("corrupt spill file " + file + (block >= 0 ? ", block " + block : "") + ": " + what);
        this.file = file;
        this.block = block;
    }

    /** The damaged file. */
    public Path file() {
        return file;
    }

    /** The damaged block, or -1. */
    public int block() {
        return block;
    }
}
