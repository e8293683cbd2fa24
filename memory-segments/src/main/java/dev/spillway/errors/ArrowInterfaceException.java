package dev.spillway.errors;

/**
 * An Arrow C data interface exchange failed: the other side handed over a type Spillway cannot
 * hold, a malformed struct, or reported an error itself. The message says which column or call
 * and what would be valid.
 */
public class ArrowInterfaceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error with {@code message}. */
    public ArrowInterfaceException(String message) {
        super(message);
    }

    /** An error with {@code message} caused by {@code cause}. */
    public ArrowInterfaceException(String message, Throwable cause) {
        super(message, cause);
    }
}
