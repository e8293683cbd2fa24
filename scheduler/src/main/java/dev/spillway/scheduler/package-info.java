/**
 * Morsel-driven pull execution (Leis et al., "Morsel-Driven Parallelism", SIGMOD 2014).
 *
 * <h2>Model</h2>
 * A {@link dev.spillway.scheduler.QueryPlan} is a DAG of {@link dev.spillway.scheduler.Pipeline}s:
 * a {@link dev.spillway.scheduler.Source}, stateless {@link dev.spillway.scheduler.Operator}s and a
 * {@link dev.spillway.scheduler.Sink} with per-worker local state. A pipeline starts when the
 * pipelines it depends on (the breakers whose output it reads, e.g. a join build) have finished;
 * pipelines without a path between them run at the same time, and a source fed by such a
 * concurrent pipeline says "nothing now" ({@link dev.spillway.scheduler.Source#isExhausted()}).
 * Workers of one {@link dev.spillway.scheduler.WorkerPool} pull work; nothing pushes. A sink that
 * is spilling therefore simply stops being fed — it is not {@link dev.spillway.scheduler.Sink#ready()
 * ready}, or it {@linkplain dev.spillway.scheduler.Sink#offer refuses} the morsel in hand — instead
 * of negotiating with producers whose batches are already queued behind it, the weak point of
 * push-based engines.
 *
 * <h2>Tickets</h2>
 * A running pipeline owns {@code maxInFlight} tickets on the pool's queue. A worker that polls a
 * ticket pulls one morsel, runs it through the operators into the sink with its own worker-local
 * sink state, and re-queues the ticket at the tail. A ticket carries at most one morsel — the one
 * a refusing sink made wait included — which makes the bound on morsels in flight exact and the
 * memory of a pipeline predictable. Re-queueing at the tail makes the workers round-robin over the
 * runnable pipelines of all queries, so one pool serves many concurrent queries fairly and a small
 * query is never stuck behind a large one. Combine (one task per worker-local state) and finish
 * (one task) also run as tasks on the pool. Sequence numbers from the source let order-sensitive
 * sinks restore source order ({@link dev.spillway.scheduler.ReorderBuffer}); an operator that filters
 * a whole morsel away makes the scheduler report the gap
 * ({@link dev.spillway.scheduler.Sink#skip}).
 *
 * <h2>End of input and completion: the protocol</h2>
 * Who may say "done", when, and what becomes of a morsel in flight. Each rule is enforced or
 * checked where it is named; the jcstress module tests the racy ones.
 * <ol>
 *   <li><b>A source ends once.</b> {@link dev.spillway.scheduler.Source#next} returning null with
 *       {@link dev.spillway.scheduler.Source#isExhausted()} true is the real end; null with
 *       {@code isExhausted()} false is a transient end (nothing now, more later). A source may say
 *       "exhausted" only when no call of {@code next}, by any puller, will ever return a morsel
 *       again; a morsel already handed to a puller does not count against this — that puller owns
 *       it and its ticket is still live. A source fed by a concurrent producer reads its "ended"
 *       flag before its emptiness, and the producer publishes before it ends, so "exhausted" is
 *       never said while a published morsel waits. Wrappers ({@code ChainSource},
 *       {@code ConcatSource}, {@code EarlyStopSource}) pass transient ends on and never turn one
 *       into a real end.</li>
 *   <li><b>A source with a second phase</b> (a join's unmatched rows and spilled partitions after
 *       its probe) starts that phase only when no first-phase work exists or can start. The
 *       decision is one atomic count of live work (cursors, queued or held, plus input pulls in
 *       progress) read after the input's end flag is set, both sequentially consistent; never two
 *       separate reads (a queue's emptiness and an in-flight count), between which a puller can take
 *       the last item.</li>
 *   <li><b>A pipeline's input ends when its last ticket retires.</b> A ticket retires only after a
 *       pull returned the real end; it carries at most one morsel and retires empty-handed, so when
 *       the retirement count reaches zero no morsel of the pipeline is in flight. The last ticket
 *       checks this (morsels pulled = morsels landed) and fails the query with an internal error
 *       otherwise; a morsel that reaches the sink after that point is refused the same way.</li>
 *   <li><b>Combine, then finish, once each.</b> The last retirement enqueues one combine per
 *       worker-local state; the last combine enqueues the finish; only then do dependants start.</li>
 *   <li><b>A pipeline starts once.</b> The roots are chosen from the plan's declared dependencies
 *       before any of them starts; every other pipeline is started by the finish that brings its
 *       unfinished-dependency count to zero. (Choosing roots by the live counters let a tiny root
 *       finish and start its dependant while the submitting thread was still looping, which then
 *       started it again: an empty result and a leaked morsel.) A second start throws.</li>
 *   <li><b>The query completes</b> when its last pipeline finished and its outstanding-task count
 *       reaches zero; only then are its sources, sinks and resources closed. A collector whose plan
 *       fixes the row count (a global aggregate: one row) checks it at the finish.</li>
 * </ol>
 *
 * <h2>Idle workers</h2>
 * A worker that finds nothing to do backs off — spin, yield, park for growing periods (Agrona's
 * {@code BackoffIdleStrategy}) — and then parks until woken, so an idle pool burns no core. New
 * work wakes one sleeping worker, and a worker that takes a task while more are queued passes the
 * wake-up on. Tickets that cannot progress (refusing sink, waiting source) stay on the queue, so
 * workers only back off with a bounded park and retry within a millisecond.
 *
 * <h2>Memory ordering</h2>
 * <ul>
 *   <li>The queue (JCTools {@code MpmcAtomicArrayQueue}, field updaters rather than {@code Unsafe})
 *       publishes a task with a release store and hands it over with an acquire load, so whatever a
 *       task wrote before being queued — a ticket's waiting morsel, a worker-local state — is
 *       visible to the worker that polls it next.</li>
 *   <li>Ticket, combine and outstanding-task counts are {@code AtomicInteger}s whose decrement to
 *       zero hands a phase over: the read-modify-writes form one release sequence, so the thread
 *       that retires the last ticket reads every worker-local state written before any earlier
 *       retirement; likewise the last combine before the finish, and the last outstanding task
 *       before the release of the query's resources.</li>
 *   <li>Sleeping and waking follow Dekker's pattern with sequentially consistent atomics: a worker
 *       announces itself asleep before it re-checks the queue, an enqueuer publishes the task before
 *       it looks for sleepers, so a wake-up is never lost.</li>
 *   <li>Cancellation is a volatile flag written after the first failure is recorded (CAS), so a
 *       task that sees the flag sees the failure. Worker counters have a single writer and are
 *       published with {@code setRelease}, read with {@code getAcquire}; per-pipeline counters are
 *       {@code LongAdder}s, whose cells are padded against false sharing.</li>
 * </ul>
 *
 * <h2>Failure, cancellation, timeouts</h2>
 * The first exception cancels the query ({@link dev.spillway.scheduler.QueryContext}); running
 * tasks stop at their next operator, queued tasks of a cancelled query are discarded when polled
 * (closing the morsels and local states they hold), and when the query's outstanding-task count
 * reaches zero its worker-local states, sources, operators, sinks and registered resources (memory
 * budgets, spill directories) are closed exactly once. The caller gets a
 * {@link dev.spillway.errors.QueryExecutionException} naming the pipeline and operator, with the
 * original exception as cause and later failures suppressed; cancellations and timeouts are its
 * subclasses {@link dev.spillway.errors.QueryCancelledException} and
 * {@link dev.spillway.errors.QueryTimeoutException}. Workers never die of a task's failure.
 *
 * <h2>Pinning</h2>
 * {@link dev.spillway.scheduler.CpuAffinity} confines the restricted FFM downcalls
 * ({@code sched_setaffinity}, {@code sched_getaffinity}, {@code sched_getcpu}); off Linux pinning
 * is a no-op announced once.
 */
package dev.spillway.scheduler;
