package dev.spillway.errors;


import dev.spillway.memory.Bytes;

import java.nio.file.Path;

/**
 * A query asked to write more spill bytes than its spill-disk quota allows (a quota given to that
 * query, below the engine's spill caps). The message names the query, the quota, what the query
 * had on disk and how much more it asked for.
 */
public final class SpillQuotaExceededException extends SpillException {
    private static final long serialVersionUID = 1L;

    private final String query;
    private final long quotaBytes;
    private final long spilledBytes;
    private final long requestedBytes;

    public SpillQuotaExceededException(String query, long quotaBytes, long spilledBytes, long requestedBytes, Path file) {
        super("query '" + query + "' exceeded its spill-disk quota of " + Bytes.format(quotaBytes) + ": it has "
                + Bytes.format(spilledBytes) + " in spill files and asked for " + Bytes.format(requestedBytes)
                + " more (writing " + file + "); give it a larger spill quota or more memory");
        this.query = query;
        this.quotaBytes = quotaBytes;
        this.spilledBytes = spilledBytes;
        this.requestedBytes = requestedBytes;
    }

    /** The query's name. */
    public String query() {
        return query;
    }

    /** The quota, in bytes on disk. */
    public long quotaBytes() {
        return quotaBytes;
    }

    /** Bytes the query had in its spill files when it asked. */
    public long spilledBytes() {
        return spilledBytes;
    }

    /** Bytes the refused write asked for. */
    public long requestedBytes() {
        return requestedBytes;
    }
}
