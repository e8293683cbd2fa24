package dev.spillway;

import dev.spillway.formats.ipc.IpcSink;
import dev.spillway.formats.parquet.ParquetSink;
import dev.spillway.formats.parquet.ParquetWriteOptions;
import dev.spillway.memory.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.CollectSink;
import dev.spillway.operators.csv.CsvOptions;
import dev.spillway.operators.csv.CsvSink;
import dev.spillway.operators.join.BuildSide;
import dev.spillway.operators.join.JoinType;
import dev.spillway.operators.merge.AsofStrategy;
import dev.spillway.plan.AsofJoinNode;
import dev.spillway.plan.AssumeSortedNode;
import dev.spillway.plan.FilterNode;
import dev.spillway.plan.GroupByNode;
import dev.spillway.plan.JoinNode;
import dev.spillway.plan.LogicalPlan;
import dev.spillway.plan.MergeJoinNode;
import dev.spillway.plan.Optimizer;
import dev.spillway.plan.PhysicalPlanner;
import dev.spillway.plan.PlanException;
import dev.spillway.plan.ProjectNode;
import dev.spillway.plan.SliceNode;
import dev.spillway.plan.SortNode;
import dev.spillway.plan.TailNode;
import dev.spillway.plan.TopKNode;
import dev.spillway.plan.UnionNode;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.scheduler.QueryHandle;
import dev.spillway.scheduler.QueryPlan;
import dev.spillway.scheduler.Sink;
import dev.spillway.spill.SpillDirectory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A query not yet run: an immutable logical plan. Every method returns a new frame; nothing is
 * read until {@link #collect()}, a {@code sink*} method or {@link #explain()} (which reads only
 * schemas). Unknown columns and type mismatches fail when the frame is built, naming what exists.
 */
public final class LazyFrame {
    private final Spillway engine;
    private final LogicalPlan plan;

    LazyFrame(Spillway engine, LogicalPlan plan) {
        this.engine = engine;
        this.plan = plan;
    }

    /** The schema of the rows this frame produces. */
    public Schema schema() {
        return plan.schema();
    }

    /** The logical plan as built (before optimisation). */
    public LogicalPlan logicalPlan() {
        return plan;
    }

    // ------------------------------------------------------------------ transformations

    /**
     * Keeps the given columns or expressions, in that order. When every expression is an
     * aggregate ({@code col("x").sum()}, {@code Expr.len()}, ...), this is a global aggregation:
     * one row, even over no input.
     */
    public LazyFrame select(Expr... exprs) {
        List<Expr> list = Arrays.asList(exprs);
        long aggregates = list.stream().filter(Expr::isAggregate).count();
        if (aggregates > 0 && aggregates == list.size()) {
            return new LazyFrame(engine, new GroupByNode(plan, List.of(), list));
        }
        if (aggregates > 0) {
            throw new PlanException("select mixes aggregates and plain expressions: " + list
                    + "; use groupBy(...).agg(...) or aggregate every column");
        }
        return new LazyFrame(engine, new ProjectNode(plan, list));
    }

    /** A frame over another plan of the same engine. */
    LazyFrame derive(LogicalPlan newPlan) {
        return new LazyFrame(engine, newPlan);
    }

    /** Groups by the named columns; follow with {@link GroupBy#agg}. */
    public GroupBy groupBy(String... keys) {
        List<Expr> exprs = new ArrayList<>();
        for (String k : keys) {
            exprs.add(Expr.col(k));
        }
        return new GroupBy(this, exprs);
    }

    /** Groups by key expressions (named by their output names); follow with {@link GroupBy#agg}. */
    public GroupBy groupBy(Expr... keys) {
        return new GroupBy(this, Arrays.asList(keys));
    }

    /**
     * The distinct rows (in no particular order), through the spillable hash aggregation. Null
     * equals null; {@code -0.0} equals {@code 0.0} and NaN equals NaN.
     */
    public LazyFrame unique() {
        List<Expr> keys = new ArrayList<>();
        for (Field f : schema()) {
            keys.add(Expr.col(f.name()));
        }
        return new LazyFrame(engine, new GroupByNode(plan, keys, List.of()));
    }

    /**
     * One row per distinct combination of the {@code subset} columns: the first such row in input
     * order, with all columns in their original order (rows in no particular order).
     */
    public LazyFrame unique(String... subset) {
        Set<String> keySet = new HashSet<>(Arrays.asList(subset));
        List<Expr> keys = new ArrayList<>();
        for (String k : subset) {
            keys.add(Expr.col(k));
        }
        List<Expr> firsts = new ArrayList<>();
        for (Field f : schema()) {
            if (!keySet.contains(f.name())) {
                firsts.add(Expr.col(f.name()).first().alias(f.name()));
            }
        }
        LogicalPlan grouped = new GroupByNode(plan, keys, firsts);
        return new LazyFrame(engine, grouped).select(schema().names().toArray(String[]::new));
    }

