package dev.spillway.operators.join;

import dev.spillway.event.SkewDetected;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.PartitionedStore;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Joins a spilled pair whose build side does not fit in its memory share and cannot be split
 * (one key dominates it, or it is at the deepest re-partitioning level): the build side is read
 * back in chunks that fit, and the whole probe side is streamed against each chunk. A bitmap of
 * matched probe rows, kept across chunks, keeps LEFT, FULL, SEMI and ANTI exact: their probe-only
 * rows are emitted in a final pass. Per-chunk build match flags keep RIGHT and FULL exact. One
 * output morsel per step, so memory stays bounded.
 *
 * <p>States: LOAD (read the next build chunk, build its table) -> PROBE (stream every probe row
 * through it) -> UNMATCHED (its build rows no probe row matched) -> LOAD ...; when no build chunk
 * is left: FINAL (the probe rows the bitmap says to emit) -> DONE.
 */
final class SkewChunkJoin implements AutoCloseable {
    /** States of the chunked join. */
    enum State {
        /** Reading the next build chunk. */
        LOAD,
        /** Streaming the probe rows through the chunk's table. */
        PROBE,
        /** Emitting the chunk's build rows no probe row matched. */
        UNMATCHED,
        /** Emitting probe-only rows by the bitmap. */
        FINAL,
        /** Finished. */
        DONE
    }

    private final FinalizeContext env;
    private final JoinSpec spec;
    private final OperatorContext ctx;
    private final PartitionedStore probeStore;
    private final int unit;
    private final String label;
    private final boolean skewed;
    private final long chunkLimit;
    private final Iterator<Morsel> build;
    /** One bit per probe row (native, charged to the join), or null when the join type needs none. */
    private final NativeBuffer probeMatched;
    private final MemorySegment probeMatchedSeg;
    private final TableSteps steps;
    private State state = State.LOAD;
    private BuildTable table;
    private Iterator<Morsel> probe;
    private long probeBase;
    private int chunks;
    private boolean closed;

    /**
     * Joins partition {@code unit} of {@code stores} in build chunks of at most {@code chunkLimit}
     * bytes (rows plus table). Both sides are evicted to disk first: the probe side is read once
     * per chunk.
     */
    SkewChunkJoin(FinalizeContext env, PairStores stores, int unit, String label, boolean skewed, long chunkLimit) {
        this.env = env;
        this.spec = env.spec();
        this.ctx = env.ctx();
        this.probeStore = stores.probe();
        this.unit = unit;
        this.label = label;
        this.skewed = skewed;
        this.chunkLimit = chunkLimit;
        stores.build().evict(unit);
        long probeRows = 0;
        if (probeStore != null) {
            probeStore.evict(unit);
            probeRows = probeStore.spilledRows(unit);
        }
        boolean needsBitmap = spec.type().keepsUnmatchedLeft() || spec.type().leftColumnsOnly();
        this.probeMatched = needsBitmap ? ctx.pool().allocateZeroed(ctx.budget(), Math.max(1, (probeRows + 7) >>> 3)) : null;
        this.probeMatchedSeg = needsBitmap ? probeMatched.segment() : null;
        try {
            this.build = stores.build().readSpilled(unit, ctx.budget());
        } catch (RuntimeException | Error e) {
            if (probeMatched != null) {
                probeMatched.close();
            }
            throw e;
        }
        this.steps = new TableSteps(spec);
    }

    State state() {
        return state;
    }

    /** The next output morsel, or null when the pair is done. */
    Morsel next(long sequence) {
        while (true) {
            switch (state) {
                case LOAD -> {
                    if (!loadChunk()) {
                        state = probeMatched != null ? State.FINAL : State.DONE;
                        probe = probeSide();
                        probeBase = 0;
                        continue;
                    }
                    probe = probeSide();
                    probeBase = 0;
                    state = State.PROBE;
                }
                case PROBE -> {
                    if (!steps.probing()) {
                        if (!probe.hasNext()) {
                            state = table.matched() != null ? State.UNMATCHED : State.LOAD;
                            if (state == State.LOAD) {
                                freeChunk();
                            }
                            continue;
                        }
                        Morsel m = probe.next();
                        long base = probeBase;
                        probeBase += m.rowCount();
                        steps.probe(SpilledPairJoin.cursorOver(env, m, table, false, probeMatchedSeg, base));
                    }
                    return steps.probeStep(sequence);
                }
                case UNMATCHED -> {
                    Morsel m = steps.unmatchedStep(table, sequence);
                    if (m != null) {
                        return m;
                    }
                    freeChunk();
                    state = State.LOAD;
                }
                case FINAL -> {
                    if (!probe.hasNext()) {
                        state = State.DONE;
                        continue;
                    }
                    return finalPass(probe.next(), sequence);
                }
                case DONE -> {
                    return null;
                }
            }
        }
    }

    private Iterator<Morsel> probeSide() {
        return probeStore == null ? Collections.emptyIterator() : probeStore.readSpilled(unit, ctx.budget());
    }

    /** Reads build blocks up to the chunk limit and indexes them; false when no build block is left. */
    private boolean loadChunk() {
        if (!build.hasNext()) {
            return false;
        }
        List<Morsel> chunk = new ArrayList<>();
        long bytes = 0;
        try {
            while (build.hasNext() && (chunk.isEmpty() || bytes < chunkLimit)) {
                Morsel m = build.next();
                chunk.add(m);
                bytes += m.byteSize() + JoinHashTable.estimate(m.rowCount());
            }
        } catch (RuntimeException | Error e) {
            chunk.forEach(Morsel::close);
            throw e;
        }
        chunks++;
        if (chunks == 2 && !skewed) {
            env.events().accept(SkewDetected.tooLarge(HashJoin.COMPONENT, label, chunkLimit));
        }
        table = new BuildTable(spec, chunk, ctx.pool(), ctx.budget());
        return true;
    }

    /** The probe rows of one block the bitmap says to emit on their own (unmatched, or matched for SEMI). */
    private Morsel finalPass(Morsel block, long sequence) {
        try (Morsel m = block) {
            JoinOutput rows = spec.newOutput(m.rowCount());
            rows.start(m);
            try {
                for (int r = 0; r < m.rowCount(); r++) {
                    long g = probeBase + r;
                    boolean matched = (probeMatchedSeg.get(ValueLayout.JAVA_BYTE, g >>> 3) & (1 << (g & 7))) != 0;
                    if (spec.emitsLeftRow(matched)) {
                        rows.probeOnly(r);
                    }
                }
                probeBase += m.rowCount();
                return rows.finish(sequence);
            } finally {
                rows.clear();
            }
        }
    }

    private void freeChunk() {
        steps.closeCursor();
        if (table != null) {
            table.close();
            table = null;
        }
    }

    /** Frees the chunk in memory and the bitmap. Idempotent; the pair releases the partitions. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        state = State.DONE;
        try {
            steps.close();
            freeChunk();
        } finally {
            if (probeMatched != null) {
                probeMatched.close();
            }
        }
    }
}
