/**
 * Native memory: every byte Spillway uses off-heap is obtained here.
 *
 * <h2>Budgets</h2>
 * {@link dev.spillway.memory.MemoryBudget} is a tree of hard caps (process, query, operator). A
 * reservation is a lock-free compare-and-set loop per level on a counter that sits alone on its
 * cache line ({@code PaddedCounter}): reservations are frequent (one per column buffer) and come
 * from every worker, so false sharing with neighbouring fields would make each one a cache miss.
 * A reservation charges the whole path to the root and rolls back if any level refuses.
 *
 * <h2>Pressure</h2>
 * A {@link dev.spillway.memory.MemoryManager} attached to a query budget turns a refused
 * reservation into spilling: {@link dev.spillway.memory.Spillable} parties are asked, largest
 * first, to free memory on the requesting thread; only when none can does the reservation fail
 * with {@link dev.spillway.errors.MemoryLimitExceededException}. Parties answer 0 when busy rather
 * than wait, which is what keeps reclamation free of deadlock. One
 * {@link dev.spillway.memory.MemoryArbiter} on the root budget (one per engine) serves every
 * query's manager: a reservation that fails may make another query's party spill (the largest
 * holders over their fair share of the cap first), and when nothing can be spilled it waits a
 * bounded time, without holding the reclamation lock, for other queries to release memory.
 *
 * <h2>Blocks</h2>
 * {@link dev.spillway.memory.BlockPool} carves fixed-size blocks from long-lived shared arenas and
 * recycles them through lock-free LIFO free lists, in power-of-two size classes below the block
 * size. {@link dev.spillway.memory.NativeBuffer} is the reference-counted handle: zero-copy views
 * retain it, the last close returns memory to the pool and bytes to the budget.
 *
 * <h2>Columns and morsels</h2>
 * Column vectors use the Apache Arrow layout (fixed-width values, int32 offsets plus bytes for
 * strings, LSB-first validity bitmaps), so buffers can be written to spill files and Arrow IPC
 * as they are. A {@link dev.spillway.memory.Morsel} is a schema, columns, a row count and a
 * sequence number that lets order-sensitive sinks restore source order.
 */
package dev.spillway.memory;
