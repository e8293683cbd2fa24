package dev.spillway.operators.join;

import dev.spillway.event.PartitionReloaded;
import dev.spillway.event.PartitionRepartitioned;
import dev.spillway.event.SkewDetected;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.PartitionedStore;
import dev.spillway.spill.Repartition;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The finalize unit of one spilled partition pair: the build rows and the probe rows of one
 * partition (or sub-partition) of the join's stores.
 *
 * <pre>
 *            +--> SPLIT: re-partition both sides on the next 4 hash bits, queue the sub-pairs first; done
 *   PENDING -+--> PROBING: build side read back into one table, probe rows streamed through it
 *            |        --> UNMATCHED: build rows no probe row matched (RIGHT, FULL) --> DONE
 *            +--> CHUNKED: too large and not splittable (one key dominates, or the deepest level):
 *                     joined in build chunks by a {@link SkewChunkJoin} --> DONE
 * </pre>
 *
 * The decision is made when a puller starts the unit, against the unit's memory share at that
 * moment ({@link FinalizeContext#chunkLimit}).
 */
final class SpilledPairJoin implements FinalizeQueue.Unit {
    /** Hash bits each re-partitioning of a spilled partition uses. */
    static final int SUB_BITS = 4;
    /** Deepest re-partitioning (8 + 5 * 4 = 28 hash bits); past it a partition is joined in chunks. */
    static final int MAX_LEVEL = 5;
    /** How deep forced re-partitioning goes. */
    static final int FORCED_DEPTH = 3;

    /** States of the pair. */
    enum State {
        /** Not started: nothing loaded. */
        PENDING,
        /** Probe rows stream through the build side's table. */
        PROBING,
        /** Emitting the build rows no probe row matched. */
        UNMATCHED,
        /** Joined in build chunks. */
        CHUNKED,
        /** Finished (or split into sub-pairs). */
        DONE
    }

    private final FinalizeContext env;
    private final JoinSpec spec;
    private final PairStores stores;
    private final int unit;
    private final String label;
    private final int level;
    private final boolean forced;
    private final boolean skewed;
    private final TableSteps steps;
    private State state = State.PENDING;
    private BuildTable table;
    private List<Morsel> probeInMemory = List.of();
    private int probeTaken;
    private Iterator<Morsel> probeOnDisk;
    private SkewChunkJoin chunked;
    private boolean closed;

    /**
     * @param unit   the partition number in both stores
     * @param label  the partition path in events, e.g. {@code 17} or {@code 17.3.0}
     * @param level  0 for the 256 partitions; each re-partitioning adds one
     * @param forced re-partition it whatever its size (testing the recursion)
     * @param skewed re-partitioning could not shrink its parent (one dominant key): never split it
     */
    SpilledPairJoin(FinalizeContext env, PairStores stores, int unit, String label, int level, boolean forced, boolean skewed) {
        this.env = env;
        this.spec = env.spec();
        this.stores = stores;
        this.unit = unit;
        this.label = label;
        this.level = level;
        this.forced = forced;
        this.skewed = skewed;
        this.steps = new TableSteps(spec);
    }

    State state() {
        return state;
    }

    @Override
    public Morsel next(long sequence, FinalizeQueue queue) {
        while (true) {
            switch (state) {
                case PENDING -> start(queue);
                case PROBING -> {
                    if (!steps.probing() && !nextCursor()) {
                        state = table.matched() != null ? State.UNMATCHED : State.DONE;
                        continue;
                    }
                    return steps.probeStep(sequence);
                }
                case UNMATCHED -> {
                    Morsel m = steps.unmatchedStep(table, sequence);
                    if (m != null) {
                        return m;
                    }
                    state = State.DONE;
                }
                case CHUNKED -> {
                    Morsel m = chunked.next(sequence);
                    if (m != null) {
                        return m;
                    }
                    state = State.DONE;
                }
                case DONE -> {
                    return null;
                }
            }
        }
    }

    /** Bytes the build side needs in memory: its rows and their hash table. */
    private long buildNeeds(long buildRows) {
        PartitionedStore b = stores.build();
        return b.spilledBytes(unit) + b.bytes(unit) + JoinHashTable.estimate(buildRows);
    }

    /** Bytes of the probe side in the spill file, for the events. */
    private long probeDiskBytes() {
        PartitionedStore p = stores.probe();
        return p == null ? 0 : p.diskBytes(unit);
    }

    /** PENDING -> SPLIT (DONE), PROBING or CHUNKED. */
    private void start(FinalizeQueue queue) {
        long buildRows = stores.build().rows(unit);
        long limit = env.chunkLimit();
        long needs = buildNeeds(buildRows);
        boolean fits = needs <= limit;
        if (!skewed && buildRows >= 2 && (forced || !fits)) {
            if (forced || level < MAX_LEVEL) {
                split(queue, buildRows);
                state = State.DONE;
                return;
            }
            env.events().accept(SkewDetected.maxDepth(HashJoin.COMPONENT, label, buildRows, level));
        }
        env.events().accept(new PartitionReloaded(HashJoin.COMPONENT, label, stores.build().diskBytes(unit), probeDiskBytes(),
                buildRows));
        if (!fits) {
            chunked = new SkewChunkJoin(env, stores, unit, label, skewed, limit);
            state = State.CHUNKED;
            return;
        }
        OperatorContext ctx = env.ctx();
        List<Morsel> rows = readAll(stores.build());
        table = new BuildTable(spec, rows, ctx.pool(), ctx.budget());
        if (stores.probe() != null) {
            probeInMemory = stores.probe().take(unit);
            probeOnDisk = stores.probe().readSpilled(unit, ctx.budget());
        }
        state = State.PROBING;
    }

    /** Every row of the unit in {@code store}: the in-memory ones taken, the spilled ones read back. */
    private List<Morsel> readAll(PartitionedStore store) {
        List<Morsel> rows = new ArrayList<>(store.take(unit));
        try {
            for (Iterator<Morsel> it = store.readSpilled(unit, env.ctx().budget()); it.hasNext(); ) {
                rows.add(it.next());
            }
        } catch (RuntimeException | Error e) {
            rows.forEach(Morsel::close);
            throw e;
        }
        return rows;
    }

    /** Starts a cursor over the next probe morsel; false when every probe row was probed. */
    private boolean nextCursor() {
        Morsel m;
        if (probeTaken < probeInMemory.size()) {
            m = probeInMemory.get(probeTaken);
            probeInMemory.set(probeTaken++, null);
        } else if (probeOnDisk != null && probeOnDisk.hasNext()) {
            m = probeOnDisk.next();
        } else {
            return false;
        }
        steps.probe(cursorOver(env, m, table, true, null, 0));
        return true;
    }

    /** A cursor probing {@code m} (taken over) against one table. */
    static ProbeCursor cursorOver(FinalizeContext env, Morsel m, BuildTable table, boolean emitLeftRows,
            MemorySegment probeMatched, long probeBase) {
        NativeBuffer hb = null;
        try {
            hb = env.ctx().pool().allocate(env.ctx().budget(), Math.max(8, 8L * m.rowCount()));
            env.spec().keys().hash(m, env.spec().keys().probeKeys(), hb.segment());
            return new ProbeCursor(env.spec(), env.scratches(), m, hb, null, table, emitLeftRows, probeMatched, probeBase, null);
        } catch (RuntimeException | Error e) {
            if (hb != null) {
                hb.close();
            }
            m.close();
            throw e;
        }
    }

    /**
     * Re-partitions both sides on the next {@value #SUB_BITS} hash bits into child stores and
     * queues the sub-pairs that can produce output, ahead of the other pending units. A
     * sub-partition holding almost all build rows is dominated by one key: it is marked skewed.
     */
    private void split(FinalizeQueue queue, long buildRows) {
        int next = level + 1;
        env.events().accept(new PartitionRepartitioned(HashJoin.COMPONENT, label, next, stores.build().diskBytes(unit),
                probeDiskBytes(), buildRows, 1 << SUB_BITS));
        Repartition build = stores.build().repartition(unit, SUB_BITS);
        Repartition probe;
        try {
            probe = stores.probeRows(unit) > 0 ? stores.probe().repartition(unit, SUB_BITS) : null;
        } catch (RuntimeException | Error e) {
            build.store().close();
            throw e;
        }
        boolean skew = build.skewed();
        int largest = build.largest();
        List<Integer> useful = new ArrayList<>();
        for (int s = 0; s < build.rows().length; s++) {
            boolean hasBuild = build.rows()[s] > 0;
            boolean hasProbe = probe != null && probe.rows()[s] > 0;
            if ((hasBuild && (hasProbe || spec.type().keepsUnmatchedRight())) || (hasProbe && spec.keepsProbeOnlyRows())) {
                useful.add(s);
            } else {
                build.store().release(s);
                if (probe != null) {
                    probe.store().release(s);
                }
            }
        }
        PairStores children = PairStores.children(build.store(), probe == null ? null : probe.store(), useful.size(), env);
        for (int i = useful.size() - 1; i >= 0; i--) {
            int s = useful.get(i);
            boolean subSkewed = skew && s == largest;
            String subLabel = label + "." + s;
            if (subSkewed) {
                env.events().accept(SkewDetected.dominantKey(HashJoin.COMPONENT, subLabel, build.rows()[s], buildRows));
            }
            queue.addFirst(new SpilledPairJoin(env, children, s, subLabel, next, forced && s == largest && next < FORCED_DEPTH,
                    subSkewed));
        }
    }

    /** Frees what the pair holds and releases its partitions. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        state = State.DONE;
        try {
            steps.close();
            for (Morsel m : probeInMemory) {
                if (m != null) {
                    m.close();
                }
            }
            if (table != null) {
                table.close();
            }
            if (chunked != null) {
                chunked.close();
            }
        } finally {
            stores.done(unit);
        }
    }
}
