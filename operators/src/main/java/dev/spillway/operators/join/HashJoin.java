package dev.spillway.operators.join;

import dev.spillway.options.JoinType;

import dev.spillway.event.ProbeStarted;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.PartitionedStore;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A partitioned, spillable hash join: the coordinator of its phases, shared by its build sink
 * and probe source, and the {@link Spillable} the memory manager asks for memory.
 *
 * <pre>
 *   BUILDING  -- finishBuild -->  PROBING  -- finishProbe -->  FINALIZING  -- close -->  CLOSED
 *   JoinBuild                     JoinProbe                    FinalizeQueue of
 *   (build store)                 (tables, probe store)        UnmatchedBuild and SpilledPairJoin units
 * </pre>
 *
 * <p><b>Build</b> ({@link JoinBuild}): rows go into a store of 256 hash partitions; the memory
 * manager evicts the largest; at the end the partitions left in memory become hash tables.
 * <b>Probe</b> ({@link JoinProbe}): probe rows of in-memory partitions are probed at once
 * ({@link ProbeCursor}); probe rows of spilled partitions go into a probe store.
 * <b>Finalize</b>: the unmatched build rows of each in-memory partition (RIGHT, FULL;
 * {@link UnmatchedBuild}) and each spilled partition pair ({@link SpilledPairJoin}, re-partitioned
 * or joined in chunks by a {@link SkewChunkJoin} when too large) are units of a
 * {@link FinalizeQueue} that every puller of the probe source works on, one unit per worker at a
 * time, each within its share of the memory.
 */
public final class HashJoin implements Spillable, AutoCloseable {
    /** The component name in the join's events. */
    static final String COMPONENT = "equi-join";
    /** Default most result rows produced per step (a morsel's worth). */
    static final int OUTPUT_ROWS = JoinSpec.OUTPUT_ROWS;

    /** Phases of the join. */
    enum State {
        /** Consuming the build input; build partitions may spill. */
        BUILDING,
        /** Probing in-memory partitions and keeping probe rows of spilled ones. */
        PROBING,
        /** The finalize units are being worked on. */
        FINALIZING,
        /** Everything freed. */
        CLOSED
    }

    private final JoinSpec spec;
    private final ProbeScratch.FreeList scratches;
    private OperatorContext ctx;
    private volatile JoinBuild build;
    private volatile JoinTables tables;
    private volatile JoinProbe probe;
    private volatile FinalizeContext finalizeContext;
    private volatile FinalizeQueue finalizeQueue;
    private volatile State state = State.BUILDING;
    private int forcedSplits;
    private long reloadLimit;

    /**
     * Creates the join.
     *
     * @param ctx the join's context: its {@link OperatorContext#budget() budget} (build rows, tables) is its own
     *            and the join closes it; result morsels are charged to the output budget; events are
     *            {@code equi-join} events; at most {@value #OUTPUT_ROWS} rows per result morsel; its
     *            forced-spill fraction is the share of partitions spilled at the end of the build and
     *            of the probe
     * @throws IllegalArgumentException when the keys are missing, uneven or of different types
     */
    public HashJoin(Schema probeSchema, Schema buildSchema, int[] probeKeys, int[] buildKeys, JoinType type, boolean nullsEqual,
            OperatorContext ctx) {
        this.spec = new JoinSpec(probeSchema, buildSchema, probeKeys, buildKeys, type, nullsEqual, ctx);
        this.ctx = ctx;
        this.scratches = new ProbeScratch.FreeList(spec);
    }

    /**
     * Spills this fraction (0 to 1) of the partitions at the end of the build whatever the memory,
     * to exercise the out-of-core path: partitions {@code 0 .. fraction * 256}.
     *
     * @throws IllegalStateException once build rows were added
     */
    public synchronized void forceSpill(double fraction) {
        if (build != null) {
            throw new IllegalStateException("set the forced spill before the build starts");
        }
        ctx = ctx.withForceSpill(fraction);
    }

    /**
     * Re-partitions the first {@code partitions} spilled partitions whatever their size, and the
     * largest sub-partition of each again, a few levels deep, to exercise the recursive path on small data.
     */
    public void forceRepartition(int partitions) {
        this.forcedSplits = partitions;
    }

    /**
     * Caps how many bytes of a spilled partition's build side are loaded at once (0: from the free
     * memory). Larger partitions are re-partitioned, or joined in chunks of this size.
     */
    public void reloadLimit(long bytes) {
        this.reloadLimit = bytes;
    }

    /** The schema of the result. */
    public Schema outputSchema() {
        return spec.output();
    }

    /** The join type. */
    public JoinType type() {
        return spec.type();
    }

    /** How many partitions are spilled now. */
    public int spilledPartitions() {
        JoinTables t = tables;
        if (t != null) {
            return t.spilledCount();
        }
        JoinBuild b = build;
        int n = 0;
        for (int p = 0; b != null && p < JoinTables.PARTITIONS; p++) {
            n += b.store().spilled(p) ? 1 : 0;
        }
        return n;
    }

    private JoinBuild build() {
        JoinBuild b = build;
        if (b == null) {
            synchronized (this) {
                if (state != State.BUILDING) {
                    throw new IllegalStateException("the join's build input was finished");
                }
                b = build;
                if (b == null) {
                    b = new JoinBuild(spec, ctx);
                    build = b;
                }
            }
        }
        return b;
    }

