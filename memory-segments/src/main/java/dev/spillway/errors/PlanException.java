package dev.spillway.errors;

/** A query that cannot be planned: unknown column, type mismatch, invalid argument. */
public class PlanException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public PlanException(String message) {
        super(message);
    }

    /** Creates the exception with a cause. */
    public PlanException(String message, Throwable cause) {
        super(message, cause);
    }
}