    /** Keeps the named columns, in that order. */
    public LazyFrame select(String... columns) {
        List<Expr> exprs = new ArrayList<>();
        for (String c : columns) {
            exprs.add(Expr.col(c));
        }
        return new LazyFrame(engine, new ProjectNode(plan, exprs));
    }

    /** Adds columns, or replaces the columns of the same name in place. */
    public LazyFrame withColumns(Expr... exprs) {
        Map<String, Expr> added = new LinkedHashMap<>();
        for (Expr e : exprs) {
            added.put(e.outputName(), e);
        }
        List<Expr> out = new ArrayList<>();
        for (Field f : schema()) {
            Expr replacement = added.remove(f.name());
            out.add(replacement != null ? replacement : Expr.col(f.name()));
        }
        out.addAll(added.values());
        return new LazyFrame(engine, new ProjectNode(plan, out));
    }

    /** Keeps the rows where {@code predicate} is true (null counts as false). */
    public LazyFrame filter(Expr predicate) {
        return new LazyFrame(engine, new FilterNode(plan, predicate));
    }

    /** The first {@code n} rows; the sources stop reading once they have been produced. */
    public LazyFrame head(long n) {
        return slice(0, n);
    }

    /** Same as {@link #head}. */
    public LazyFrame limit(long n) {
        return head(n);
    }

    /** Rows {@code [offset, offset + length)}, in order. */
    public LazyFrame slice(long offset, long length) {
        return new LazyFrame(engine, new SliceNode(plan, offset, length));
    }

    /** The last {@code n} rows, in order. */
    public LazyFrame tail(long n) {
        return new LazyFrame(engine, new TailNode(plan, n));
    }

    // ------------------------------------------------------------------ sorting

    /**
     * Sorts ascending on the given columns (the first most significant), nulls last. Ties come out
     * in no particular order; see {@link #sortStable}. Spills sorted runs when memory is short.
     */
    public LazyFrame sort(String... by) {
        return sort(ascending(by));
    }

    /** Sorts on the given keys (see {@link SortKey} for directions, nulls, NaN and -0.0). */
    public LazyFrame sort(SortKey... by) {
        return new LazyFrame(engine, new SortNode(plan, Arrays.asList(by), false));
    }

    /** Sorts ascending on the given columns, nulls last; rows with equal keys keep their input order. */
    public LazyFrame sortStable(String... by) {
        return sortStable(ascending(by));
    }

    /** Sorts on the given keys; rows with equal keys keep their input order. */
    public LazyFrame sortStable(SortKey... by) {
        return new LazyFrame(engine, new SortNode(plan, Arrays.asList(by), true));
    }

    /**
     * The first {@code k} rows in the order of {@code by}, ties in input order — the same rows as
     * {@code sortStable(by).head(k)} — holding only about {@code k} rows in memory.
     * ({@code sort(by).head(k)} is turned into this by the optimizer.)
     */
    public LazyFrame topK(long k, SortKey... by) {
        return new LazyFrame(engine, new TopKNode(plan, Arrays.asList(by), k));
    }

    /** Like {@link #topK(long, SortKey...)}, ascending on the given columns. */
    public LazyFrame topK(long k, String... by) {
        return topK(k, ascending(by));
    }

    private static SortKey[] ascending(String... by) {
        SortKey[] keys = new SortKey[by.length];
        for (int i = 0; i < by.length; i++) {
            keys[i] = SortKey.asc(by[i]);
        }
        return keys;
    }

    /** Renames one column. */
    public LazyFrame rename(String from, String to) {
        return rename(Map.of(from, to));
    }

    /**
     * Renames columns ({@code old -> new}).
     *
     * @throws PlanException for a column that does not exist
     */
    public LazyFrame rename(Map<String, String> renames) {
        for (String from : renames.keySet()) {
            if (schema().indexOf(from) < 0) {
                throw new PlanException("cannot rename column '" + from + "': not found; available: "
                        + String.join(", ", schema().names()));
            }
        }
        List<Expr> out = new ArrayList<>();
        for (Field f : schema()) {
            String to = renames.get(f.name());
            out.add(to == null ? Expr.col(f.name()) : Expr.col(f.name()).alias(to));
        }
        return new LazyFrame(engine, new ProjectNode(plan, out));
    }

