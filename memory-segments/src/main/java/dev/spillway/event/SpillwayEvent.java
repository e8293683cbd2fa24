package dev.spillway.event;

/**
 * Something an operator, the spiller or the engine reports while a query runs: an eviction, a
 * reload, a merge pass, memory pressure. Events are records, so that profiles, reports and tests
 * read their fields; {@link #line()} renders the one-line form of the verbose log
 * ({@code [spillway] <component>: <what> key=value ...}), whose format users grep and which stays
 * stable.
 *
 * <p>The hierarchy is sealed: a consumer that switches over it without a default case stops
 * compiling when an event is added, instead of silently ignoring it.
 */
public sealed interface SpillwayEvent permits
        PartitionEvicted, PartitionReloaded, PartitionRepartitioned, JoinBuildComplete, ProbeStarted,
        AggregationInputComplete, PartitionMerging, PartitionSplit, SortRunSpilled, SortInputComplete, SortMergePass, SortFinalMerge,
        SortDone, RunSpilled, MergeJoinDone, AsofJoinDone, AsofStateCompacted, BacklogSpilled,
        MultiplexerInputComplete, MultiplexerReaderDetached, BlocksEvicted, NestedLoopBuildComplete, NestedLoopFinished, MemoryReclaimed,
        TmpfsWarning, OpenFileLimit, StaleSweepFailed, CpuPinningUnavailable, CpuPinningFailed, WorkerLoopError,
        ParquetScanPlanned, PartitionedSinkFinished, EngineStarted, QueryStarted, QueryFinished, QueryRetried, SkewDetected {
    /** The reporting component as in the log line, e.g. {@code equi-join}, {@code group-by}, {@code spiller}. */
    String component();

    /** The verbose log line, {@code [spillway] <component>: ...}. */
    String line();
}
