package dev.spillway.operators.join;

import dev.spillway.event.EventSink;
import dev.spillway.event.JoinBuildComplete;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.PartitionReloaded;
import dev.spillway.event.PartitionRepartitioned;
import dev.spillway.event.ProbeStarted;
import dev.spillway.event.SkewDetected;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ChunkBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Field;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.memory.Schema;
import dev.spillway.memory.Spillable;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillReader;
import dev.spillway.spill.SpillWriter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The state of one partitioned, spillable hash join, shared by its build sink and probe source.
 *
 * <p><b>Build.</b> Each build morsel's keys are hashed; rows are grouped by partition (the top 8
 * hash bits, 256 partitions) and appended, column-wise, to their partition. When the memory
 * manager asks (a reservation failed), the largest in-memory partition is written to its own spill
 * file and freed; later rows of a spilled partition go straight to that file. At the end of the
 * build, partitions are spilled until the rest takes at most half of the query's memory, and a
 * hash table is built for each partition still in memory.
 *
 * <p><b>Probe.</b> Probe rows of in-memory partitions probe at once; probe rows of spilled
 * partitions are appended to that partition's probe spill file. When the probe input is exhausted,
 * unmatched build rows of in-memory partitions are emitted (RIGHT, FULL) and that memory is freed.
 *
 * <p><b>Spilled partitions</b> are then joined one at a time: build blocks are read back in chunks
 * that fit in memory (one chunk unless the partition is too large, e.g. dominated by one key); for
 * each chunk the whole probe file is streamed against it. A bitmap of matched probe rows, kept
 * across chunks, keeps LEFT, FULL, SEMI and ANTI exact; per-chunk build match flags keep RIGHT and
 * FULL exact. Each call produces one output morsel, so memory stays bounded.
 */
public final class HashJoin implements Spillable, AutoCloseable {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int PARTITIONS = Hashing.PARTITIONS;
    /** Hash bits each re-partitioning of a spilled partition uses. */
    private static final int SUB_BITS = 4;
    private static final int SUB_FANOUT = 1 << SUB_BITS;
    /** Deepest re-partitioning (8 + 5 * 4 = 28 hash bits); past it a partition is joined in chunks. */
    private static final int MAX_LEVEL = 5;
    /** How deep forced re-partitioning goes. */
    private static final int FORCED_DEPTH = 3;
    /** In-memory build sides up to this size (tables and rows) are probed in row order: they stay in cache. */
    private static final long CACHE_RESIDENT_BYTES = 2L << 20;
    /** Probe rows walked together, so that their cache misses overlap. */
    private static final int PROBE_BATCH = 1024;
    /** Default most result rows produced per step (a morsel's worth). */
    static final int OUTPUT_ROWS = 16_384;
    /** The component name in its events. */
    private static final String COMPONENT = "equi-join";

    /** Phases of the join. */
    enum State {
        /** Consuming the build input; partitions may spill. */
        BUILDING,
        /** Probing in-memory partitions and spilling probe rows of spilled ones. */
        PROBING,
        /** Joining spilled partitions one at a time. */
        SPILLED,
        /** Everything emitted. */
        DONE
    }

    private final Schema probeSchema;
    private final Schema buildSchema;
    private final Schema output;
    private final JoinKeys keys;
    private final JoinType type;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryBudget outputBudget;
    private final SpillDirectory spills;
    private final EventSink events;
    private final int[] buildColumns;
    private final int[] keyFromBuild;
    private final Partition[] partitions = new Partition[PARTITIONS];
    private final ReentrantLock spillLock = new ReentrantLock();
    private final long sealBytes;
    private final int outputRows;
    private double forceSpill;
    private volatile State state = State.BUILDING;
    private volatile boolean partitionOrderedProbe = true;
    private final LongAdder buildRows = new LongAdder();
    private final LongAdder buildBytes = new LongAdder();
    private SpilledJoin spilled;
    private final ArrayDeque<SpilledPair> pending = new ArrayDeque<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<ProbeScratch> spareScratch =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private boolean pendingFilled;
    private long reloadLimit;
    private int forcedSplits;
    private boolean transitioned;
    private int transitionPartition;
    private int transitionRow;
    private boolean closed;

    /** One of the 256 partitions. */
    private static final class Partition {
        final int id;
        final ReentrantLock lock = new ReentrantLock();
        List<Morsel> build = new ArrayList<>();
        ChunkBuilder open;
        /** Probe rows of a spilled partition waiting to be written; guarded by {@link #lock}. */
        ChunkBuilder probeOpen;
        /**
         * Bytes of {@link #probeOpen}, written under the lock, read without it by the memory
         * manager's threads: a chunk may not be read unlocked, since its owner seals it (clearing
         * its builders) at any time.
         */
        volatile long probeOpenBytes;
        long sealedBytes;
        volatile long bytes;
        volatile boolean spilled;
        SpillWriter buildWriter;
        SpillWriter probeWriter;
        JoinHashTable table;
        NativeBuffer matched;

        Partition(int id) {
            this.id = id;
        }
    }

