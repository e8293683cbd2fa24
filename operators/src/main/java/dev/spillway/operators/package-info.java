/**
 * Operators and the sources and sinks around them; the spilling operators live in sub-packages
 * ({@code join}, {@code groupby}, {@code sort}, {@code mux}, {@code merge}).
 *
 * <p><b>Operator context.</b> Every spilling operator takes an {@link dev.spillway.operators.OperatorContext}
 * instead of a long constructor list: the block pool, the operator's own budget, the budget its
 * output morsels are charged to, the spill directory, the {@link dev.spillway.event.EventSink} its
 * events go to, and the debug settings (rows per output morsel, forced-spill fraction). A planner
 * makes one context per query, whose own and output budgets are both the query's budget, and hands
 * each operator {@code query.child("equi-join-3")}: the same context with a child budget that the
 * operator owns and closes. Output morsels outlive the operator (the next pipeline releases them),
 * which is why they stay charged to the query's budget. The context is immutable; tests and
 * benchmarks derive variants with the {@code with...} methods
 * ({@code OperatorContext.of(pool, budget, spills).child("join").withEvents(events::add)}).
 *
 * <p><b>Events.</b> Operators report what they do (evictions, reloads, merge passes, completion) as
 * typed records of {@code dev.spillway.event}, never as strings: the engine's profile and the tests
 * read their fields, and only the verbose log renders them with {@code line()}.
 */
package dev.spillway.operators;
