package dev.spillway.errors;

/**
 * An input that a merge relies on being sorted is not: the plan assumed an order (from a
 * {@code sort}, or declared with {@code setSorted}) that the data breaks. The message names the
 * operator, the input, the key columns, the row and the two values out of order.
 */
public final class UnsortedInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long row;

    /** An error about row {@code row} (0-based, counted over the whole input). */
    public UnsortedInputException(String message, long row) {
        super(message);
        this.row = row;
    }

    /** The position of the first row found out of order, counted from 0 over the whole input. */
    public long row() {
        return row;
    }
}