    /**
     * Creates the join.
     *
     * @param ctx the join's context: its {@link OperatorContext#budget() budget} (build rows, tables) is its own
     *            and the join closes it; result morsels are charged to the output budget; events are
     *            {@code equi-join} events; at most {@value #OUTPUT_ROWS} rows per result morsel
     */
    public HashJoin(Schema probeSchema, Schema buildSchema, int[] probeKeys, int[] buildKeys, JoinType type, boolean nullsEqual,
            OperatorContext ctx) {
        if (probeKeys.length == 0 || probeKeys.length != buildKeys.length) {
            throw new IllegalArgumentException("a join needs as many left keys as right keys, at least one");
        }
        for (int k = 0; k < probeKeys.length; k++) {
            Field l = probeSchema.field(probeKeys[k]);
            Field r = buildSchema.field(buildKeys[k]);
            if (l.type() != r.type()) {
                throw new IllegalArgumentException("join key types differ: left '" + l.name() + "' is " + l.type().displayName()
                        + ", right '" + r.name() + "' is " + r.type().displayName() + "; cast one side");
            }
        }
        this.probeSchema = probeSchema;
        this.buildSchema = buildSchema;
        this.keys = new JoinKeys(probeKeys.clone(), buildKeys.clone(), nullsEqual);
        this.type = type;
        this.pool = ctx.pool();
        this.budget = ctx.budget();
        this.outputBudget = ctx.outputBudget();
        this.spills = ctx.spills();
        this.events = ctx.events();
        this.outputRows = Math.max(1, Math.min(OUTPUT_ROWS, ctx.outputRows()));
        this.forceSpill = ctx.forceSpill();
        Set<Integer> buildKeySet = new HashSet<>();
        for (int k : buildKeys) {
            buildKeySet.add(k);
        }
        List<Field> fields = new ArrayList<>(probeSchema.fields());
        Set<String> names = new HashSet<>(probeSchema.names());
        List<Integer> bc = new ArrayList<>();
        if (!type.leftColumnsOnly()) {
            for (int c = 0; c < buildSchema.size(); c++) {
                if (buildKeySet.contains(c)) {
                    continue;
                }
                Field f = buildSchema.field(c);
                String name = names.contains(f.name()) ? f.name() + "_right" : f.name();
                names.add(name);
                fields.add(Field.of(name, f.type()));
                bc.add(c);
            }
        }
        this.output = new Schema(fields);
        this.buildColumns = bc.stream().mapToInt(Integer::intValue).toArray();
        this.keyFromBuild = new int[probeSchema.size()];
        java.util.Arrays.fill(keyFromBuild, -1);
        for (int k = 0; k < probeKeys.length; k++) {
            keyFromBuild[probeKeys[k]] = buildKeys[k];
        }
        for (int p = 0; p < PARTITIONS; p++) {
            partitions[p] = new Partition(p);
        }
        long cap = budget.effectiveCap();
        // Per-partition chunks are sealed small under small caps: 256 of them must fit with room to spare.
        this.sealBytes = Math.max(4L << 10, Math.min(1L << 20, cap / 4096));
    }

    /**
     * Spills this fraction (0 to 1) of the partitions at the end of the build whatever the memory,
     * to exercise the out-of-core path: partitions {@code 0 .. fraction * 256}.
     */
    public void forceSpill(double fraction) {
        this.forceSpill = fraction;
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
        return output;
    }

    /** The join type. */
    public JoinType type() {
        return type;
    }

    /** How many partitions are spilled now. */
    public int spilledPartitions() {
        int n = 0;
        for (Partition p : partitions) {
            n += p.spilled ? 1 : 0;
        }
        return n;
    }

    // ================================================================== build

    /** Adds a build morsel (taking ownership). Thread-safe. */
    public void addBuild(Morsel m) {
        int n = m.rowCount();
        buildRows.add(n);
        buildBytes.add(m.byteSize());
        try (m; NativeBuffer hb = pool.allocate(budget, Math.max(8, 8L * n));
             NativeBuffer pb = pool.allocate(budget, Math.max(4, 4L * n))) {
            keys.hash(m, keys.buildKeys(), hb.segment());
            int[] bounds = groupByPartition(hb.segment(), n, pb.segment(), false);
            MemorySegment perm = pb.segment();
            for (int p = 0; p < PARTITIONS; p++) {
                if (bounds[p + 1] > bounds[p]) {
                    appendBuildRows(partitions[p], m, perm, bounds[p], bounds[p + 1]);
                }
            }
        }
    }

    private void appendBuildRows(Partition pt, Morsel m, MemorySegment perm, int from, int to) {
        Morsel toWrite = null;
        pt.lock.lock();
        try {
            if (pt.open == null) {
                pt.open = new ChunkBuilder(buildSchema, pool, budget, Math.min(1024, to - from));
            }
            for (int k = from; k < to; k++) {
                pt.open.append(m, perm.getAtIndex(INT, k));
            }
            if (pt.open.byteSize() >= sealBytes) {
                Morsel sealed = pt.open.seal();
                pt.open = null;
                if (pt.spilled) {
                    toWrite = sealed;
                } else {
                    pt.build.add(sealed);
                    pt.sealedBytes += sealed.byteSize();
                }
            }
            pt.bytes = pt.sealedBytes + (pt.open == null ? 0 : pt.open.byteSize());
        } finally {
            pt.lock.unlock();
        }
        if (toWrite != null) {
            try (Morsel w = toWrite) {
                writerOf(pt, true).append(w, pt.id);
            }
        }
    }

    /**
     * Groups row numbers by partition (a counting sort into {@code perm}); with
     * {@code onlySpilled}, only rows of spilled partitions.
     *
     * @return partition boundaries: the rows of partition p are {@code perm[bounds[p] .. bounds[p+1])}
     */
    private int[] groupByPartition(MemorySegment hashes, int n, MemorySegment perm, boolean onlySpilled) {
        int[] bounds = new int[PARTITIONS + 1];
        for (int r = 0; r < n; r++) {
            int p = Hashing.partition(hashes.getAtIndex(LONG, r));
            if (!onlySpilled || partitions[p].spilled) {
                bounds[p + 1]++;
            }
        }
        for (int p = 0; p < PARTITIONS; p++) {
            bounds[p + 1] += bounds[p];
        }
        int[] fill = bounds.clone();
        for (int r = 0; r < n; r++) {
            int p = Hashing.partition(hashes.getAtIndex(LONG, r));
            if (!onlySpilled || partitions[p].spilled) {
                perm.setAtIndex(INT, fill[p]++, r);
            }
        }
        return bounds;
    }

