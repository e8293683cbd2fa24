/**
 * The public API: {@link dev.spillway.Spillway} (the engine), {@link dev.spillway.LazyFrame}
 * (a query not yet run), {@link dev.spillway.Expr}, {@link dev.spillway.DataFrame} (an off-heap
 * result) and {@link dev.spillway.QueryProfile}.
 *
 * <p>Observability choices: every query run gets a {@code QueryRecorder} that sees the query's
 * event lines (it is the log the physical planner hands to operators), the memory manager's
 * pressure callbacks and, through a daemon thread that lives exactly as long as the query, samples
 * of memory, spill-directory bytes and pipeline progress every 50 ms. Sampling rather than
 * hooking every reservation keeps the hot path (a CAS per reservation) untouched; the exact
 * figures come from counters the layers already keep: the query budget's peak, the query spill
 * directory's {@link dev.spillway.spill.SpillStats} and the scheduler's
 * {@link dev.spillway.scheduler.PipelineStats}, so a profile adds up with what the spiller counted.
 */
package dev.spillway;