    /**
     * Removes columns.
     *
     * @throws PlanException for a column that does not exist, or when nothing would be left
     */
    public LazyFrame drop(String... columns) {
        Set<String> gone = new HashSet<>(Arrays.asList(columns));
        for (String c : gone) {
            if (schema().indexOf(c) < 0) {
                throw new PlanException("cannot drop column '" + c + "': not found; available: "
                        + String.join(", ", schema().names()));
            }
        }
        List<Expr> out = new ArrayList<>();
        for (Field f : schema()) {
            if (!gone.contains(f.name())) {
                out.add(Expr.col(f.name()));
            }
        }
        if (out.isEmpty()) {
            throw new PlanException("drop would remove every column of " + schema().names());
        }
        return new LazyFrame(engine, new ProjectNode(plan, out));
    }

    /** This frame's rows followed by the others' (same column names and types). */
    public LazyFrame concat(LazyFrame... others) {
        List<LogicalPlan> inputs = new ArrayList<>();
        inputs.add(plan);
        for (LazyFrame o : others) {
            if (o.engine != engine) {
                throw new PlanException("cannot concat frames of different Spillway instances");
            }
            inputs.add(o.plan);
        }
        return new LazyFrame(engine, new UnionNode(inputs));
    }

    /**
     * Equi-joins this frame (left) with {@code other} (right) on columns of the same name. The
     * smaller input by estimate is hashed (the build side, which spills under memory pressure;
     * see {@link JoinOptions}); see {@link JoinType}.
     */
    public LazyFrame join(LazyFrame other, String on, JoinType how) {
        return join(other, List.of(on), List.of(on), how);
    }

    /** Equi-joins on pairs of key columns, {@code leftOn.get(i) == rightOn.get(i)}; null keys never match. */
    public LazyFrame join(LazyFrame other, List<String> leftOn, List<String> rightOn, JoinType how) {
        return join(other, leftOn, rightOn, how, false);
    }

    /**
     * Equi-joins on pairs of key columns.
     *
     * @param nullsEqual whether null keys match each other (by default they never match)
     */
    public LazyFrame join(LazyFrame other, List<String> leftOn, List<String> rightOn, JoinType how, boolean nullsEqual) {
        return join(other, leftOn, rightOn, how, JoinOptions.defaults().withNullsEqual(nullsEqual));
    }

    /**
     * Equi-joins on pairs of key columns with options, e.g.
     * {@code JoinOptions.defaults().withBuildSide(BuildSide.LEFT)} to hash the left input whatever
     * the estimates say. The result's columns and rows do not depend on the build side.
     */
    public LazyFrame join(LazyFrame other, List<String> leftOn, List<String> rightOn, JoinType how, JoinOptions options) {
        if (other.engine != engine) {
            throw new PlanException("cannot join frames of different Spillway instances");
        }
        if (options.strategy() == JoinStrategy.MERGE) {
            if (options.nullsEqual() || options.buildSide() != BuildSide.AUTO) {
                throw new PlanException("a merge join has no build side and never matches null keys; drop nullsEqual and the"
                        + " build side, or use JoinStrategy.HASH");
            }
            return new LazyFrame(engine, MergeJoinNode.require(plan, other.plan, leftOn, rightOn, how));
        }
        if (options.strategy() == JoinStrategy.AUTO && !options.nullsEqual() && options.buildSide() == BuildSide.AUTO) {
            MergeJoinNode merge = MergeJoinNode.ifSorted(plan, other.plan, leftOn, rightOn, how);
            if (merge != null) {
                return new LazyFrame(engine, merge);
            }
        }
        return new LazyFrame(engine, new JoinNode(plan, other.plan, leftOn, rightOn, how, options.nullsEqual(),
                options.buildSide()));
    }

    /**
     * Declares that this frame's rows already arrive sorted ascending (nulls last) on
     * {@code columns}, most significant first, so that joins can merge instead of hashing; see
     * {@link #setSorted(SortKey...)}.
     */
    public LazyFrame setSorted(String... columns) {
        return setSorted(Arrays.stream(columns).map(SortKey::asc).toArray(SortKey[]::new));
    }

    /**
     * Declares the order the rows already arrive in (nothing is sorted). A join on these keys,
     * or an AsOf join on the first of them, then merges the inputs in one streaming pass instead
     * of hashing one of them. The declaration is trusted by the planner but <b>checked while
     * merging</b>: if the data is not in this order, the query fails with an
     * {@link dev.spillway.operators.merge.UnsortedInputException} naming the column, the row and
     * the two values out of order — a false declaration can never return a wrong result from a
     * merge. (Operators that do not merge do not check it.)
     */
    public LazyFrame setSorted(SortKey... keys) {
        return new LazyFrame(engine, new AssumeSortedNode(plan, Arrays.asList(keys)));
    }

