package dev.spillway.errors;

/** Thrown when a budget is closed while bytes are still reserved; the message names the holders. */
public final class MemoryLeakException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a leak report as message. */
    public MemoryLeakException(String report) {
        super(report);
    }
}
