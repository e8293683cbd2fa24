package dev.spillway.sql;

/**
 * A statement that cannot be parsed, bound or planned: a syntax error (with the line, column and
 * token where parsing stopped), an unknown table or column (with the nearest names), a type
 * mismatch (with both types) or a construct the front end does not support.
 */
public class SqlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;

    /** An error without a position. */
    public SqlException(String message) {
        this(message, -1, -1, null);
    }

    /** An error without a position, caused by {@code cause}. */
    public SqlException(String message, Throwable cause) {
        this(message, -1, -1, cause);
    }

    /**
     * An error at a position of the statement text.
     *
     * @param line   1-based line, or -1
     * @param column 1-based column, or -1
     */
    public SqlException(String message, int line, int column, Throwable cause) {
        super(message, cause);
        this.line = line;
        this.column = column;
    }

    /** The 1-based line of a syntax error, or -1. */
    public int line() {
        return line;
    }

    /** The 1-based column of a syntax error, or -1. */
    public int column() {
        return column;
    }
}
