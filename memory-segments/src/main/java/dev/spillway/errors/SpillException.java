package dev.spillway.errors;

/**
 * Spilling failed: the disk is full, a spill cap was reached, or a file could not be written or
 * read. The message names the path and, for space problems, the bytes written, requested and free.
 */
public class SpillException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public SpillException(String message) {
        super(message);
    }

    /** Creates the exception with a cause. */
    public SpillException(String message, Throwable cause) {
        super(message, cause);
    }
}