    /** Adds a build morsel (taking ownership). Thread-safe. */
    public void addBuild(Morsel m) {
        JoinBuild b;
        try {
            b = build();
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        b.add(m);
    }

    /**
     * Ends the build (BUILDING -> PROBING): spills partitions until the rest fits in half of the
     * query's memory, then builds the hash tables of the partitions in memory.
     */
    public void finishBuild() {
        JoinTables t = build().finish(ctx.events());
        tables = t;
        probe = new JoinProbe(spec, ctx, t, scratches);
        state = State.PROBING;
        ctx.events().accept(new ProbeStarted(COMPONENT, spec.type().toString(), JoinTables.PARTITIONS - t.spilledCount()));
    }

    /**
     * Starts probing a morsel (taking ownership): rows of spilled partitions are kept for later;
     * the returned cursor produces the result rows of the others in bounded morsels. Thread-safe;
     * each cursor is used by one thread at a time.
     */
    public ProbeCursor startProbe(Morsel m) {
        JoinProbe p = probe;
        if (p == null || state != State.PROBING) {
            m.close();
            throw new IllegalStateException("the join is not probing (state " + state + ")");
        }
        return p.start(m);
    }

    /**
     * Ends the probe (PROBING -> FINALIZING): call once, when no probe cursor exists and none can
     * be made. Returns the queue of what is left to emit — unmatched build rows of in-memory
     * partitions, then the spilled partition pairs — which any number of pullers drain.
     *
     * @param workers  units started at once (each loads within that share of the memory)
     * @param sequence where output sequence numbers come from
     */
    public synchronized FinalizeQueue finishProbe(int workers, AtomicLong sequence) {
        if (state != State.PROBING) {
            throw new IllegalStateException("the join is not probing (state " + state + ")");
        }
        JoinProbe p = probe;
        p.finish();
        FinalizeContext env = new FinalizeContext(spec, ctx, scratches, workers, forcedSplits, reloadLimit, this);
        FinalizeQueue queue = new FinalizeQueue(workers, sequence);
        finalizeContext = env;
        finalizeQueue = queue;
        state = State.FINALIZING;
        JoinTables t = tables;
        for (int part = 0; part < JoinTables.PARTITIONS; part++) {
            BuildTable table = t.table(part);
            if (table != null && table.matched() != null) {
                queue.add(new UnmatchedBuild(spec, t, part));
            } else {
                t.free(part);
            }
        }
        PartitionedStore buildStore = build.store();
        PartitionedStore probeStore = p.store();
        PairStores root = PairStores.root(buildStore, probeStore);
        for (int part = 0; part < JoinTables.PARTITIONS; part++) {
            if (!t.spilled(part)) {
                continue;
            }
            boolean hasBuild = buildStore.rows(part) > 0;
            boolean hasProbe = probeStore.rows(part) > 0;
            if ((hasBuild && (hasProbe || spec.type().keepsUnmatchedRight())) || (hasProbe && spec.keepsProbeOnlyRows())) {
                queue.add(new SpilledPairJoin(env, root, part, Integer.toString(part), 0, env.forcedSplit(part), false));
            } else {
                root.done(part);
            }
        }
        return queue;
    }

    /**
     * The next result morsel after the probe input ended, for a single caller: ends the probe on
     * the first call (with one worker, numbering from {@code sequence}). Null when everything was
     * emitted. Not thread-safe; pipelines use {@link #finishProbe} through the probe source.
     */
    public Morsel nextAfterProbe(long sequence) {
        FinalizeQueue q = finalizeQueue;
        if (q == null) {
            q = finishProbe(1, new AtomicLong(sequence));
        }
        return q.next();
    }

    @Override
    public String name() {
        return "equi-join build";
    }

    @Override
    public long spillableBytes() {
        return switch (state) {
            case BUILDING -> {
                JoinBuild b = build;
                yield b == null ? 0 : b.spillableBytes();
            }
            case PROBING -> probe.spillableBytes();
            case FINALIZING -> probe.spillableBytes() + finalizeContext.spillableBytes();
            case CLOSED -> 0;
        };
    }

    /**
     * Evicts the largest build partitions while building; while probing, probe rows of spilled
     * partitions instead (in-memory partitions are being probed and must stay); while finalizing,
     * probe rows of pairs not started yet and partitions of re-partitioned pairs' stores.
     */
    @Override
    public long spill(long bytesWanted) {
        return switch (state) {
            case BUILDING -> {
                JoinBuild b = build;
                yield b == null ? 0 : b.spill(bytesWanted);
            }
            case PROBING -> probe.spill(bytesWanted);
            case FINALIZING -> {
                long freed = probe.spill(bytesWanted);
                yield freed >= bytesWanted ? freed : freed + finalizeContext.spill(bytesWanted - freed);
            }
            case CLOSED -> 0;
        };
    }

    /** Frees all memory and deletes the spill files; closes the join's budget. Idempotent. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        Throwable failure = null;
        for (AutoCloseable c : new AutoCloseable[] {finalizeQueue, tables, probe, build}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        ctx.budget().close();
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }
}