    private synchronized SpillWriter writerOf(Partition p, boolean build) {
        if (build) {
            if (p.buildWriter == null) {
                p.buildWriter = spills.newWriter("join-build-p" + p.id);
            }
            return p.buildWriter;
        }
        if (p.probeWriter == null) {
            p.probeWriter = spills.newWriter("join-probe-p" + p.id);
        }
        return p.probeWriter;
    }

    /**
     * Ends the build: spills partitions until the rest fits in half of the query's memory, then
     * builds the hash tables of the partitions in memory.
     */
    public void finishBuild() {
        for (Partition p : partitions) {
            Morsel toWrite = null;
            p.lock.lock();
            try {
                if (p.open != null && p.open.rows() > 0) {
                    Morsel sealed = p.open.seal();
                    if (p.spilled) {
                        toWrite = sealed;
                    } else {
                        p.build.add(sealed);
                        p.sealedBytes += sealed.byteSize();
                    }
                } else if (p.open != null) {
                    p.open.close();
                }
                p.open = null;
                p.bytes = p.sealedBytes;
            } finally {
                p.lock.unlock();
            }
            if (toWrite != null) {
                try (Morsel w = toWrite) {
                    writerOf(p, true).append(w, p.id);
                }
            }
        }
        for (int p = 0; p < (int) Math.round(forceSpill * PARTITIONS); p++) {
            evict(partitions[p]);
        }
        long rowsInMemory = 0;

        long bytesInMemory = 0;
        for (Partition p : partitions) {
            for (Morsel m : p.build) {
                rowsInMemory += m.rowCount();
            }
            bytesInMemory += p.bytes;
        }
        // Keep at most half of what the join could hold now in memory; the other half is for the
        // tables' neighbours during the probe: output morsels, probe chunks, spill read-back.
        long limit = budget.effectiveCap() == MemoryBudget.UNLIMITED ? Long.MAX_VALUE / 4
                : Math.max(256L << 10, (budget.available() + bytesInMemory) / 2);
        while (bytesInMemory + JoinHashTable.estimate(rowsInMemory) > limit) {
            Partition victim = largestInMemory();
            if (victim == null) {
                break;
            }
            long rows = 0;
            for (Morsel m : victim.build) {
                rows += m.rowCount();
            }
            bytesInMemory -= evict(victim);
            rowsInMemory -= rows;
        }
        for (Partition p : partitions) {
            p.lock.lock();
            try {
                if (p.spilled || p.build.isEmpty()) {
                    continue;
                }
                p.table = new JoinHashTable(p.build, keys, pool, budget);
                if (type.keepsUnmatchedRight()) {
                    p.matched = pool.allocateZeroed(budget, Math.max(1, p.table.rows()));
                }
            } finally {
                p.lock.unlock();
            }
        }
        long onDisk = 0;
        long tableBytes = 0;
        for (Partition p : partitions) {
            onDisk += p.buildWriter == null ? 0 : p.buildWriter.bytesWritten();
            tableBytes += p.table == null ? 0 : p.table.byteSize() + p.bytes;
        }
        partitionOrderedProbe = tableBytes > CACHE_RESIDENT_BYTES;
        state = State.PROBING;
        events.accept(new JoinBuildComplete(COMPONENT, buildRows.sum(), buildBytes.sum(), spilledPartitions(), PARTITIONS, onDisk,
                bytesInMemory));
        events.accept(new ProbeStarted(COMPONENT, type.toString(), PARTITIONS - spilledPartitions()));
    }

    private Partition largestInMemory() {
        Partition best = null;
        for (Partition p : partitions) {
            if (!p.spilled && p.table == null && p.bytes > 0 && (best == null || p.bytes > best.bytes)) {
                best = p;
            }
        }
        return best;
    }

    /**
     * Writes a partition's build rows (sealed chunks and the open one) to its spill file and frees
     * them; returns bytes freed. A partition locked by another thread is left alone. When the
     * calling thread holds the lock it is in the middle of appending to the open chunk (its
     * reservation is what asked for memory): the sealed chunks are evicted and the open chunk is
     * left to it; the partition is spilled from then on, so that chunk goes to the file when sealed.
     */
    private long evict(Partition p) {
        List<Morsel> rows;
        long bytes = 0;
        boolean own = p.lock.isHeldByCurrentThread();
        if (!own && !p.lock.tryLock()) {
            return 0;
        }
        try {
            if (p.table != null || p.bytes == 0 || (own && p.build.isEmpty())) {
                return 0;
            }
            rows = p.build;
            if (own) {
                bytes = p.sealedBytes;
                p.build = new ArrayList<>();
                p.sealedBytes = 0;
                p.bytes = p.open == null ? 0 : p.open.byteSize();
                p.spilled = true;
            } else if (p.open != null) {
                if (p.open.rows() > 0) {
                    rows.add(p.open.seal());
                } else {
                    p.open.close();
                }
                p.open = null;
            }
            if (!own) {
                bytes = p.bytes;
                p.build = new ArrayList<>();
                p.sealedBytes = 0;
                p.bytes = 0;
                p.spilled = true;
            }
        } finally {
            if (!own) {
                p.lock.unlock();
            }
        }
        SpillWriter w = writerOf(p, true);
        try {
            for (Morsel m : rows) {
                w.append(m, p.id);
            }
        } finally {
            rows.forEach(Morsel::close);
        }
        events.accept(new PartitionEvicted(COMPONENT, p.id, bytes, w.path()));
        return bytes;
    }

    @Override
    public String name() {
        return "equi-join build";
    }

    @Override
    public long spillableBytes() {
        long n = 0;
        if (state == State.BUILDING) {
            for (Partition p : partitions) {
                n += p.table != null ? 0 : p.bytes;
            }
        } else if (state == State.PROBING) {
            for (Partition p : partitions) {
                n += p.probeOpenBytes;
            }
        }
        return n;
    }

