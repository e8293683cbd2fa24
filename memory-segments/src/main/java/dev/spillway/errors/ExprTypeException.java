package dev.spillway.errors;

/** An expression whose operand types do not fit its operator; the message names both. */
public final class ExprTypeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public ExprTypeException(String message) {
        super(message);
    }
}