    /**
     * AsOf join on a column of the same name on both sides, without {@code by} columns or
     * tolerance; see {@link #joinAsof(LazyFrame, String, String, List, List, AsofStrategy, Number)}.
     */
    public LazyFrame joinAsof(LazyFrame other, String on, AsofStrategy strategy) {
        return joinAsof(other, on, on, List.of(), List.of(), strategy, null);
    }

    /**
     * AsOf join on {@code on} within groups of equal {@code by} columns (same names on both
     * sides), with an optional tolerance; see
     * {@link #joinAsof(LazyFrame, String, String, List, List, AsofStrategy, Number)}.
     */
    public LazyFrame joinAsof(LazyFrame other, String on, List<String> by, AsofStrategy strategy, Number tolerance) {
        return joinAsof(other, on, on, by, by, strategy, tolerance);
    }

    /**
     * AsOf join, like Polars' {@code join_asof}: each left row gets at most one right row of its
     * {@code by} group — the last one with {@code rightOn <= leftOn} (BACKWARD), the first one
     * with {@code rightOn >= leftOn} (FORWARD), or the closest (NEAREST; the later one on a tie)
     * — and only if the distance is at most {@code tolerance} (when not null). Unmatched left
     * rows get nulls in the right columns; null {@code on} or {@code by} values never match.
     * Result: every left column, then the right columns other than {@code rightOn} and
     * {@code rightBy} (a name already taken gets {@code _right}), in left order.
     *
     * <p>Both inputs must be known sorted ascending on their {@code on} column ({@code sort} or
     * {@link #setSorted}); the join streams through both in one pass, checking the order.
     *
     * @param tolerance null, or the largest distance: an integer for int64, int32 and date32
     *                  (days) columns, any number for float64
     * @throws PlanException for unknown columns, mismatched types, a bad tolerance or an input
     *                       not known to be sorted
     */
    public LazyFrame joinAsof(LazyFrame other, String leftOn, String rightOn, List<String> leftBy, List<String> rightBy,
            AsofStrategy strategy, Number tolerance) {
        if (other.engine != engine) {
            throw new PlanException("cannot join frames of different Spillway instances");
        }
        return new LazyFrame(engine, new AsofJoinNode(plan, other.plan, leftOn, rightOn, leftBy, rightBy, strategy, tolerance));
    }

    // ------------------------------------------------------------------ explain

    /** The physical plan: one labelled node per line. */
    public String explain() {
        return explain(Stage.PHYSICAL);
    }

    /** The plan at the given stage. */
    public String explain(Stage stage) {
        return switch (stage) {
            case UNOPTIMIZED -> LogicalPlan.format(plan);
            case LOGICAL -> LogicalPlan.format(Optimizer.optimize(plan));
            case PHYSICAL -> PhysicalPlanner.explain(Optimizer.optimize(plan), "STREAMING_COLLECT");
        };
    }

    // ------------------------------------------------------------------ execution

    /** Runs the query on the streaming engine and returns the result in native memory. */
    public DataFrame collect() {
        return collect(Engine.STREAMING);
    }

    /**
     * Runs the query. {@link Engine#IN_MEMORY} runs the same operators without the memory limit
     * (the reference path).
     *
     * @throws dev.spillway.scheduler.QueryExecutionException when it fails; the cause is the
     *                                                        original error
     */
    public DataFrame collect(Engine how) {
        AtomicReference<List<Morsel>> result = new AtomicReference<>();
        CollectSink sink = new CollectSink(result::set);
        Query q;
        try {
            q = run(sink, how);
        } catch (RuntimeException e) {
            List<Morsel> orphans = result.getAndSet(null);
            if (orphans != null) {
                orphans.forEach(Morsel::close);
            }
            throw e;
        }
        List<Morsel> morsels = result.get();
        return new DataFrame(schema(), morsels == null ? List.of() : morsels, q);
    }

    /**
     * Runs the query on the streaming engine and returns the result with its {@link QueryProfile}
     * (rows and time per pipeline, peak memory, spill volumes, events, memory samples).
     */
    public ProfiledResult profile() {
        DataFrame df = collect(Engine.STREAMING);
        return new ProfiledResult(df, engine.lastProfile());
    }