    /**
     * Spills the largest build partitions while building; while probing, writes out the probe
     * chunks of spilled partitions instead (in-memory partitions are being probed and must stay).
     */
    @Override
    public long spill(long bytesWanted) {
        if (state == State.PROBING) {
            return flushProbeChunks(bytesWanted);
        }
        if (state != State.BUILDING || !spillLock.tryLock()) {
            return 0;
        }
        try {
            long freed = 0;
            Set<Partition> busy = new HashSet<>();
            while (freed < bytesWanted) {
                Partition best = null;
                for (Partition p : partitions) {
                    if (p.table == null && p.bytes > 0 && !busy.contains(p) && (best == null || p.bytes > best.bytes)) {
                        best = p;
                    }
                }
                if (best == null) {
                    break;
                }
                long got = evict(best);
                if (got == 0) {
                    busy.add(best);
                }
                freed += got;
            }
            return freed;
        } finally {
            spillLock.unlock();
        }
    }

    // ================================================================== probe

    /**
     * Starts probing a morsel (taking ownership): rows of spilled partitions go to their probe
     * spill chunks at once; the returned cursor produces the result rows of the others in bounded
     * morsels. Thread-safe; each cursor is used by one thread at a time.
     */
    public ProbeCursor startProbe(Morsel m) {
        int n = m.rowCount();
        NativeBuffer hb = null;
        NativeBuffer order = null;
        try {
            hb = pool.allocate(budget, Math.max(8, 8L * n));
            MemorySegment hashes = hb.segment();
            keys.hash(m, keys.probeKeys(), hashes);
            boolean anySpilled = false;
            for (int r = 0; r < n && !anySpilled; r++) {
                anySpilled = partitions[Hashing.partition(hashes.getAtIndex(LONG, r))].spilled;
            }
            if (anySpilled) {
                routeToSpill(m, hashes);
            }
            // Probing in partition order keeps one partition's table and rows in cache at a time
            // instead of jumping across every partition's memory row after row; when every
            // table fits in cache anyway, row order (sequential reads of the probe morsel) is cheaper.
            if (partitionOrderedProbe) {
                order = pool.allocate(budget, Math.max(4, 4L * n));
                groupByPartition(hashes, n, order.segment(), false);
            }
            return new ProbeCursor(m, hb, null, null, true, null, 0, order);
        } catch (RuntimeException e) {
            if (hb != null) {
                hb.close();
            }
            if (order != null) {
                order.close();
            }
            m.close();
            throw e;
        }
    }

    /**
     * Produces the result of probing one morsel, at most {@code outputRows} rows per call, so a
     * key with many matches cannot blow the memory up. Owns the probe morsel and its hashes.
     */
    public final class ProbeCursor implements AutoCloseable {
        private final Morsel m;
        private final NativeBuffer hashBuffer;
        private final MemorySegment hashes;
        private final JoinHashTable fixedTable;
        private final NativeBuffer fixedMatched;
        private final boolean emitLeftRows;
        private final long[] probeMatched;
        private final int probeBase;
        private final NativeBuffer order;
        private final MemorySegment orderSeg;
        private final boolean probeKeysValid;
        private final ColumnVector probeKey;
        /** Next position (in probe order) not yet taken into a batch. */
        private int position;
        // The batch being probed: its rows, their hashes, tables, match flags and chain cursors.
        private final ProbeScratch scratch = takeScratch();
        private final int[] batchRow = scratch.row;
        private final long[] batchHash = scratch.hash;
        private final long[] batchKey = scratch.key;
        private final JoinHashTable[] batchTable = scratch.table;
        private final MemorySegment[] batchFlags = scratch.flags;
        private final int[] batchChain = scratch.chain;
        private final boolean[] batchHit = scratch.hit;
        private int batchSize;
        /** Where the chain-walking round (or, once no chain is left, the final pass) resumes. */
        private int resume;
        private boolean chainsDone = true;
        private boolean batchDone = true;

        /**
         * @param fixedTable null to use each row's in-memory partition (skipping spilled ones)
         */
        ProbeCursor(Morsel m, NativeBuffer hashBuffer, JoinHashTable fixedTable, NativeBuffer fixedMatched, boolean emitLeftRows,
                long[] probeMatched, int probeBase, NativeBuffer order) {
            this.order = order;
            this.orderSeg = order == null ? null : order.segment();
            this.m = m;
            this.hashBuffer = hashBuffer;
            this.hashes = hashBuffer.segment();
            this.fixedTable = fixedTable;
            this.fixedMatched = fixedMatched;
            this.emitLeftRows = emitLeftRows;
            this.probeMatched = probeMatched;
            this.probeBase = probeBase;
            boolean valid = true;
            for (int k : keys.probeKeys()) {
                valid &= !m.column(k).hasNulls();
            }
            this.probeKeysValid = valid || keys.nullsEqual();
            // One integer key without nulls compares as a long against the table's copy of the keys.
            this.probeKey = valid && keys.probeKeys().length == 1 && JoinHashTable.hasIntegerKey(m.column(keys.probeKeys()[0]))
                    ? m.column(keys.probeKeys()[0]) : null;
        }

        /** Whether every row was processed. */
        public boolean done() {
            return position >= m.rowCount() && batchDone;
        }

