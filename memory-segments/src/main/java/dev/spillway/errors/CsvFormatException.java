package dev.spillway.errors;

import java.nio.file.Path;

/** A CSV file that cannot be read as asked; names the file, line, column and offending text. */
public final class CsvFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long line;
    private final int column;
    private final String text;

    /**
     * Creates the exception.
     *
     * @param column 1-based column number, or 0 when the problem concerns the whole line
     */
    public CsvFormatException(Path file, long line, int column, String columnName, String text, String problem) {
        super(file + ":" + line + (column > 0 ? ": column " + column + " ('" + columnName + "')" : "") + ": " + problem
                + (text == null ? "" : ": '" + abbreviate(text) + "'"));
        this.file = file;
        this.line = line;
        this.column = column;
        this.text = text;
    }

    /** An exception with a message of its own (invalid UTF-8: {@code file:line:column: ...}). */
    public CsvFormatException(String message, Path file, long line, int column, String text) {
        super(message);
        this.file = file;
        this.line = line;
        this.column = column;
        this.text = text;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** The 1-based line number. */
    public long line() {
        return line;
    }

    /** The 1-based column number, or 0. */
    public int column() {
        return column;
    }

    /** The offending text, or null. */
    public String text() {
        return text;
    }
}
