package dev.spillway.errors;


/**
 * A reservation could not be met even after every registered consumer spilled what it could.
 * The message names the budget that asked, the cap that refused, and the biggest consumers.
 */
public final class MemoryLimitExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requestedBytes;
    private final long capBytes;

    /**
     * @param message        what asked, what refused and who holds the memory
     * @param requestedBytes bytes the failed reservation asked for
     * @param capBytes       the cap that refused
     */
    public MemoryLimitExceededException(String message, long requestedBytes, long capBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
        this.capBytes = capBytes;
    }

    /** Bytes the failed reservation asked for. */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** The cap that refused. */
    public long capBytes() {
        return capBytes;
    }
}