        /**
         * The next result rows (possibly none). Rows are probed a batch at a time, each step over
         * the whole batch (bucket heads, then one chain entry per row per round), so the cache
         * misses of different rows overlap instead of queueing behind each other.
         */
        public Morsel next(long sequence) {
            JoinOutput out = scratch.output;
            out.probe(m);
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

        /** Takes the next rows in probe order, skipping spilled partitions, and looks up their bucket heads. */
        private void loadBatch() {
            int n = m.rowCount();
            int b = 0;
            while (position < n && b < PROBE_BATCH) {
                int row = orderSeg == null ? position : orderSeg.getAtIndex(INT, position);
                position++;
                long h = hashes.getAtIndex(LONG, row);
                JoinHashTable table = fixedTable;
                NativeBuffer matched = fixedMatched;
                if (table == null) {
                    Partition p = partitions[Hashing.partition(h)];
                    if (p.spilled) {
                        continue;
                    }
                    table = p.table;
                    matched = p.matched;
                }
                batchRow[b] = row;
                batchHash[b] = h;
                batchTable[b] = table;
                batchFlags[b] = matched == null ? null : matched.segment();
                batchHit[b] = false;
                boolean probes = table != null && (probeKeysValid || keys.matchable(m, keys.probeKeys(), row));
                batchChain[b] = probes ? -3 : -1;
                if (probes && probeKey != null && table.hasKeyValues()) {
                    batchKey[b] = keyValue(probeKey, row);
                }
                b++;
            }
            for (int k = 0; k < b; k++) {
                if (batchChain[k] == -3) {
                    batchChain[k] = batchTable[k].first(batchHash[k]);
                }
            }
            batchSize = b;
            resume = 0;
            chainsDone = false;
            batchDone = false;
        }

        /** Follows every live chain one entry per round until all ended or the output is full. */
        private void walkChains(JoinOutput out) {
            boolean pairs = type.emitsPairs();
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
                    JoinHashTable table = batchTable[k];
                    int next = table.next(i);
                    if (table.hash(i) == batchHash[k] && (probeKey != null && table.hasKeyValues()
                            ? table.keyValue(i) == batchKey[k] : keys.equal(m, batchRow[k], table.morsel(i), table.row(i)))) {
                        batchHit[k] = true;
                        if (pairs) {
                            out.pair(batchRow[k], table, i);
                        } else {
                            next = -1;
                        }
                        MemorySegment flags = batchFlags[k];
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
                if (emitLeftRows && emitsLeftRow(hit)) {
                    if (out.full()) {
                        resume = k;
                        return;
                    }
                    out.probeOnly(batchRow[k]);
                }
                if (probeMatched != null && hit) {
                    int g = probeBase + batchRow[k];
                    probeMatched[g >>> 6] |= 1L << (g & 63);
                }
            }
            java.util.Arrays.fill(batchTable, 0, batchSize, null);
            java.util.Arrays.fill(batchFlags, 0, batchSize, null);
            batchDone = true;
        }

        @Override
        public void close() {
            java.util.Arrays.fill(batchTable, null);
            java.util.Arrays.fill(batchFlags, null);
            scratch.output.clear();
            spareScratch.offer(scratch);
            hashBuffer.close();
            if (order != null) {
                order.close();
            }
            m.close();
        }
    }

    /**
     * A probe cursor's heap working set (the batch arrays and the result being gathered), kept in
     * a free list and reused by the next cursor, so that probing allocates next to nothing per
     * morsel.
     */
    private final class ProbeScratch {
        final int[] row = new int[PROBE_BATCH];
        final long[] hash = new long[PROBE_BATCH];
        final long[] key = new long[PROBE_BATCH];
        final JoinHashTable[] table = new JoinHashTable[PROBE_BATCH];
        final MemorySegment[] flags = new MemorySegment[PROBE_BATCH];
        final int[] chain = new int[PROBE_BATCH];
        final boolean[] hit = new boolean[PROBE_BATCH];
        final JoinOutput output = newOutput();
    }

    private ProbeScratch takeScratch() {
        ProbeScratch s = spareScratch.poll();
        return s != null ? s : new ProbeScratch();
    }

    private static long keyValue(ColumnVector keyColumn, int row) {
        return keyColumn instanceof Int64Vector v ? v.get(row) : ((Int32Vector) keyColumn).get(row);
    }

    /** Whether a probe row with this match outcome appears on its own in the result. */
    private boolean emitsLeftRow(boolean matched) {
        return (type == JoinType.SEMI && matched) || (!matched && (type == JoinType.ANTI || type.keepsUnmatchedLeft()));
    }

    /** A result morsel in the making: {@link #outputRows} rows, plus one spare for a probe-only row after a full chain. */
    private JoinOutput newOutput() {
        return new JoinOutput(output, probeSchema.size(), buildColumns, keyFromBuild, pool, outputBudget, outputRows);
    }

    /** Appends the rows of spilled partitions to their probe chunks, writing chunks that are full. */
    private void routeToSpill(Morsel m, MemorySegment hashes) {
        int n = m.rowCount();
        try (NativeBuffer pb = pool.allocate(budget, Math.max(4, 4L * n))) {
            MemorySegment perm = pb.segment();
            int[] bounds = groupByPartition(hashes, n, perm, true);
            for (int p = 0; p < PARTITIONS; p++) {
                if (bounds[p + 1] == bounds[p]) {
                    continue;
                }
                Partition pt = partitions[p];
                Morsel toWrite = null;
                pt.lock.lock();
                try {
                    if (pt.probeOpen == null) {
                        pt.probeOpen = new ChunkBuilder(probeSchema, pool, budget, Math.min(1024, bounds[p + 1] - bounds[p]));
                    }
                    for (int k = bounds[p]; k < bounds[p + 1]; k++) {
                        pt.probeOpen.append(m, perm.getAtIndex(INT, k));
                    }
                    long bytes = pt.probeOpen.byteSize();
                    if (bytes >= sealBytes) {
                        toWrite = pt.probeOpen.seal();
                        pt.probeOpen = null;
                        bytes = 0;
                    }
                    pt.probeOpenBytes = bytes;
                } finally {
                    pt.lock.unlock();
                }
                if (toWrite != null) {
                    try (Morsel w = toWrite) {
                        writerOf(pt, false).append(w, p);
                    }
                }
            }
        }
    }

