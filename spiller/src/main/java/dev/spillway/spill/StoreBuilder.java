package dev.spillway.spill;

import dev.spillway.event.EventSink;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/** Settings of a {@link RowStore}; ends with {@link #partitioned} or {@link #streams}. */
public final class StoreBuilder {
    final String component;
    final Schema schema;
    final BlockPool pool;
    final MemoryBudget budget;
    final SpillDirectory dir;
    EventSink events = EventSink.NONE;
    long sealBytes;
    double forceSpill;
    long rollBytes = RowStore.DEFAULT_ROLL_BYTES;
    Consumer<Eviction> onEvict = e -> { };
    Consumer<List<Eviction>> onSpill = r -> { };
    boolean forceSpillAtEnd;
    boolean writeThrough = true;

    StoreBuilder(String component, Schema schema, BlockPool pool, MemoryBudget budget, SpillDirectory dir) {
        this.component = component;
        this.schema = schema;
        this.pool = pool;
        this.budget = budget;
        this.dir = dir;
    }

    /** Where {@link PartitionEvicted} events go (default: nowhere). */
    public StoreBuilder events(EventSink sink) {
        this.events = sink;
        return this;
    }

    /**
     * Called on the evicting thread, with the unit's lock held, after each eviction that wrote
     * something (not for write-through): where an owner emits its own event and counts its stats.
     * It must not call back into the store's units.
     */
    public StoreBuilder onEvict(Consumer<Eviction> listener) {
        this.onEvict = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Called once per eviction request — a memory manager's {@link RowStore#spill}, an owner's
     * {@link RowStore#evict(int)} or {@link RowStore#evictLargest()}, a forced spill at
     * {@link PartitionedStore#finishInput} or {@link StreamStore#finishInput} — with every
     * eviction it made (never empty), on the evicting thread, after the units' locks were
     * released: where an owner reports one event per request rather than one per unit.
     */
    public StoreBuilder onSpill(Consumer<List<Eviction>> listener) {
        this.onSpill = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Applies the forced-spill fraction of a {@link StreamStore} when its input ends
     * ({@link StreamStore#finishInput}: the selected streams are evicted) instead of at each
     * stream's creation (written to disk from the start): for owners whose streams are read back
     * as a whole later, e.g. the blocks of a nested-loop join's build side.
     */
    public StoreBuilder forceSpillAtEnd() {
        this.forceSpillAtEnd = true;
        return this;
    }

    /**
     * Keeps the later morsels of an evicted stream in memory instead of writing them through:
     * for owners whose streams fill and drain at once (e.g. a multiplexer's backlogs), where a
     * stream evicted once should not pay disk for everything after. The order holds because an
     * eviction writes all of a stream's in-memory morsels after its blocks. Streams only (a hash
     * partition's open chunk would mix); {@link #partitioned} rejects it.
     */
    public StoreBuilder keepAddingInMemory() {
        this.writeThrough = false;
        return this;
    }

    /**
     * The share f in [0, 1] of units spilled whatever the memory: hash partitions
     * {@code 0 .. round(f * N) - 1} at {@link PartitionedStore#finishInput}, and stream k from its
     * creation (or at {@link StreamStore#finishInput}, see {@link #forceSpillAtEnd}) when
     * {@code floor((k + 1) f) > floor(k f)}.
     */
    public StoreBuilder forceSpill(double fraction) {
        this.forceSpill = checkFraction(fraction);
        return this;
    }

    static double checkFraction(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("forced spill fraction must be in [0, 1], got " + fraction);
        }
        return fraction;
    }

    /** Overrides the seal size (default {@link RowStore#sealBytes(long)} of the budget's effective cap). */
    public StoreBuilder sealBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("seal size must be positive, got " + bytes);
        }
        this.sealBytes = bytes;
        return this;
    }

    /** The file size past which the store starts a new file (default {@link RowStore#DEFAULT_ROLL_BYTES}). */
    public StoreBuilder rollBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("roll size must be positive, got " + bytes);
        }
        this.rollBytes = bytes;
        return this;
    }

    /**
     * A store of 2<sup>bits</sup> hash partitions on the {@code bits} hash bits after the top
     * {@code shift} (shift 0 and 8 bits is {@code Hashing.partition}). {@code hasher} may be null
     * when the caller always passes hashes; re-partitioning then is unavailable.
     */
    public PartitionedStore partitioned(int bits, int shift, RowHasher hasher) {
        if (bits < 1 || bits > 16 || shift < 0 || shift + bits > 64) {
            throw new IllegalArgumentException("invalid partition bits: shift " + shift + ", bits " + bits);
        }
        if (!writeThrough) {
            throw new IllegalStateException(component + ": keepAddingInMemory is for streams; partitions write through");
        }
        return new PartitionedStore(this, bits, shift, hasher, new StoreStats(), false);
    }

    /** A store of ordered streams, created by {@link StreamStore#newStream}. */
    public StreamStore streams() {
        return new StreamStore(this);
    }
}
