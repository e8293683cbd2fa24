package dev.spillway;

import dev.spillway.options.JoinOptions;
import dev.spillway.options.JoinStrategy;

import dev.spillway.event.EventSink;
import dev.spillway.event.QueryFinished;
import dev.spillway.event.QueryStarted;
import dev.spillway.formats.ipc.IpcSink;
import dev.spillway.formats.parquet.ParquetSink;
import dev.spillway.options.ParquetWriteOptions;
import dev.spillway.memory.BlockPool;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.operators.CollectSink;
import dev.spillway.operators.HivePath;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.PartitionedFileSink;
import dev.spillway.options.Partitioning;
import dev.spillway.operators.StagedOutput;
import dev.spillway.options.CsvOptions;
import dev.spillway.operators.csv.CsvSink;
import dev.spillway.options.BuildSide;
import dev.spillway.options.JoinType;
import dev.spillway.options.AsofStrategy;
import dev.spillway.plan.AsofJoinNode;
import dev.spillway.plan.AssumeSortedNode;
import dev.spillway.plan.CacheNode;
import dev.spillway.plan.FilterNode;
import dev.spillway.plan.GroupByNode;
import dev.spillway.plan.JoinNode;
import dev.spillway.plan.LogicalPlan;
import dev.spillway.plan.MergeJoinNode;
import dev.spillway.plan.NestedLoopJoinNode;
import dev.spillway.plan.Optimizer;
import dev.spillway.plan.PhysicalPlanner;
import dev.spillway.errors.PlanException;
import dev.spillway.plan.ProjectNode;
import dev.spillway.plan.SliceNode;
import dev.spillway.plan.SortNode;
import dev.spillway.plan.TailNode;
import dev.spillway.plan.TopKNode;
import dev.spillway.plan.UnionNode;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.errors.QueryCancelledException;
import dev.spillway.scheduler.QueryHandle;
import dev.spillway.scheduler.QueryPlan;
import dev.spillway.scheduler.Sink;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

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

    /** The engine this frame runs on. */
    Spillway engine() {
        return engine;
    }

    /** The schema of the rows this frame produces. */
    public Schema schema() {
        return plan.schema();
    }

    /** The logical plan as built (before optimisation). */
    LogicalPlan logicalPlan() {
        return plan;
    }

    // ------------------------------------------------------------------ transformations

    /**
     * Keeps the given columns or expressions, in that order. When every expression is an
     * aggregate ({@code col("x").sum()}, {@code Expr.rowCount()}, ...), this is a global aggregation:
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

    /**
     * Marks this frame's result as shared: wherever the returned frame is used in one query (both
     * sides of a self-join, a join and an aggregation of it, a concat with itself, several targets
     * of {@link Spillway#sinkAll}), it is computed once and streamed to every reader through a
     * multiplexer ({@code STREAMING_MULTIPLEXER} in {@link #explain()}). Readers run at the same
     * time; a reader that falls behind (or that waits for another, like a join's probe side for its
     * build side) keeps its backlog in memory up to its share and spills the rest to disk. A cache
     * read once is planned as if it were not there. Nothing is kept between queries.
     */
    public LazyFrame cache() {
        return plan instanceof CacheNode ? this : new LazyFrame(engine, CacheNode.of(plan));
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
     * Every pair of a row of this frame (left) and a row of {@code other} (right): the left
     * columns, then the right ones (a name already taken gets {@code _right}, as in
     * {@link #join}). Runs as a block nested-loop join that materializes the smaller input by
     * estimate in blocks which spill under memory pressure, and streams the product: nothing the
     * size of the result is ever held, and a {@code head(n)} above stops it early. A filter right
     * above becomes a {@link #joinWhere} predicate.
     */
    public LazyFrame crossJoin(LazyFrame other) {
        return new LazyFrame(engine, new NestedLoopJoinNode(plan, sameEngine(other).plan, JoinType.INNER, null));
    }

    /**
     * Inner join on arbitrary predicates (ANDed), e.g. a range join
     * {@code a.joinWhere(b, col("x").lt(col("y")), col("y").lt(col("x").plus(lit(10))))}. The
     * predicates see the columns of a pair of rows under the result's names: every left column,
     * then every right column, a right name already taken by the left getting {@code _right}
     * ({@code col("id_right")}). A null comparison never matches. An equality between a left and
     * a right column of the same int32, int64, date32 or utf8 type makes the planner use the
     * spillable hash join on those keys with the other predicates as a filter after it; other
     * predicates run as a spillable block nested-loop join (see {@link #crossJoin}).
     *
     * @throws PlanException without predicates, or when one is not boolean or names an unknown column
     */
    public LazyFrame joinWhere(LazyFrame other, Expr... predicates) {
        return joinWhere(other, JoinType.INNER, predicates);
    }

    /**
     * Like {@link #joinWhere(LazyFrame, Expr...)} with a join type: INNER; LEFT (left rows
     * without a match once, right columns null); RIGHT (right rows without a match once, left
     * columns null); FULL (both); SEMI or ANTI (left rows with / without a match, once each, left
     * columns only — the predicates still see the right columns). Every type but INNER
     * materializes the right input and runs as a block nested-loop join, also with an equality
     * among the predicates; RIGHT and FULL keep one matched bit per right row (native memory,
     * charged to the query) and emit the right rows no pair matched after the last left row.
     *
     * @throws PlanException without predicates, for a null type, when a predicate is not boolean
     *         or names an unknown column
     */
    public LazyFrame joinWhere(LazyFrame other, JoinType how, Expr... predicates) {
        if (predicates.length == 0) {
            throw new PlanException("joinWhere needs at least one predicate; use crossJoin for every pair");
        }
        Expr p = predicates[0];
        for (int i = 1; i < predicates.length; i++) {
            p = p.and(predicates[i]);
        }
        return new LazyFrame(engine, new NestedLoopJoinNode(plan, sameEngine(other).plan, how, p));
    }

    private LazyFrame sameEngine(LazyFrame other) {
        if (other.engine != engine) {
            throw new PlanException("cannot join frames of different Spillway instances");
        }
        return other;
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
     * {@link dev.spillway.errors.UnsortedInputException} naming the column, the row and
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
     * @throws dev.spillway.errors.QueryExecutionException when it fails; the cause is the
     *                                                        original error
     */
    public DataFrame collect(Engine how) {
        long start = System.nanoTime();
        return retrying(() -> collectOnce(how, QueryOptions.defaults(), start));
    }

    /** Runs {@code attempt} through the engine's retries after a memory refusal, unless the plan reads an input once. */
    private <T> T retrying(Supplier<T> attempt) {
        return LogicalPlan.readsOnce(plan) ? attempt.get() : engine.retryingAlone(attempt);
    }

    /**
     * Runs the query on the streaming engine within {@code options}' quotas and deadline (see
     * {@link QueryOptions}) and returns the result in native memory.
     *
     * @throws dev.spillway.errors.QueryExecutionException when it fails (the cause is the
     *         original error: a {@link dev.spillway.errors.MemoryLimitExceededException} over the
     *         memory quota, a {@link dev.spillway.errors.SpillQuotaExceededException} over the spill
     *         quota), is cancelled, or runs past its deadline
     *         ({@link dev.spillway.errors.QueryTimeoutException}); everything it held is freed
     */
    public DataFrame collect(QueryOptions options) {
        Objects.requireNonNull(options, "options");
        long start = System.nanoTime();
        return retrying(() -> collectOnce(Engine.STREAMING, options, start));
    }

    /**
     * Runs the query with a deadline counted from this call (planning included): past it the
     * query is cancelled, everything it held is freed and a
     * {@link dev.spillway.errors.QueryTimeoutException} names the deadline and the time it ran.
     *
     * @throws IllegalArgumentException when {@code deadline} is not positive
     */
    public DataFrame collect(Duration deadline) {
        return collect(QueryOptions.withDeadline(deadline));
    }

    private DataFrame collectOnce(Engine how, QueryOptions options, long start) {
        AtomicReference<List<Morsel>> result = new AtomicReference<>();
        CollectSink sink = new CollectSink(result::set, LogicalPlan.fixedRowCount(plan));
        Query q;
        try {
            q = launch(sink, how, options, start).await();
        } catch (RuntimeException e) {
            closeOrphans(result);
            throw e;
        }
        return frameOf(result, q);
    }

    /** The collected result as a frame that owns the query's memory from now on. */
    private DataFrame frameOf(AtomicReference<List<Morsel>> result, Query q) {
        List<Morsel> morsels = result.get();
        DataFrame df = new DataFrame(schema(), morsels == null ? List.of() : morsels, q);
        // The frame owns the query's memory now: an engine closed before the frame reports it as leaked.
        q.running().end();
        return df;
    }

    private static void closeOrphans(AtomicReference<List<Morsel>> result) {
        List<Morsel> orphans = result.getAndSet(null);
        if (orphans != null) {
            orphans.forEach(Morsel::close);
        }
    }

    /** Like {@link #stream(QueryOptions)} with the default options. */
    public ResultStream stream() {
        return stream(QueryOptions.defaults());
    }

    /**
     * Starts the query on the streaming engine and returns its result as a stream of batches, in
     * the order {@link #collect()} gives (the sort's order after a sort), as the query produces
     * them. Each batch is a {@link DataFrame} the caller owns and closes; the query pauses while
     * {@link QueryOptions#streamBufferBytes() the stream's buffer} is full, so a consumer that
     * reads slowly holds the query back instead of letting results pile up. Closing the stream
     * before its end cancels the query and frees everything it held (batches already taken stay
     * valid until closed). Errors surface from {@code hasNext()}/{@code next()} as the exceptions
     * {@link #collect()} throws.
     *
     * <pre>{@code
     * try (ResultStream batches = frame.stream()) {
     *     while (batches.hasNext()) {
     *         try (DataFrame batch = batches.next()) {
     *             total += batch.rowCount();
     *         }
     *     }
     * }
     * }</pre>
     *
     * <p>Unlike {@link #collect()}, a stream is not run again when it is refused memory (its
     * first batches may be consumed already).
     *
     * @throws PlanException when the plan is invalid; the query does not start
     */
    public ResultStream stream(QueryOptions options) {
        Objects.requireNonNull(options, "options");
        long start = System.nanoTime();
        long expected = LogicalPlan.fixedRowCount(plan);
        StreamSink[] made = new StreamSink[1];
        Launched l = launch(engine, List.of(plan), List.of((budget, log) -> made[0] = new StreamSink(
                streamBuffer(options, budget), expected)), Collections.singletonList(null), Engine.STREAMING, options, start);
        return new ResultStream(schema(), made[0], l);
    }

    /** The stream buffer: the given one, else a sixteenth of the query's cap, at most 8 MiB. */
    private static long streamBuffer(QueryOptions options, MemoryBudget budget) {
        if (options.streamBufferBytes() > 0) {
            return options.streamBufferBytes();
        }
        return Math.max(1, Math.min(QueryOptions.MAX_DEFAULT_STREAM_BUFFER, budget.effectiveCap() / 16));
    }

    /**
     * Streams the result to {@code consumer}, one batch at a time on this thread, in the order of
     * {@link #stream()}. The consumer borrows each batch: it is closed when the consumer returns
     * (copy what must outlive the call). An exception of the consumer cancels the query, frees
     * everything and propagates.
     */
    public void forEachBatch(Consumer<? super DataFrame> consumer) {
        forEachBatch(QueryOptions.defaults(), consumer);
    }

    /** Like {@link #forEachBatch(Consumer)} within {@code options}' quotas and deadline. */
    public void forEachBatch(QueryOptions options, Consumer<? super DataFrame> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        try (ResultStream batches = stream(options)) {
            while (batches.hasNext()) {
                try (DataFrame batch = batches.next()) {
                    consumer.accept(batch);
                }
            }
        }
    }

    /** Like {@link #submit(QueryOptions)} with the default options. */
    public SubmittedQuery submit() {
        return submit(QueryOptions.defaults());
    }

    /**
     * Plans the query on this thread and starts it on the workers without waiting: the returned
     * handle waits for, cancels and observes it; its result is a {@link DataFrame} the caller owns
     * (the same frame from every {@code await} and from the future).
     *
     * <p>Unlike {@link #collect()}, a submitted query is not run again when it is refused memory.
     *
     * @throws PlanException when the plan is invalid; the query does not start
     */
    public SubmittedQuery submit(QueryOptions options) {
        Objects.requireNonNull(options, "options");
        long start = System.nanoTime();
        AtomicReference<List<Morsel>> result = new AtomicReference<>();
        CollectSink sink = new CollectSink(result::set, LogicalPlan.fixedRowCount(plan));
        Launched l;
        try {
            l = launch(sink, Engine.STREAMING, options, start);
        } catch (RuntimeException e) {
            closeOrphans(result);
            throw e;
        }
        SubmittedQuery submitted = new SubmittedQuery(l);
        l.whenDone(false, (q, failure) -> {
            if (failure != null) {
                closeOrphans(result);
                submitted.ended(null, failure);
                return;
            }
            DataFrame df;
            try {
                df = frameOf(result, q);
            } catch (RuntimeException e) {
                closeOrphans(result);
                try {
                    q.close();
                } catch (RuntimeException leak) {
                    e.addSuppressed(leak);
                }
                submitted.ended(null, e);
                return;
            }
            submitted.ended(df, null);
        });
        return submitted;
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
        return retrying(() -> {
            CsvSink sink = new CsvSink(path, schema(), options);
            try (Query q = run(sink, Engine.STREAMING)) {
                Objects.requireNonNull(q);
                return sink.rows();
            }
        });
    }

    /** Writes the result to a Parquet file (zstd, 262,144 rows per row group), streaming and atomically; returns the rows written. */
    public long sinkParquet(Path path) {
        return sinkParquet(path, ParquetWriteOptions.defaults());
    }

    /** Like {@link #sinkParquet(Path)} with options (codec, row-group size). */
    public long sinkParquet(Path path, ParquetWriteOptions options) {
        return retrying(() -> {
            ParquetSink sink = new ParquetSink(path, schema(), options);
            try (Query q = run(sink, Engine.STREAMING)) {
                Objects.requireNonNull(q);
                return sink.rows();
            }
        });
    }

    /** Writes the result to an Arrow IPC file (Feather v2, uncompressed), streaming and atomically; returns the rows written. */
    public long sinkIpc(Path path) {
        return retrying(() -> {
            IpcSink sink = new IpcSink(path, schema());
            try (Query q = run(sink, Engine.STREAMING)) {
                Objects.requireNonNull(q);
                return sink.rows();
            }
        });
    }

    /**
     * Writes the result into hive-style partition directories of Parquet files,
     * {@code dir/country=DE/part-00000.parquet}, streaming, with at most
     * {@link Partitioning#maxOpenFiles()} files open at once. The partition columns are not
     * written into the files (the directory names hold them; {@link Spillway#scanParquet} of the
     * directory restores them). Null and empty values go to {@code col=__HIVE_DEFAULT_PARTITION__};
     * characters unsafe in a path are written as {@code %XX} ({@link HivePath}). Files appear only
     * when the query succeeds.
     *
     * <pre>{@code
     * frame.sinkParquet(Path.of("out"), Partitioning.partitionBy("country").withMaxOpenFiles(8));
     * }</pre>
     *
     * @param dir a new or empty directory
     * @return rows written
     * @throws IllegalArgumentException for an unknown or float64 partition column
     * @throws dev.spillway.errors.FormatException when {@code dir} is not empty or cannot be written
     */
    public long sinkParquet(Path dir, Partitioning partitioning) {
        return sinkParquet(dir, ParquetWriteOptions.defaults(), partitioning);
    }

    /** Like {@link #sinkParquet(Path, Partitioning)} with options (codec, row-group size). */
    public long sinkParquet(Path dir, ParquetWriteOptions options, Partitioning partitioning) {
        Schema s = schema();
        return sinkPartitioned((budget, log) -> ParquetSink.partitioned(dir, s, options, partitioning, engine.pool(), budget, log));
    }

    /** Like {@link #sinkParquet(Path, Partitioning)}, writing Arrow IPC files ({@code part-00000.arrow}). */
    public long sinkIpc(Path dir, Partitioning partitioning) {
        Schema s = schema();
        return sinkPartitioned((budget, log) -> IpcSink.partitioned(dir, s, partitioning, engine.pool(), budget, log));
    }

    /** Like {@link #sinkParquet(Path, Partitioning)}, writing CSV files ({@code part-00000.csv}) with {@code options}. */
    public long sinkCsv(Path dir, CsvOptions options, Partitioning partitioning) {
        Schema s = schema();
        return sinkPartitioned((budget, log) -> CsvSink.partitioned(dir, s, options, partitioning, engine.pool(), budget, log));
    }

    private long sinkPartitioned(SinkFactory factory) {
        return retrying(() -> {
            PartitionedFileSink[] made = new PartitionedFileSink[1];
            try (Query q = run((budget, log) -> made[0] = (PartitionedFileSink) factory.create(budget, log), Engine.STREAMING)) {
                Objects.requireNonNull(q);
                return made[0].rows();
            }
        });
    }

    /**
     * The memory of one query run; released when its result is closed. Closing it also ends the
     * query's registration with the engine, which {@link Spillway#close()} waits for.
     */
    record Query(BlockPool pool, MemoryBudget budget, MemoryManager manager, SpillDirectory spills,
            Spillway.RunningQuery running, SpillManager spillManager, List<Path> staged) implements AutoCloseable {
        /**
         * Ends the run's hold on the disk: the sinks' staged outputs are forgotten (they moved
         * into place or were deleted by now) and the spill directory is deleted. Idempotent.
         */
        void releaseDisk() {
            synchronized (staged) {
                staged.forEach(spillManager::stagingEnded);
                staged.clear();
            }
            spills.close();
        }

        @Override
        public void close() {
            try {
                releaseDisk();
            } finally {
                try {
                    manager.close();
                    budget.close();
                } finally {
                    try {
                        // Between queries the pool keeps only part of its reserve resident; this
                        // runs after the sinks and the spill directory gave their buffers back, on
                        // the pool's own thread so that the caller does not wait for the OS.
                        pool.releaseIdleInBackground();
                    } finally {
                        running.end();
                    }
                }
            }
        }
    }

    /** Makes the sink of a query once the query's budget and event log exist. */
    @FunctionalInterface
    private interface SinkFactory {
        Sink<?> create(MemoryBudget budget, EventSink log);
    }

    private Query run(Sink<?> sink, Engine how) {
        return launch(sink, how, QueryOptions.defaults(), System.nanoTime()).await();
    }

    /** Runs the query into the sink that {@code factory} makes once the query's budget and log exist. */
    private Query run(SinkFactory factory, Engine how) {
        return launch(engine, List.of(plan), List.of(factory), Collections.singletonList(null), how, QueryOptions.defaults(),
                System.nanoTime()).await();
    }

    private Launched launch(Sink<?> sink, Engine how, QueryOptions options, long startNanos) {
        return launch(engine, List.of(plan), List.of((budget, log) -> sink), List.of(sink), how, options, startNanos);
    }

    /**
     * Writes every target from one run of one plan ({@link Spillway#sinkAll}).
     *
     * @return rows written per target
     */
    static long[] sinkAll(Spillway engine, List<SinkTarget> targets) {
        boolean once = targets.stream().anyMatch(t -> LogicalPlan.readsOnce(t.frame().plan));
        return once ? sinkAllOnce(engine, targets) : engine.retryingAlone(() -> sinkAllOnce(engine, targets));
    }

    private static long[] sinkAllOnce(Spillway engine, List<SinkTarget> targets) {
        List<SinkTarget.Opened> opened = new ArrayList<>();
        try {
            for (SinkTarget t : targets) {
                opened.add(t.open());
            }
        } catch (RuntimeException e) {
            opened.forEach(o -> closeQuietly(o.sink(), e));
            throw e;
        }
        List<LogicalPlan> plans = new ArrayList<>();
        List<Sink<?>> sinks = new ArrayList<>();
        List<SinkFactory> factories = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            Sink<?> sink = opened.get(i).sink();
            plans.add(targets.get(i).frame().plan);
            sinks.add(sink);
            factories.add((budget, log) -> sink);
        }
        try (Query q = launch(engine, PhysicalPlanner.cacheShared(plans), factories, sinks, Engine.STREAMING,
                QueryOptions.defaults(), System.nanoTime()).await()) {
            Objects.requireNonNull(q);
            long[] rows = new long[targets.size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = opened.get(i).rows().getAsLong();
            }
            return rows;
        } catch (RuntimeException e) {
            // Closing is idempotent: this also covers a run that failed before its plan started.
            sinks.forEach(s -> closeQuietly(s, e));
            throw e;
        }
    }

    /**
     * Plans {@code plans} as one query, plan {@code i} into sink {@code i}: {@code given.get(i)}
     * when the caller made it already (closed on failure before it is used), else the sink that
     * {@code factories.get(i)} makes once the query's budget and event log exist; then submits it
     * to the workers. The deadline of {@code options} counts from {@code startNanos}.
     *
     * @throws RuntimeException when the query could not start; everything it took is released
     */
    private static Launched launch(Spillway engine, List<LogicalPlan> plans, List<SinkFactory> factories, List<Sink<?>> given,
            Engine how, QueryOptions options, long startNanos) {
        List<Sink<?>> sinks = new ArrayList<>(given);
        String name = engine.nextQueryName(options.name());
        Spillway.RunningQuery running;
        try {
            running = engine.queryStarted(name);
        } catch (RuntimeException e) {
            closeAll(sinks, e);
            throw e;
        }
        try {
            return launch(engine, name, running, plans, factories, sinks, how, options, startNanos);
        } catch (RuntimeException e) {
            // Every path that fails has released the query's resources by now.
            running.end();
            engine.queryFailed(running);
            throw cancelledIfInterrupted(name, e);
        } catch (Error e) {
            running.end();
            engine.queryFailed(running);
            throw e;
        }
    }

    /**
     * An interrupt of the calling thread is a cancellation wherever it lands: while the query is
     * awaited the handle says so itself; before that (planning maps the input files, a sink opens
     * its file) it breaks an interruptible channel, and that failure becomes the cancellation's
     * cause. Other failures pass unchanged.
     */
    private static RuntimeException cancelledIfInterrupted(String name, RuntimeException e) {
        if (e instanceof QueryCancelledException || !Thread.currentThread().isInterrupted()) {
            return e;
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.nio.channels.ClosedByInterruptException || c instanceof InterruptedException
                    || c instanceof java.io.InterruptedIOException) {
                return QueryCancelledException.interrupted(name, e);
            }
        }
        return e;
    }

    private static Launched launch(Spillway engine, String name, Spillway.RunningQuery running, List<LogicalPlan> plans,
            List<SinkFactory> factories, List<Sink<?>> sinks, Engine how, QueryOptions options, long startNanos) {
        List<LogicalPlan> optimized = Optimizer.optimizeAll(plans);
        boolean inMemory = how == Engine.IN_MEMORY;
        MemoryBudget parent = inMemory ? engine.unlimitedBudget() : engine.budget();
        long quota = inMemory ? -1 : options.memoryQuotaBytes();
        MemoryBudget budget = quota < 0 ? parent.child(name) : parent.child(name, quota);
        MemoryManager manager = new MemoryManager(budget);
        SpillDirectory spills;
        try {
            spills = engine.spills().createQueryDirectory(name, budget, options.spillQuotaBytes());
        } catch (RuntimeException e) {
            manager.close();
            budget.close();
            closeAll(sinks, e);
            throw e;
        }
        Query q = new Query(engine.pool(), budget, manager, spills, running, engine.spills(), new ArrayList<>());
        QueryContext ctx = options.deadline() == null ? new QueryContext(name)
                : new QueryContext(name, options.deadline(), startNanos);
        long cap = inMemory ? MemoryBudget.UNLIMITED : Math.min(engine.config().memoryLimit(), quota < 0 ? Long.MAX_VALUE : quota);
        QueryRecorder recorder = new QueryRecorder(engine, name, budget, spills, cap);
        manager.addListener(recorder.pressureListener());
        manager.cancelWhen(ctx::isCancelled);
        // Another query's thread spilling this query's state failed (a full disk): this query
        // fails as if its own worker had; the other query goes on.
        manager.onSpillFailure((party, askedBy, failure) -> ctx.failOutside(failure,
                party.name() + " (spilling for " + askedBy + ")"));
        Launched launched = new Launched(engine, name, q, recorder, sinks);
        try {
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < sinks.size(); i++) {
                if (sinks.get(i) == null) {
                    sinks.set(i, factories.get(i).create(budget, recorder::log));
                }
                if (sinks.get(i) instanceof StagedOutput staged) {
                    // Journaled in the engine's spill directory until the query ends, so that an
                    // engine started after this process was killed deletes the sink's leftovers.
                    engine.spills().stagingStarted(staged.stagingPath());
                    q.staged().add(staged.stagingPath());
                }
                labels.add(sinkLabel(sinks.get(i)));
            }
            launched.explained = PhysicalPlanner.explain(optimized, labels);
            // A memory quota shrinks the default morsels as a smaller engine limit would.
            int morselRows = quota < 0 ? engine.config().morselRows()
                    : Math.min(engine.config().morselRows(), SpillwayConfig.defaultMorselRows(quota, engine.workers().threads()));
            OperatorContext query = OperatorContext.of(engine.pool(), budget, spills).withEvents(recorder::log)
                    .withOutputRows(morselRows).withForceSpill(engine.forceSpillNow());
            launched.qp = new PhysicalPlanner(query, manager, engine.workers().threads()).sortFanIn(engine.sortFanIn())
                    .forceRepartition(engine.config().forceSpill() >= 1.0).plan(optimized, sinks, name);
            recorder.log(new QueryStarted(name, launched.qp.pipelines().size()));
            launched.t0 = System.nanoTime();
            QueryHandle handle = engine.workers().submit(launched.qp, ctx);
            launched.handle = handle;
            running.submitted(handle);
            recorder.started(handle);
            return launched;
        } catch (RuntimeException e) {
            throw launched.failed(e, true, false);
        }
    }

    /**
     * A query submitted to the workers: waited for on the caller's thread ({@link #await()}, as
     * {@code collect()} and the sinks do), or finished off it ({@link #whenDone}, as streams and
     * submitted queries do). Either way, once the query ended its profile is recorded and, on
     * failure, what it held is released.
     */
    static final class Launched {
        /** Runs the end of a query waited for off the caller's thread: spill files are deleted there, never on a worker. */
        private static final java.util.concurrent.Executor FINISHER = r -> Thread.ofVirtual().name("spillway-finish").start(r);

        private final Spillway engine;
        private final String name;
        private final Query q;
        private final QueryRecorder recorder;
        private final List<Sink<?>> sinks;
        // Set by launch() before the object is shared; read by the thread that finishes the query.
        private String explained;
        private QueryPlan qp;
        private QueryHandle handle;
        private long t0;
        private volatile QueryProfile profile;

        private Launched(Spillway engine, String name, Query q, QueryRecorder recorder, List<Sink<?>> sinks) {
            this.engine = engine;
            this.name = name;
            this.q = q;
            this.recorder = recorder;
            this.sinks = sinks;
        }

        /** Whether the calling thread is one of the engine's workers. */
        boolean onWorker() {
            return engine.workers().isWorker(Thread.currentThread());
        }

        String name() {
            return name;
        }

        QueryHandle handle() {
            return handle;
        }

        Query query() {
            return q;
        }

        /** The profile once the query ended and it was recorded, else null. */
        QueryProfile profile() {
            return profile;
        }

        /** A snapshot of the query's progress now (the last one once it ended). */
        QueryProgress progress() {
            return recorder.snapshot();
        }

        /**
         * Cancels the query with {@code reason} in its {@link QueryCancelledException}.
         *
         * @return whether this call decided the query's outcome
         */
        boolean cancel(String reason) {
            return handle.cancel(reason);
        }

        /** Waits on this thread; returns the query's resources (the caller owns them) or throws its failure. */
        Query await() {
            try {
                handle.await();
            } catch (RuntimeException e) {
                throw failed(e, true, false);
            } catch (Error e) {
                RuntimeException ignored = failed(new IllegalStateException(e), true, false);
                e.addSuppressed(ignored);
                throw e;
            }
            try {
                succeeded(true);
            } catch (RuntimeException e) {
                throw failed(e, true, false);
            }
            return q;
        }

        /**
         * Finishes the query off the caller's thread once it ends, then calls {@code then} with
         * its resources (success; the callee owns them) or its failure.
         *
         * @param keepMemory on failure, whether the query's budget stays open (a stream's
         *                   consumer may still hold batches charged to it); the disk and the
         *                   engine registration are released either way
         */
        void whenDone(boolean keepMemory, java.util.function.BiConsumer<Query, RuntimeException> then) {
            handle.future().whenCompleteAsync((ok, thrown) -> {
                RuntimeException failure = null;
                if (thrown != null) {
                    failure = failed(unwrap(thrown), false, keepMemory);
                } else {
                    try {
                        succeeded(false);
                    } catch (RuntimeException e) {
                        failure = failed(e, false, keepMemory);
                    }
                }
                then.accept(failure == null ? q : null, failure);
            }, FINISHER);
        }

        private static RuntimeException unwrap(Throwable t) {
            Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
            return c instanceof RuntimeException re ? re : new IllegalStateException("query ended with an unexpected outcome", c);
        }

        private void succeeded(boolean callerThread) {
            recorder.log(new QueryFinished(name, (System.nanoTime() - t0) / 1_000_000, q.budget().peak(),
                    q.spills().stats().bytesWrittenCompressed(), q.spills().stats().bytesRead()));
            QueryProfile p = recorder.finish(true, explained, qp, sinks, q.manager());
            profile = p;
            engine.recordProfile(p, callerThread);
        }

        /**
         * Records the failed run's profile, closes its sinks and releases what it held (all of it,
         * or all but the memory budget with {@code keepMemory}), ends its registration.
         *
         * @return the exception to throw
         */
        RuntimeException failed(RuntimeException e, boolean callerThread, boolean keepMemory) {
            List<Sink<?>> made = sinks.stream().<Sink<?>>filter(Objects::nonNull).toList();
            try {
                QueryProfile p = recorder.finish(false, explained, qp, made, q.manager());
                profile = p;
                engine.recordProfile(p, callerThread);
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            closeAll(made, e);
            try {
                if (keepMemory) {
                    q.releaseDisk();
                } else {
                    q.close();
                }
            } catch (RuntimeException leak) {
                e.addSuppressed(leak);
            } finally {
                recorder.close();
                q.running().end();
            }
            if (callerThread) {
                engine.queryFailed(q.running());
                return cancelledIfInterrupted(name, e);
            }
            return e;
        }
    }

    private static void closeAll(List<Sink<?>> sinks, RuntimeException primary) {
        for (Sink<?> s : sinks) {
            if (s != null) {
                closeQuietly(s, primary);
            }
        }
    }

    /** The top line of {@code explain()} for a query writing into {@code sink}. */
    private static String sinkLabel(Sink<?> sink) {
        return switch (sink) {
            case CsvSink c -> "STREAMING_SINK_CSV";
            case ParquetSink p -> "STREAMING_SINK_PARQUET";
            case IpcSink i -> "STREAMING_SINK_IPC";
            case PartitionedFileSink p -> "STREAMING_SINK_PARTITIONED " + p.name().substring("sink ".length());
            case StreamSink r -> "STREAMING_RESULT_STREAM";
            default -> "STREAMING_COLLECT";
        };
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