    /**
     * Writes open probe chunks to their files, largest first, until {@code bytesWanted} were freed;
     * partitions locked by anyone (the caller included) are skipped.
     *
     * @return bytes freed
     */
    private long flushProbeChunks(long bytesWanted) {
        long freed = 0;
        Set<Partition> done = new HashSet<>();
        while (freed < bytesWanted) {
            Partition best = null;
            long bestBytes = 0;
            for (Partition p : partitions) {
                long bytes = p.probeOpenBytes;
                if (bytes > bestBytes && !done.contains(p)) {
                    best = p;
                    bestBytes = bytes;
                }
            }
            if (best == null) {
                return freed;
            }
            done.add(best);
            if (best.lock.isHeldByCurrentThread() || !best.lock.tryLock()) {
                continue;
            }
            ChunkBuilder open;
            try {
                open = best.probeOpen;
                best.probeOpen = null;
                best.probeOpenBytes = 0;
            } finally {
                best.lock.unlock();
            }
            if (open == null) {
                continue;
            }
            long bytes = open.byteSize();
            if (open.rows() == 0) {
                open.close();
            } else {
                try (Morsel w = open.seal()) {
                    writerOf(best, false).append(w, best.id);
                }
            }
            freed += bytes;
        }
        return freed;
    }

    // ================================================================== after the probe input

    /**
     * The next result morsel after the probe input ended: first the unmatched build rows of
     * in-memory partitions, then the spilled partitions. Null when everything was emitted. Not
     * thread-safe: callers serialise (the probe source does).
     */
    public Morsel nextAfterProbe(long sequence) {
        if (!transitioned) {
            if (state == State.PROBING) {
                state = State.SPILLED;
                flushProbeChunks(Long.MAX_VALUE);
            }
            // Unmatched build rows of in-memory partitions, a bounded morsel per call; a partition
            // is freed on the call after its last rows were gathered.
            while (transitionPartition < PARTITIONS) {
                Partition p = partitions[transitionPartition];
                if (p.table != null && p.matched != null && transitionRow < p.table.rows()) {
                    JoinOutput out = newOutput();
                    transitionRow = emitUnmatchedBuild(p.table, p.matched, transitionRow, out);
                    if (out.rows() > 0) {
                        return out.finish(sequence);
                    }
                }
                freeInMemory(p);
                transitionPartition++;
                transitionRow = 0;
            }
            transitioned = true;
        }
        if (!pendingFilled) {
            pendingFilled = true;
            for (Partition p : partitions) {
                if (p.spilled) {
                    SpillFile build = p.buildWriter.finish();
                    SpillFile probe = p.probeWriter == null ? null : p.probeWriter.finish();
                    pending.addLast(new SpilledPair(Integer.toString(p.id), build, probe, 0, p.id < forcedSplits, false));
                }
            }
        }
        while (true) {
            if (spilled == null) {
                SpilledPair pair = pending.pollFirst();
                if (pair == null) {
                    state = State.DONE;
                    return null;
                }
                SpilledJoin sj = new SpilledJoin(pair);
                if (sj.shouldSplit()) {
                    List<SpilledPair> subs;
                    try {
                        subs = sj.split();
                    } finally {
                        sj.close();
                    }
                    for (int i = subs.size() - 1; i >= 0; i--) {
                        pending.addFirst(subs.get(i));
                    }
                    continue;
                }
                sj.logReload();
                spilled = sj;
            }
            Morsel m = spilled.next(sequence);
            if (m != null) {
                return m;
            }
            spilled.close();
            spilled = null;
        }
    }

    /**
     * A spilled partition (or sub-partition) pair waiting to be joined.
     *
     * @param label   partition path, e.g. {@code 17} or {@code 17.3.0} after re-partitioning
     * @param build   its build rows, or null when it has none
     * @param probe   its probe rows, or null when it has none
     * @param level   0 for the 256 partitions; each re-partitioning adds one
     * @param forced  re-partition it whatever its size (testing the recursion)
     * @param skewed  re-partitioning could not shrink it (one dominant key): join it in chunks
     */
    private record SpilledPair(String label, SpillFile build, SpillFile probe, int level, boolean forced, boolean skewed) {
    }

    /** Emits unmatched build rows from row {@code from} until the output is full; returns where it stopped. */
    private int emitUnmatchedBuild(JoinHashTable table, NativeBuffer matched, int from, JoinOutput out) {
        MemorySegment flags = matched.segment();
        int i = from;
        for (; i < table.rows() && !out.full(); i++) {
            if (flags.get(ValueLayout.JAVA_BYTE, i) == 0) {
                out.buildOnly(table, i);
            }
        }
        return i;
    }

    private void freeInMemory(Partition p) {
        p.lock.lock();
        try {
            if (p.table != null) {
                p.table.close();
                p.table = null;
            }
            if (p.matched != null) {
                p.matched.close();
                p.matched = null;
            }
            p.build.forEach(Morsel::close);
            p.build = new ArrayList<>();
            for (ChunkBuilder c : new ChunkBuilder[] {p.open, p.probeOpen}) {
                if (c != null) {
                    c.close();
                }
            }
            p.open = null;
            p.probeOpen = null;
            p.probeOpenBytes = 0;
            p.sealedBytes = 0;
            p.bytes = 0;
        } finally {
            p.lock.unlock();
        }
    }

    /**
     * Joins one spilled partition pair, chunk by chunk, one output morsel per step; or, when its
     * build side does not fit, re-partitions it on the next hash bits.
     */
    private final class SpilledJoin implements AutoCloseable {
        private final SpilledPair pair;
        private final SpillFile buildFile;
        private final SpillFile probeFile;
        private final SpillReader buildReader;
        private final SpillReader probeReader;
        private final long[] probeMatched;
        private final int[] probeBase;
        private final long chunkLimit;
        private final long buildRowCount;
        private final List<Morsel> chunk = new ArrayList<>();
        private JoinHashTable table;
        private NativeBuffer chunkMatched;
        private ProbeCursor cursor;
        private int unmatchedRow;
        private int buildBlock;
        private int probeBlock;
        private int chunks;
        private boolean finalPass;