    /**
     * Runs the query and writes its result to a CSV file (with a header), streaming; the file
     * appears only when the query succeeds.
     *
     * @return rows written
     */
    public long sinkCsv(Path path) {
        return sinkCsv(path, CsvOptions.defaults());
    }

    /** Like {@link #sinkCsv(Path)} with options (delimiter, quote, null string, header). */
    public long sinkCsv(Path path, CsvOptions options) {
        CsvSink sink = new CsvSink(path, schema(), options);
        try (Query q = run(sink, Engine.STREAMING)) {
            Objects.requireNonNull(q);
            return sink.rows();
        }
    }

    /** Writes the result to a Parquet file (zstd, 262,144 rows per row group), streaming and atomically; returns the rows written. */
    public long sinkParquet(Path path) {
        return sinkParquet(path, ParquetWriteOptions.defaults());
    }

    /** Like {@link #sinkParquet(Path)} with options (codec, row-group size). */
    public long sinkParquet(Path path, ParquetWriteOptions options) {
        ParquetSink sink = new ParquetSink(path, schema(), options);
        try (Query q = run(sink, Engine.STREAMING)) {
            Objects.requireNonNull(q);
            return sink.rows();
        }
    }

    /** Writes the result to an Arrow IPC file (Feather v2, uncompressed), streaming and atomically; returns the rows written. */
    public long sinkIpc(Path path) {
        IpcSink sink = new IpcSink(path, schema());
        try (Query q = run(sink, Engine.STREAMING)) {
            Objects.requireNonNull(q);
            return sink.rows();
        }
    }

    /** The memory of one query run; released when its result is closed. */
    private record Query(MemoryBudget budget, MemoryManager manager, SpillDirectory spills) implements AutoCloseable {
        @Override
        public void close() {
            try {
                spills.close();
            } finally {
                manager.close();
                budget.close();
            }
        }
    }

    private Query run(Sink<?> sink, Engine how) {
        engine.ensureOpen();
        String name = engine.nextQueryName();
        LogicalPlan optimized = Optimizer.optimize(plan);
        MemoryBudget parent = how == Engine.IN_MEMORY ? engine.unlimitedBudget() : engine.budget();
        MemoryBudget budget = parent.child(name);
        MemoryManager manager = new MemoryManager(budget);
        SpillDirectory spills;
        try {
            spills = engine.spills().createQueryDirectory(name, budget);
        } catch (RuntimeException e) {
            manager.close();
            budget.close();
            closeQuietly(sink, e);
            throw e;
        }
        Query q = new Query(budget, manager, spills);
        QueryContext ctx = new QueryContext(name);
        String explained = PhysicalPlanner.explain(optimized, sink instanceof CsvSink ? "STREAMING_SINK_CSV" : "STREAMING_COLLECT");
        QueryRecorder recorder = new QueryRecorder(engine, name, budget, spills,
                how == Engine.IN_MEMORY ? MemoryBudget.UNLIMITED : engine.config().memoryLimit());
        manager.addListener(recorder::onPressure);
        QueryPlan qp = null;
        try {
            qp = new PhysicalPlanner(engine.pool(), budget, manager, spills, recorder::log, engine.config().morselRows(),
                    engine.workers().threads(), engine.config().forceSpill()).sortFanIn(engine.sortFanIn()).plan(optimized, sink,
                    name);
            recorder.log("[spillway] engine: query-start name=" + name + " pipelines=" + qp.pipelines().size());
            long t0 = System.nanoTime();
            QueryHandle handle = engine.workers().submit(qp, ctx);
            recorder.started(handle);
            handle.await();
            recorder.log("[spillway] engine: query-finished name=" + name + " ms=" + (System.nanoTime() - t0) / 1_000_000
                    + " peak=" + budget.peak() + " spilled=" + spills.stats().bytesWrittenCompressed()
                    + " read-back=" + spills.stats().bytesRead());
            engine.recordProfile(recorder.finish(true, explained, qp, sink, manager.reclaimCalls(), manager.bytesReclaimed()));
            return q;
        } catch (RuntimeException e) {
            engine.recordProfile(recorder.finish(false, explained, qp, sink, manager.reclaimCalls(), manager.bytesReclaimed()));
            closeQuietly(sink, e);
            try {
                q.close();
            } catch (RuntimeException leak) {
                e.addSuppressed(leak);
            }
            throw e;
        } finally {
            recorder.close();
        }
    }

    private static void closeQuietly(AutoCloseable c, RuntimeException primary) {
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }

    @Override
    public String toString() {
        return "LazyFrame" + schema().names();
    }
}
