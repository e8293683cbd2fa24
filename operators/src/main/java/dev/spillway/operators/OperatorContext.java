package dev.spillway.operators;

import dev.spillway.event.EventSink;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.spill.RowStore;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.StoreBuilder;

import java.util.Objects;

/**
 * What a spilling operator needs from its query: the block pool, its own memory budget, the
 * budget its output morsels are charged to, the spill directory, where its events go, and the
 * debug settings. Immutable; the {@code with...} methods return a changed copy.
 *
 * <p>A planner builds one context per query, whose {@link #budget()} and {@link #outputBudget()}
 * are both the query's budget, and gives each operator {@link #child(String) child(name)}: the
 * same context with a child budget of its own, which the operator closes. Output morsels outlive
 * the operator (the next pipeline releases them), so they stay charged to the query's budget.
 */
public final class OperatorContext {
    /** Default most rows per output morsel. */
    public static final int DEFAULT_OUTPUT_ROWS = 64 * 1024;

    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryBudget outputBudget;
    private final SpillDirectory spills;
    private final EventSink events;
    private final int outputRows;
    private final double forceSpill;

    private OperatorContext(BlockPool pool, MemoryBudget budget, MemoryBudget outputBudget, SpillDirectory spills,
            EventSink events, int outputRows, double forceSpill) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.outputBudget = Objects.requireNonNull(outputBudget, "outputBudget");
        this.spills = spills;
        this.events = Objects.requireNonNull(events, "events");
        if (outputRows < 1) {
            throw new IllegalArgumentException("output rows per morsel must be at least 1, got " + outputRows);
        }
        if (!(forceSpill >= 0 && forceSpill <= 1)) {
            throw new IllegalArgumentException("forced-spill fraction must be between 0 and 1, got " + forceSpill);
        }
        this.outputRows = outputRows;
        this.forceSpill = forceSpill;
    }

    /**
     * A context whose own and output budget are both {@code budget}, with no events, no forced
     * spilling and {@value #DEFAULT_OUTPUT_ROWS} rows per output morsel.
     *
     * @param spills the spill directory; may be null for operators that never spill
     */
    public static OperatorContext of(BlockPool pool, MemoryBudget budget, SpillDirectory spills) {
        return new OperatorContext(pool, budget, budget, spills, EventSink.NONE, DEFAULT_OUTPUT_ROWS, 0);
    }

    /**
     * This context with a new child of {@link #budget()} named {@code name} as the operator's own
     * budget; the output budget stays. The operator that receives it closes that budget.
     */
    public OperatorContext child(String name) {
        return withBudget(budget.child(name));
    }

    /** This context with {@code budget} as the operator's own budget. */
    public OperatorContext withBudget(MemoryBudget budget) {
        return new OperatorContext(pool, budget, outputBudget, spills, events, outputRows, forceSpill);
    }

    /** This context with {@code outputBudget} as the budget output morsels are charged to. */
    public OperatorContext withOutputBudget(MemoryBudget outputBudget) {
        return new OperatorContext(pool, budget, outputBudget, spills, events, outputRows, forceSpill);
    }

    /** This context with {@code spills} as the spill directory (null for operators that never spill). */
    public OperatorContext withSpills(SpillDirectory spills) {
        return new OperatorContext(pool, budget, outputBudget, spills, events, outputRows, forceSpill);
    }

    /** This context reporting events to {@code events}. */
    public OperatorContext withEvents(EventSink events) {
        return new OperatorContext(pool, budget, outputBudget, spills, events, outputRows, forceSpill);
    }

    /**
     * This context with at most {@code outputRows} rows per output morsel (an operator may cap it
     * lower).
     *
     * @throws IllegalArgumentException when {@code outputRows < 1}
     */
    public OperatorContext withOutputRows(int outputRows) {
        return new OperatorContext(pool, budget, outputBudget, spills, events, outputRows, forceSpill);
    }

    /**
     * This context with a forced-spill fraction: a debug setting that makes operators write this
     * fraction (0 to 1) of their state to disk whatever the memory, to exercise the out-of-core
     * paths; each operator's {@code forceSpill} says what exactly it spills.
     *
     * @throws IllegalArgumentException when the fraction is outside 0 to 1
     */
    public OperatorContext withForceSpill(double fraction) {
        return new OperatorContext(pool, budget, outputBudget, spills, events, outputRows, fraction);
    }

    /**
     * A {@link RowStore} of rows of {@code schema} for the operator {@code component} (its name in
     * events), with this context's pool, own budget, spill directory, events and forced-spill
     * fraction already set; finish it with {@code partitioned(...)} or {@code streams()}.
     *
     * @throws IllegalStateException when the context has no spill directory
     */
    public StoreBuilder store(String component, Schema schema) {
        if (spills == null) {
            throw new IllegalStateException(component + ": this context has no spill directory to build a store on");
        }
        return RowStore.builder(component, schema, pool, budget, spills).events(events).forceSpill(forceSpill);
    }

    /** The block pool native memory comes from. */
    public BlockPool pool() {
        return pool;
    }

    /** The operator's own budget (the query's, before {@link #child}). */
    public MemoryBudget budget() {
        return budget;
    }

    /** The budget output morsels are charged to; they outlive the operator. */
    public MemoryBudget outputBudget() {
        return outputBudget;
    }

    /** Where the operator spills; null when the context was made for operators that never spill. */
    public SpillDirectory spills() {
        return spills;
    }

    /** Where the operator reports its events. */
    public EventSink events() {
        return events;
    }

    /** Most rows per output morsel. */
    public int outputRows() {
        return outputRows;
    }

    /** The forced-spill fraction (0: spill only under memory pressure). */
    public double forceSpill() {
        return forceSpill;
    }
}