        SpilledJoin(SpilledPair pair) {
            this.pair = pair;
            this.buildFile = pair.build();
            this.probeFile = pair.probe();
            SpillReader br = null;
            SpillReader pr = null;
            try {
                br = buildFile == null ? null : spills.open(buildFile, budget);
                pr = probeFile == null ? null : spills.open(probeFile, budget);
            } catch (RuntimeException e) {
                if (br != null) {
                    br.close();
                }
                deleteFiles(pair);
                throw e;
            }
            this.buildReader = br;
            this.probeReader = pr;
            long rows = 0;
            for (int b = 0; buildReader != null && b < buildReader.blockCount(); b++) {
                rows += buildReader.rowCount(b);
            }
            this.buildRowCount = rows;
            int blocks = probeReader == null ? 0 : probeReader.blockCount();
            this.probeBase = new int[blocks + 1];
            for (int b = 0; b < blocks; b++) {
                probeBase[b + 1] = probeBase[b] + probeReader.rowCount(b);
            }
            boolean needsBitmap = type.keepsUnmatchedLeft() || type.leftColumnsOnly();
            this.probeMatched = needsBitmap ? new long[(probeBase[blocks] + 63) >>> 6] : null;
            long cap = budget.effectiveCap();
            // A third of what is free or could be freed by other operators spilling (a group-by
            // downstream fills the memory the join left; loading against what is free alone would
            // re-partition small partitions over and over): the chunk and its table, the probe
            // block being read, and the output morsels in flight downstream share the rest.
            long others = Math.max(0, budget.spillable() - HashJoin.this.spillableBytes());
            long limit = Math.max(64L << 10, cap == MemoryBudget.UNLIMITED ? Long.MAX_VALUE / 4
                    : Math.min(cap, budget.available() + others) / 3);
            this.chunkLimit = reloadLimit > 0 ? Math.min(limit, reloadLimit) : limit;
        }

        void logReload() {
            events.accept(new PartitionReloaded(COMPONENT, pair.label(), buildFile == null ? 0 : buildFile.byteSize(),
                    probeFile == null ? 0 : probeFile.byteSize(), buildRowCount));
        }

        /** Bytes the build side needs in memory: its rows and their hash table. */
        private long buildNeeds() {
            return buildFile == null ? 0 : buildFile.rawBytes() + JoinHashTable.estimate(buildRowCount);
        }

        /** Whether this pair should be re-partitioned on the next hash bits instead of joined. */
        boolean shouldSplit() {
            if (pair.skewed() || buildFile == null || buildRowCount < 2) {
                return false;
            }
            if (pair.forced()) {
                return true;
            }
            if (buildNeeds() <= chunkLimit) {
                return false;
            }
            if (pair.level() >= MAX_LEVEL) {
                events.accept(SkewDetected.maxDepth(COMPONENT, pair.label(), buildRowCount, pair.level()));
                return false;
            }
            return true;
        }

        /**
         * Writes the build and probe rows into {@value #SUB_FANOUT} sub-partitions each, on the
         * next {@value #SUB_BITS} hash bits, and returns the pairs that can produce output. A
         * sub-partition holding almost all build rows is dominated by one key: it is marked skewed.
         */
        List<SpilledPair> split() {
            int level = pair.level() + 1;
            int shift = 64 - Hashing.PARTITION_BITS - SUB_BITS * level;
            events.accept(new PartitionRepartitioned(COMPONENT, pair.label(), level, buildFile.byteSize(),
                    probeFile == null ? 0 : probeFile.byteSize(), buildRowCount, SUB_FANOUT));
            SpillWriter[] buildOut = new SpillWriter[SUB_FANOUT];
            SpillWriter[] probeOut = new SpillWriter[SUB_FANOUT];
            long[] subRows = new long[SUB_FANOUT];
            List<SpilledPair> result = new ArrayList<>();
            try {
                scatter(buildReader, buildSchema, keys.buildKeys(), shift, buildOut, "join-build-p" + pair.label(), subRows);
                if (probeReader != null) {
                    scatter(probeReader, probeSchema, keys.probeKeys(), shift, probeOut, "join-probe-p" + pair.label(), null);
                }
                int largest = 0;
                for (int s = 1; s < SUB_FANOUT; s++) {
                    largest = subRows[s] > subRows[largest] ? s : largest;
                }
                boolean skew = subRows[largest] * 10 > buildRowCount * 9;
                for (int s = 0; s < SUB_FANOUT; s++) {
                    SpillFile b = buildOut[s] == null ? null : buildOut[s].finish();
                    SpillFile p = probeOut[s] == null ? null : probeOut[s].finish();
                    boolean useful = (b != null && p != null) || (b != null && type.keepsUnmatchedRight())
                            || (p != null && (type.keepsUnmatchedLeft() || type == JoinType.ANTI));
                    SpilledPair sub = new SpilledPair(pair.label() + "." + s, b, p, level,
                            pair.forced() && s == largest && level < FORCED_DEPTH, skew && s == largest);
                    if (!useful) {
                        deleteFiles(sub);
                        continue;
                    }
                    if (sub.skewed()) {
                        events.accept(SkewDetected.dominantKey(COMPONENT, sub.label(), subRows[s], buildRowCount));
                    }
                    result.add(sub);
                }
                return result;
            } catch (RuntimeException | Error e) {
                for (SpillWriter w : buildOut) {
                    closeQuietly(w, e);
                }
                for (SpillWriter w : probeOut) {
                    closeQuietly(w, e);
                }
                for (SpilledPair sub : result) {
                    deleteFiles(sub);
                }
                throw e;
            }
        }

