package dev.spillway.operators.join;

import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Produces the result of probing one morsel, at most a morsel's worth of rows per call, so a key
 * with many matches cannot blow the memory up. Owns the probe morsel, its hashes and its probe
 * order. Used by one thread at a time.
 *
 * <p>It probes either the in-memory partitions of the build ({@link JoinTables}: rows of spilled
 * partitions are skipped, the probe phase kept them) or one table (a spilled partition's build
 * side, or one chunk of it). Rows are probed a batch at a time, each step over the whole batch
 * (bucket heads, then one chain entry per row per round), so the cache misses of different rows
 * overlap instead of queueing behind each other.
 */
public final class ProbeCursor implements AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int PROBE_BATCH = ProbeScratch.PROBE_BATCH;

    private final JoinSpec spec;
    private final JoinKeys keys;
    private final ProbeScratch.FreeList scratches;
    private final Morsel m;
    private final NativeBuffer hashBuffer;
    private final MemorySegment hashes;
    private final JoinTables tables;
    private final boolean emitLeftRows;
    private final MemorySegment probeMatched;
    private final long probeBase;
    private final NativeBuffer order;
    private final MemorySegment orderSeg;
    private final boolean probeKeysValid;
    private final ColumnVector probeKey;
    /** Next position (in probe order) not yet taken into a batch. */
    private int position;
    // The batch being probed: its rows, their hashes, tables, match flags and chain cursors.
    private final ProbeScratch scratch;
    private final int[] batchRow;
    private final long[] batchHash;
    private final long[] batchKey;
    private final int[] batchPart;
    /**
     * The tables and match flags rows are probed against, by partition (one entry, partition 0,
     * when probing a fixed table). Batch rows keep a partition index into these instead of a
     * reference per row: a per-row store into an interface-typed array made C2 deoptimize the
     * batch loop again and again (array-store and loop-predicate traps), leaving it in C1 code
     * where every segment read took the slow VarHandle path — the probe ran 1.5x slower.
     */
    private final JoinHashTable[] tablesOf;
    private final MemorySegment[] flagsOf;
    private final boolean[] spilledOf;
    private final boolean partitioned;
    private final int[] batchChain;
    private final boolean[] batchHit;
    private int batchSize;
    /** Where the chain-walking round (or, once no chain is left, the final pass) resumes. */
    private int resume;
    private boolean chainsDone = true;
    private boolean batchDone = true;
    private boolean closed;

    /**
     * Takes ownership of {@code m}, {@code hashBuffer} and {@code order}.
     *
     * @param tables       the in-memory partitions, or null to probe {@code fixed}
     * @param fixed        the one table to probe when {@code tables} is null
     * @param emitLeftRows whether unmatched (or, for SEMI, matched) probe rows are emitted here
     * @param probeMatched a native bitmap recording matched probe rows (global row {@code g = probeBase + row} is bit
     *                     {@code g & 7} of byte {@code g >>> 3}), or null
     * @param order        the probe order (row numbers, native ints), or null for row order
     */
    ProbeCursor(JoinSpec spec, ProbeScratch.FreeList scratches, Morsel m, NativeBuffer hashBuffer, JoinTables tables,
            BuildTable fixed, boolean emitLeftRows, MemorySegment probeMatched, long probeBase, NativeBuffer order) {
        this.spec = spec;
        this.keys = spec.keys();
        this.scratches = scratches;
        this.m = m;
        this.hashBuffer = hashBuffer;
        this.hashes = hashBuffer.segment();
        this.tables = tables;
        this.partitioned = tables != null;
        if (tables != null) {
            this.tablesOf = tables.hashTables();
            this.flagsOf = tables.matchFlags();
            this.spilledOf = tables.spilledFlags();
        } else {
            this.tablesOf = new JoinHashTable[] {fixed == null ? null : fixed.table()};
            this.flagsOf = new MemorySegment[] {fixed == null || fixed.matched() == null ? null : fixed.matched().segment()};
            this.spilledOf = new boolean[1];
        }
        this.emitLeftRows = emitLeftRows;
        this.probeMatched = probeMatched;
        this.probeBase = probeBase;
        this.order = order;
        this.orderSeg = order == null ? null : order.segment();
        boolean valid = true;
        for (int k : keys.probeKeys()) {
            valid &= !m.column(k).hasNulls();
        }
        this.probeKeysValid = valid || keys.nullsEqual();
        // One integer key without nulls compares as a long against the table's copy of the keys.
        this.probeKey = valid && keys.probeKeys().length == 1 && JoinHashTable.hasIntegerKey(m.column(keys.probeKeys()[0]))
                ? m.column(keys.probeKeys()[0]) : null;
        this.scratch = scratches.take();
        this.batchRow = scratch.row;
        this.batchHash = scratch.hash;
        this.batchKey = scratch.key;
        this.batchPart = scratch.part;
        this.batchChain = scratch.chain;
        this.batchHit = scratch.hit;
    }

    /** Whether every row was processed. */
    public boolean done() {
        return position >= m.rowCount() && batchDone;
    }

    /** The next result rows (possibly none); the caller owns the morsel. */
    public Morsel next(long sequence) {
        JoinOutput out = scratch.output;
        out.start(m);
        while (!out.full()) {
            if (batchDone) {
                if (position >= m.rowCount()) {
                    break;
                }
                loadBatch();
            }
            if (!chainsDone) {
                walkChains(out);
                if (!chainsDone) {
                    break;
                }
            }
            finishBatch(out);
        }
        return out.finish(sequence);
    }

    /**
     * Takes the next window of rows in probe order, drops those of spilled partitions, and looks up
     * their bucket heads. Each pass is a plain counted loop whose decisions (probe order or row
     * order, keys that may be null, integer keys) are taken once per batch outside it: C2 compiled
     * the earlier single loop with branches per row into code that kept failing its loop predicates
     * and falling back to the interpreter and C1.
     */
    private void loadBatch() {
        int from = position;
        int to = Math.min(m.rowCount(), from + PROBE_BATCH);
        position = to;
        int b = orderSeg == null ? gatherRowOrder(from, to) : gatherProbeOrder(from, to);
        if (probeKeysValid) {
            for (int k = 0; k < b; k++) {
                JoinHashTable table = tablesOf[batchPart[k]];
                batchChain[k] = table == null ? -1 : table.first(batchHash[k]);
            }
        } else {
            int[] probeKeys = keys.probeKeys();
            for (int k = 0; k < b; k++) {
                JoinHashTable table = tablesOf[batchPart[k]];
                batchChain[k] = table == null || !keys.matchable(m, probeKeys, batchRow[k]) ? -1 : table.first(batchHash[k]);
            }
        }
        if (probeKey instanceof Int64Vector v) {
            for (int k = 0; k < b; k++) {
                batchKey[k] = v.get(batchRow[k]);
            }
        } else if (probeKey instanceof Int32Vector v) {
            for (int k = 0; k < b; k++) {
                batchKey[k] = v.get(batchRow[k]);
            }
        }
        java.util.Arrays.fill(batchHit, 0, b, false);
        batchSize = b;
        resume = 0;
        chainsDone = false;
        batchDone = false;
    }

    /** Puts the rows {@code from .. to} (row order) into the batch; returns how many were kept. */
    private int gatherRowOrder(int from, int to) {
        int mask = partitioned ? -1 : 0;
        int b = 0;
        for (int row = from; row < to; row++) {
            b = place(b, row, mask);
        }
        return b;
    }

    /** As {@link #gatherRowOrder}, for the rows at positions {@code from .. to} of the probe order. */
    private int gatherProbeOrder(int from, int to) {
        int mask = partitioned ? -1 : 0;
        int b = 0;
        for (int pos = from; pos < to; pos++) {
            b = place(b, orderSeg.getAtIndex(INT, pos), mask);
        }
        return b;
    }

    /**
     * Stores {@code row} with its hash and partition at batch slot {@code b}; a row of a spilled
     * partition is overwritten by the next one (no branch).
     *
     * @return the next free slot
     */
    private int place(int b, int row, int partitionMask) {
        long h = hashes.getAtIndex(LONG, row);
        int part = Hashing.partition(h) & partitionMask;
        batchRow[b] = row;
        batchHash[b] = h;
        batchPart[b] = part;
        return b + (spilledOf[part] ? 0 : 1);
    }

    /** Follows every live chain one entry per round until all ended or the output is full. */
    private void walkChains(JoinOutput out) {
        boolean pairs = spec.type().emitsPairs();
        while (true) {
            // A round resumed part-way must be followed by a whole one: rows before the resume
            // point may still have chains.
            boolean live = resume > 0;
            for (int k = resume; k < batchSize; k++) {
                int i = batchChain[k];
                if (i < 0) {
                    continue;
                }
                if (out.full()) {
                    resume = k;
                    return;
                }
                JoinHashTable table = tablesOf[batchPart[k]];
                int next = table.next(i);
                if (table.hash(i) == batchHash[k] && (probeKey != null && table.hasKeyValues()
                        ? table.keyValue(i) == batchKey[k] : keys.equal(m, batchRow[k], table.morsel(i), table.row(i)))) {
                    batchHit[k] = true;
                    if (pairs) {
                        out.pair(batchRow[k], batchPart[k], table, i);
                    } else {
                        next = -1;
                    }
                    MemorySegment flags = flagsOf[batchPart[k]];
                    if (flags != null) {
                        // Plain byte stores of the same value from several workers are benign;
                        // the end of the probe phase orders them before they are read.
                        flags.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
                    }
                }
                batchChain[k] = next;
                live |= next >= 0;
            }
            resume = 0;
            if (!live) {
                break;
            }
        }
        chainsDone = true;
    }

    /** Emits the batch's unmatched (or, for SEMI, matched) probe rows and records matches. */
    private void finishBatch(JoinOutput out) {
        for (int k = resume; k < batchSize; k++) {
            boolean hit = batchHit[k];
            if (emitLeftRows && spec.emitsLeftRow(hit)) {
                if (out.full()) {
                    resume = k;
                    return;
                }
                out.probeOnly(batchRow[k]);
            }
            if (probeMatched != null && hit) {
                long g = probeBase + batchRow[k];
                long at = g >>> 3;
                probeMatched.set(ValueLayout.JAVA_BYTE, at, (byte) (probeMatched.get(ValueLayout.JAVA_BYTE, at) | 1 << (g & 7)));
            }
        }
        batchDone = true;
    }

    /** Frees the probe morsel, its hashes and order, and returns the scratch. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scratches.give(scratch);
        hashBuffer.close();
        if (order != null) {
            order.close();
        }
        m.close();
    }
}
