package dev.spillway.errors;

/** A value that an expression cannot process at run time, e.g. a string that does not parse as a number in a cast. */
public final class ExprEvaluationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public ExprEvaluationException(String message) {
        super(message);
    }
}
