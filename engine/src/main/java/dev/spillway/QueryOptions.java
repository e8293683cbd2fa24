package dev.spillway;

import dev.spillway.memory.Bytes;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits and settings of one query run, for {@link LazyFrame#collect(QueryOptions)},
 * {@link LazyFrame#stream(QueryOptions)} and {@link LazyFrame#submit(QueryOptions)}. Immutable;
 * unset values fall back to the engine's.
 *
 * <pre>{@code
 * QueryOptions opts = QueryOptions.builder()
 *         .name("nightly-report")
 *         .memoryQuota("64m")          // the query's operators spill against 64 MiB
 *         .spillQuota("2g")            // and may write at most 2 GiB of spill files
 *         .deadline(Duration.ofMinutes(5))
 *         .build();
 * }</pre>
 *
 * <ul>
 *   <li><b>Memory quota</b>: a cap on the query's own memory budget, below the engine's limit.
 *       The query's spillable operators spill when it is reached, exactly as they do at the
 *       engine's limit; only when nothing is left to spill does the query fail, with a
 *       {@link dev.spillway.errors.MemoryLimitExceededException} (the cause of the query's
 *       exception) naming the query's budget and the quota. At least 4 MiB, the engine's working
 *       minimum. A quota also shrinks the query's default morsels as a smaller engine limit
 *       would.</li>
 *   <li><b>Spill quota</b>: most bytes the query may have in spill files at once; a write past it
 *       fails the query with a {@link dev.spillway.errors.SpillQuotaExceededException} naming the
 *       query, the quota and the bytes asked for. The engine's spill caps still apply.</li>
 *   <li><b>Deadline</b>: how long the query may run, counted from the call that starts it
 *       (planning included); past it the query is cancelled and fails with a
 *       {@link dev.spillway.errors.QueryTimeoutException} naming the deadline and the time it
 *       ran. For a {@link ResultStream} the query runs until its last batch is handed over, so a
 *       consumer that stops pulling counts against the deadline.</li>
 *   <li><b>Name</b>: the query's name in errors, events, profiles and its spill directory
 *       (default {@code query-<n>}); a number is appended to keep names unique.</li>
 *   <li><b>Stream buffer</b>: bytes of result batches a {@link ResultStream} holds ready for
 *       its consumer before the query pauses (default: a sixteenth of the query's memory cap, at
 *       most 8 MiB; at least one batch is always accepted).</li>
 * </ul>
 */
public final class QueryOptions {
    /** Smallest memory quota: the engine's working minimum (a query's spill scratch and a few column buffers). */
    public static final long MIN_MEMORY_QUOTA = 4L << 20;
    /** Largest default stream buffer. */
    static final long MAX_DEFAULT_STREAM_BUFFER = 8L << 20;

    private static final QueryOptions DEFAULTS = new Builder().build();

    private final String name;
    private final long memoryQuotaBytes;
    private final long spillQuotaBytes;
    private final Duration deadline;
    private final long streamBufferBytes;

    private QueryOptions(Builder b) {
        this.name = b.name;
        this.memoryQuotaBytes = b.memoryQuotaBytes;
        this.spillQuotaBytes = b.spillQuotaBytes;
        this.deadline = b.deadline;
        this.streamBufferBytes = b.streamBufferBytes;
    }

    /** No quota, no deadline, generated name: what {@link LazyFrame#collect()} uses. */
    public static QueryOptions defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Options with only a deadline. */
    public static QueryOptions withDeadline(Duration deadline) {
        return builder().deadline(deadline).build();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.memoryQuotaBytes = memoryQuotaBytes;
        b.spillQuotaBytes = spillQuotaBytes;
        b.deadline = deadline;
        b.streamBufferBytes = streamBufferBytes;
        return b;
    }

    /** The name given, or null for a generated one. */
    public String name() {
        return name;
    }

    /** The memory quota in bytes, or -1 for none (the engine's limit applies). */
    public long memoryQuotaBytes() {
        return memoryQuotaBytes;
    }

    /** The spill-disk quota in bytes, or -1 for none (the engine's spill caps apply). */
    public long spillQuotaBytes() {
        return spillQuotaBytes;
    }

    /** The deadline, or null for none. */
    public Duration deadline() {
        return deadline;
    }

    /** The stream buffer in bytes, or -1 for the default. */
    public long streamBufferBytes() {
        return streamBufferBytes;
    }

    @Override
    public String toString() {
        return "QueryOptions[" + (name == null ? "" : "name=" + name + ", ")
                + "memoryQuota=" + (memoryQuotaBytes < 0 ? "none" : Bytes.format(memoryQuotaBytes))
                + ", spillQuota=" + (spillQuotaBytes < 0 ? "none" : Bytes.format(spillQuotaBytes))
                + ", deadline=" + (deadline == null ? "none" : deadline.toMillis() + " ms")
                + ", streamBuffer=" + (streamBufferBytes < 0 ? "default" : Bytes.format(streamBufferBytes)) + "]";
    }

    /** Builds {@link QueryOptions}; every setter checks its value and names what would be valid. */
    public static final class Builder {
        private String name;
        private long memoryQuotaBytes = -1;
        private long spillQuotaBytes = -1;
        private Duration deadline;
        private long streamBufferBytes = -1;

        private Builder() {
        }

        /**
         * The query's name in errors, events and profiles.
         *
         * @throws IllegalArgumentException when blank or longer than 64 characters
         */
        public Builder name(String queryName) {
            Objects.requireNonNull(queryName, "name");
            if (queryName.isBlank() || queryName.length() > 64) {
                throw new IllegalArgumentException("query name must be 1 to 64 characters and not blank, got '" + queryName + "'");
            }
            this.name = queryName;
            return this;
        }

        /**
         * Caps the query's memory at {@code bytes} (its operators spill against it).
         *
         * @throws IllegalArgumentException below {@link #MIN_MEMORY_QUOTA}
         */
        public Builder memoryQuota(long bytes) {
            if (bytes < MIN_MEMORY_QUOTA) {
                throw new IllegalArgumentException("memory quota " + Bytes.format(bytes) + " (" + bytes + " bytes) is below the"
                        + " working minimum of 4 MiB (a query needs its spill scratch and a few column buffers)");
            }
            this.memoryQuotaBytes = bytes;
            return this;
        }

        /** Like {@link #memoryQuota(long)} with a size such as {@code "64m"} or {@code "1g"}. */
        public Builder memoryQuota(String size) {
            return memoryQuota(Bytes.parse(size));
        }

        /**
         * Lets the query have at most {@code bytes} in spill files at once (0: the query may not spill).
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder spillQuota(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("spill quota must be >= 0 bytes, got " + bytes);
            }
            this.spillQuotaBytes = bytes;
            return this;
        }

        /** Like {@link #spillQuota(long)} with a size such as {@code "512m"}. */
        public Builder spillQuota(String size) {
            return spillQuota(Bytes.parse(size));
        }

        /**
         * Cancels the query when it runs longer than {@code timeout} from the call that starts it.
         *
         * @throws IllegalArgumentException when not positive
         */
        public Builder deadline(Duration timeout) {
            Objects.requireNonNull(timeout, "deadline");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("deadline must be positive, got " + timeout);
            }
            this.deadline = timeout;
            return this;
        }

        /**
         * Bytes of result batches a {@link ResultStream} holds ready before the query pauses.
         *
         * @throws IllegalArgumentException when below 1
         */
        public Builder streamBuffer(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("stream buffer must be >= 1 byte, got " + bytes);
            }
            this.streamBufferBytes = bytes;
            return this;
        }

        /** The options. */
        public QueryOptions build() {
            return new QueryOptions(this);
        }
    }
}
