/**
 * The public API: {@link dev.spillway.Spillway} (the engine), {@link dev.spillway.LazyFrame}
 * (a query not yet run), {@link dev.spillway.Expr}, {@link dev.spillway.DataFrame} (an off-heap
 * result), {@link dev.spillway.ResultStream} (a result read batch by batch while the query runs),
 * {@link dev.spillway.SubmittedQuery} (a query running while its caller goes on),
 * {@link dev.spillway.QueryOptions} (per-query quotas and deadline) and
 * {@link dev.spillway.QueryProfile}.
 *
 * <p>Result hand-off: a stream's sink is a bounded, order-restoring queue that refuses morsels
 * instead of blocking a worker when the reader falls behind; its batches are frames the reader
 * owns, and the query's budget closes when the stream and its last batch are closed (see
 * {@code docs/ARCHITECTURE.md}, "Result hand-off"). Queries run off the caller's thread are
 * finished (profile, release of spill files) on a virtual thread, never on a worker.
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
