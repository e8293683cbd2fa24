/**
 * The streaming multiplexer: one upstream pipeline fanned out to several consumer pipelines that
 * run at the same time as the producer.
 *
 * <p><b>Sharing, not copying.</b> Every consumer receives every morsel as a zero-copy view
 * ({@link dev.spillway.memory.Morsel#withSequence}), which retains the reference-counted native
 * buffers; the bytes are charged once to the budget and freed when the last consumer is done with
 * them. Copying would double memory and bandwidth per consumer for nothing: morsels are immutable
 * once produced.
 *
 * <p><b>Order and sequence numbers.</b> The producer's morsels are put back in source order
 * ({@link dev.spillway.scheduler.ReorderBuffer}) before they are published, and each consumer
 * numbers what it hands out densely from 0 in that order, from its own backlog. An order-sensitive
 * consumer (a file sink) therefore only ever waits for morsels that are already in its own
 * backlog or still upstream of the multiplexer — never for a morsel held in another consumer's
 * path.
 *
 * <p><b>Backlogs spill instead of blocking.</b> The producer never waits for a consumer. Each
 * consumer has its own FIFO backlog; beyond its share of the multiplexer's memory, or when the
 * query's memory manager asks, the morsels waiting in a backlog are written to disk and read back,
 * in order, when the consumer gets there. The backlogs are the streams of one
 * {@link dev.spillway.spill.StreamStore} (one per consumer, morsels added as shared views), which
 * chooses the victims, writes their blocks into its shared files and deletes a file once every
 * backlog read its blocks back; an evicted backlog keeps taking new morsels in memory. A consumer
 * that cannot start until another finished (the probe side of a join whose build side also reads
 * the multiplexer) thus absorbs the whole input on disk, and a slow consumer does not stall a fast
 * one.
 *
 * <p><b>Readers that stop early detach.</b> A reader whose pipeline will not pull again (a
 * satisfied {@code head}: its {@link dev.spillway.operators.EarlyStopSource} calls
 * {@link dev.spillway.scheduler.Source#detach()}, passed down through chained sources) has its
 * backlog released at once and is left out of later publishes, instead of absorbing the rest of
 * the input on disk for nothing. The producer's own source is wrapped in an early stop on
 * {@link dev.spillway.operators.mux.Multiplexer#allDetached()}: when no reader is left it stops.
 */
package dev.spillway.operators.mux;
