/**
 * Morsel-driven pull execution (Leis et al., "Morsel-Driven Parallelism", SIGMOD 2014).
 *
 * <h2>Model</h2>
 * A {@link dev.spillway.scheduler.QueryPlan} is a DAG of {@link dev.spillway.scheduler.Pipeline}s:
 * a {@link dev.spillway.scheduler.Source}, stateless {@link dev.spillway.scheduler.Operator}s and a
 * {@link dev.spillway.scheduler.Sink}. A pipeline starts when the pipelines it depends on (the
 * breakers whose output it reads, e.g. a join build) have finished. Workers of one
 * {@link dev.spillway.scheduler.WorkerPool} pull work; nothing pushes, so a sink that is spilling
 * simply stops being fed ({@link dev.spillway.scheduler.Sink#ready()}) instead of negotiating with
 * producers whose batches are already queued behind it — the flaw of push-based engines.
 *
 * <h2>Tickets</h2>
 * A running pipeline owns {@code maxInFlight} tickets on the pool's queue. A worker that polls a
 * ticket pulls one morsel, runs it through the operators into the sink with its own worker-local
 * sink state, and re-queues the ticket at the tail. Hence exact backpressure (at most
 * {@code maxInFlight} morsels between source and sink) and round-robin sharing between all
 * pipelines of all queries. Combine (one task per worker-local state) and finish (one task) also
 * run as tasks on the pool.
 *
 * <h2>Memory ordering</h2>
 * The queue (JCTools {@code MpmcAtomicArrayQueue}) publishes tasks with release/acquire semantics,
 * so whatever a task wrote before being queued is visible to the worker that polls it. Ticket,
 * combine and task counts are {@code AtomicInteger}s whose decrement-to-zero hands the phase over:
 * the thread that retires the last ticket reads every worker-local state written before the other
 * retirements. Worker-local sink states are touched only by their worker until then.
 *
 * <h2>Failure</h2>
 * The first exception cancels the query ({@link dev.spillway.scheduler.QueryContext}); queued tasks
 * of a cancelled query are dropped when polled; when the query's outstanding-task count reaches
 * zero its sources, operators, sinks and registered resources are closed exactly once and the
 * waiting caller gets a {@link dev.spillway.scheduler.QueryExecutionException} naming the pipeline
 * and operator, with the original exception as cause. Workers never die of a task's failure.
 */
package dev.spillway.scheduler;