        private void scatter(SpillReader reader, Schema schema, int[] keyColumns, int shift, SpillWriter[] out, String label,
                long[] rowsOut) {
            for (int b = 0; b < reader.blockCount(); b++) {
                try (Morsel m = reader.read(b, schema);
                     NativeBuffer hb = pool.allocate(budget, Math.max(8, 8L * m.rowCount()))) {
                    int n = m.rowCount();
                    MemorySegment hashes = hb.segment();
                    keys.hash(m, keyColumns, hashes);
                    int[] counts = new int[SUB_FANOUT];
                    for (int r = 0; r < n; r++) {
                        counts[(int) (hashes.getAtIndex(LONG, r) >>> shift) & (SUB_FANOUT - 1)]++;
                    }
                    for (int s = 0; s < SUB_FANOUT; s++) {
                        if (counts[s] == 0) {
                            continue;
                        }
                        if (rowsOut != null) {
                            rowsOut[s] += counts[s];
                        }
                        try (ChunkBuilder cb = new ChunkBuilder(schema, pool, budget, counts[s])) {
                            for (int r = 0; r < n; r++) {
                                if (((int) (hashes.getAtIndex(LONG, r) >>> shift) & (SUB_FANOUT - 1)) == s) {
                                    cb.append(m, r);
                                }
                            }
                            try (Morsel sub = cb.seal()) {
                                if (out[s] == null) {
                                    out[s] = spills.newWriter(label + "." + s);
                                }
                                out[s].append(sub, s);
                            }
                        }
                    }
                }
            }
        }

        /** The next output morsel of this partition, or null when it is done. */
        Morsel next(long sequence) {
            while (true) {
                if (finalPass) {
                    if (probeReader == null || probeBlock >= probeReader.blockCount()) {
                        return null;
                    }
                    int b = probeBlock++;
                    try (Morsel m = probeReader.read(b, probeSchema)) {
                        JoinOutput out = new JoinOutput(output, probeSchema.size(), buildColumns, keyFromBuild, pool,
                                outputBudget, m.rowCount());
                        out.probe(m);
                        for (int r = 0; r < m.rowCount(); r++) {
                            int g = probeBase[b] + r;
                            boolean matched = (probeMatched[g >>> 6] & (1L << (g & 63))) != 0;
                            if (emitsLeftRow(matched)) {
                                out.probeOnly(r);
                            }
                        }
                        return out.finish(sequence);
                    }
                }
                if (table == null) {
                    if (!loadChunk()) {
                        finalPass = probeMatched != null;
                        probeBlock = 0;
                        if (!finalPass) {
                            return null;
                        }
                        continue;
                    }
                }
                if (cursor != null) {
                    Morsel out = cursor.next(sequence);
                    if (cursor.done()) {
                        cursor.close();
                        cursor = null;
                    }
                    return out;
                }
                if (probeReader != null && probeBlock < probeReader.blockCount()) {
                    int b = probeBlock++;
                    Morsel m = probeReader.read(b, probeSchema);
                    NativeBuffer hb = null;
                    try {
                        hb = pool.allocate(budget, Math.max(8, 8L * m.rowCount()));
                        keys.hash(m, keys.probeKeys(), hb.segment());
                    } catch (RuntimeException e) {
                        if (hb != null) {
                            hb.close();
                        }
                        m.close();
                        throw e;
                    }
                    cursor = new ProbeCursor(m, hb, table, chunkMatched, false, probeMatched, probeBase[b], null);
                    continue;
                }
                // The chunk has seen every probe row: emit its unmatched build rows, then free it.
                if (chunkMatched != null && unmatchedRow < table.rows()) {
                    JoinOutput out = newOutput();
                    unmatchedRow = emitUnmatchedBuild(table, chunkMatched, unmatchedRow, out);
                    return out.finish(sequence);
                }
                freeChunk();
            }
        }

        /** Reads build blocks until the chunk limit; false when no build block is left. */
        private boolean loadChunk() {
            if (buildReader == null || buildBlock >= buildReader.blockCount()) {
                return false;
            }
            long bytes = 0;
            while (buildBlock < buildReader.blockCount() && (chunk.isEmpty() || bytes < chunkLimit)) {
                Morsel m = buildReader.read(buildBlock++, buildSchema);
                chunk.add(m);
                bytes += m.byteSize() + JoinHashTable.estimate(m.rowCount());
            }
            chunks++;
            if (chunks == 2 && !pair.skewed()) {
                events.accept(SkewDetected.tooLarge(COMPONENT, pair.label(), chunkLimit));
            }
            table = new JoinHashTable(chunk, keys, pool, budget);
            if (type.keepsUnmatchedRight()) {
                chunkMatched = pool.allocateZeroed(budget, Math.max(1, table.rows()));
            }
            probeBlock = 0;
            unmatchedRow = 0;
            return true;
        }

        private void freeChunk() {
            if (cursor != null) {
                cursor.close();
                cursor = null;
            }
            if (table != null) {
                table.close();
                table = null;
            }
            if (chunkMatched != null) {
                chunkMatched.close();
                chunkMatched = null;
            }
            chunk.forEach(Morsel::close);
            chunk.clear();
        }

        @Override
        public void close() {
            freeChunk();
            if (buildReader != null) {
                buildReader.close();
            }
            if (probeReader != null) {
                probeReader.close();
            }
            deleteFiles(pair);
        }
    }

    private void deleteFiles(SpilledPair pair) {
        if (pair.build() != null) {
            spills.delete(pair.build());
        }
        if (pair.probe() != null) {
            spills.delete(pair.probe());
        }
    }

    private static void closeQuietly(SpillWriter w, Throwable failure) {
        if (w == null) {
            return;
        }
        try {
            w.close();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    // ================================================================== lifecycle

    /** Frees all memory and deletes the spill files. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        state = State.DONE;
        if (spilled != null) {
            spilled.close();
            spilled = null;
        }
        for (SpilledPair pair : pending) {
            deleteFiles(pair);
        }
        pending.clear();
        for (Partition p : partitions) {
            freeInMemory(p);
            if (p.buildWriter != null) {
                p.buildWriter.close();
            }
            if (p.probeWriter != null) {
                p.probeWriter.close();
            }
        }
        budget.close();
    }
}
