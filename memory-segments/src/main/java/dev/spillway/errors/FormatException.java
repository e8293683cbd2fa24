package dev.spillway.errors;

import java.nio.file.Path;

/**
 * A Parquet or Arrow IPC file cannot be read or written: it is missing, corrupt, or holds a type
 * Spillway does not support. The message names the file and, where one is involved, the column.
 */
public class FormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The file involved. */
    private final transient Path file;
    /** The column involved, or null. */
    private final String column;

    /** An error about {@code file} (and {@code column}, may be null). */
    public FormatException(Path file, String column, String message, Throwable cause) {
        super(file + (column == null ? "" : ", column '" + column + "'") + ": " + message, cause);
        this.file = file;
        this.column = column;
    }

    /** An error about {@code file} (and {@code column}, may be null). */
    public FormatException(Path file, String column, String message) {
        this(file, column, message, null);
    }

    /** The file involved. */
    public Path file() {
        return file;
    }

    /** The column involved, or null. */
    public String column() {
        return column;
    }
}
