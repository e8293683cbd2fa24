package dev.spillway.event;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Each event's {@code line()} against the literal text the verbose log printed before events
 * were typed: users grep these lines, so a change here is a breaking change.
 */
class SpillwayEventLineTest {
    private static final Path F = Path.of("/spill/q1/f-7.lz4");

    private static void line(String expected, SpillwayEvent e) {
        assertEquals(expected, e.line(), e.getClass().getSimpleName());
        assertEquals(expected.substring("[spillway] ".length(), expected.indexOf(':')), e.component(),
                e.getClass().getSimpleName() + " component");
    }

    @Test
    void hashJoin() {
        line("[spillway] equi-join: evicting partition=17 bytes=65536 file=/spill/q1/f-7.lz4",
                new PartitionEvicted("equi-join", 17, 65536, F));
        line("[spillway] equi-join: reloading partition=17.3 build-bytes=100 probe-bytes=0 build-rows=12",
                new PartitionReloaded("equi-join", "17.3", 100, 0, 12));
        line("[spillway] equi-join: repartitioning partition=5 level=1 build-bytes=4096 probe-bytes=512 build-rows=300 fanout=16",
                new PartitionRepartitioned("equi-join", "5", 1, 4096, 512, 300, 16));
        line("[spillway] equi-join: build complete rows=1000 estimated-size=64000 partitions-spilled=3/256 on-disk=2048"
                + " in-memory=60000", new JoinBuildComplete("equi-join", 1000, 64000, 3, 256, 2048, 60000));
        line("[spillway] equi-join: probe start type=LEFT in-memory-partitions=253", new ProbeStarted("equi-join", "LEFT", 253));
        line("[spillway] equi-join: skew detected partition=5.1.2 build-rows=900 level=3 strategy=chunked-build reason=max-depth",
                SkewDetected.maxDepth("equi-join", "5.1.2", 900, 3));
        line("[spillway] equi-join: skew detected partition=5.4 build-rows=990 of 1000 after re-partitioning: one key dominates;"
                + " strategy=chunked-build", SkewDetected.dominantKey("equi-join", "5.4", 990, 1000));
        line("[spillway] equi-join: skew partition=5.4 does not fit in memory at once strategy=chunked-build chunk-limit=1.5 MiB",
                SkewDetected.tooLarge("equi-join", "5.4", 1536 * 1024));
    }

    @Test
    void groupBy() {
        line("[spillway] group-by: evicting partition=0 bytes=1 file=/spill/q1/f-7.lz4", new PartitionEvicted("group-by", 0, 1, F));
        line("[spillway] group-by: input complete rows=40000 partial-rows=39000 partitions-spilled=256/256 on-disk=9000"
                + " in-memory=0", new AggregationInputComplete("group-by", 40000, 39000, 256, 256, 9000, 0));
        line("[spillway] group-by: merging partition=9 in-memory-rows=12 spilled-bytes=0", new PartitionMerging("group-by", "9", 12, 0));
        line("[spillway] group-by: splitting partition=9.3 level=2 rows=5000 estimated-bytes=280000 share-bytes=65536 fanout=16",
                new PartitionSplit("group-by", "9.3", 2, 5000, 280000, 65536, 16));
    }

    @Test
    void sort() {
        line("[spillway] sort: run spilled rows=10 bytes=800 file=/spill/q1/f-7.lz4 run=4", new SortRunSpilled("sort", 10, 800, F, 4));
        line("[spillway] sort: input complete rows=100 runs=5 runs-spilled=4 fan-in=64", new SortInputComplete("sort", 100, 5, 4, 64));
        line("[spillway] sort: merge pass=1 runs=4 fan-in=4 open-readers=4 rows=80 into-run=9",
                new SortMergePass("sort", 1, 4, 4, 4, 80, 9));
        line("[spillway] sort: final merge runs=3 in-memory=1 spilled=2 fan-in=4 merge-passes=1 max-open-readers=4",
                new SortFinalMerge("sort", 3, 1, 2, 4, 1, 4));
        line("[spillway] sort: done rows=100", new SortDone("sort", 100));
    }

    @Test
    void sortedJoins() {
        line("[spillway] merge-join: run spilled rows=7 file=/spill/q1/f-7.lz4 reason=budget", new RunSpilled("merge-join", 7, F, "budget"));
        String longReason = "x".repeat(130);
        line("[spillway] merge-join: run spilled rows=7 file=/spill/q1/f-7.lz4 reason=" + "x".repeat(120) + "...",
                new RunSpilled("merge-join", 7, F, longReason));
        line("[spillway] merge-join: done type=INNER rows=50 runs=6 runs-spilled=2 spilled-bytes=300",
                new MergeJoinDone("merge-join", "INNER", 50, 6, 2, 300));
        line("[spillway] asof-join: done strategy=by-group rows=50 compactions=2 groups=3",
                new AsofJoinDone("asof-join", "by-group", 50, 2, 3));
        line("[spillway] asof-join: compacted state rows=10 groups=3 waiting=4", new AsofStateCompacted("asof-join", 10, 3, 4));
    }

    @Test
    void multiplexerAndNestedLoop() {
        line("[spillway] multiplexer: backlog spilled consumer=1 bytes=4096 rows=100 morsels=2 files=1 reason=pressure name=m",
                new BacklogSpilled("multiplexer", 1, 4096, 100, 2, 1, "pressure", "m"));
        line("[spillway] multiplexer: input complete name=m consumers=3 morsels=2 rows=200 spilled-bytes=0 spill-files=0",
                new MultiplexerInputComplete("multiplexer", "m", 3, 2, 200, 0, 0));
        line("[spillway] multiplexer: reader detached name=m consumer=1 published=5 dropped-morsels=2 dropped-bytes=4096"
                + " readers-left=1", new MultiplexerReaderDetached("multiplexer", "m", 1, 5, 2, 4096, 1));
        line("[spillway] nested-loop-join: evicting blocks=2 bytes=8192 spilled-blocks=2/5 file=/spill/q1/f-7.lz4",
                new BlocksEvicted("nested-loop-join", 2, 8192, 2, 5, F));
        line("[spillway] nested-loop-join: build complete type=INNER rows=10 blocks=1 bytes=640 spilled-blocks=0 cross",
                new NestedLoopBuildComplete("nested-loop-join", "INNER", 10, 1, 640, 0, null));
        line("[spillway] nested-loop-join: build complete type=LEFT rows=10 blocks=1 bytes=640 spilled-blocks=0"
                + " predicate=(col(\"x\") < col(\"y\"))",
                new NestedLoopBuildComplete("nested-loop-join", "LEFT", 10, 1, 640, 0, "(col(\"x\") < col(\"y\"))"));
        line("[spillway] nested-loop-join: finished type=INNER probe-rows=5 build-rows=10 pairs=50 rows-out=7 spilled-blocks=1"
                + " read-back-blocks=3 read-back-bytes=900", new NestedLoopFinished("nested-loop-join", "INNER", 5, 10, 50, 7, 1, 3, 900));
    }

    @Test
    void engineSpillerAndScheduler() {
        line("[spillway] memory-manager: reclaim query=query-3 party=nested-loop-build asked-by=query-5 requested=100 freed=200"
                + " reserved=300 cap=400", new MemoryReclaimed("query-3", "nested-loop build", "query-5", 100, 200, 300, 400));
        line("[spillway] spiller: tmpfs-warning path=/tmp/spill spilled data would go back into RAM; set SPILLWAY_TEMP_DIR"
                + " to a directory on a disk", new TmpfsWarning(Path.of("/tmp/spill"), "SPILLWAY_TEMP_DIR"));
        line("[spillway] spiller: tmpfs-warning path=/tmp/spill spilled data would go back into RAM; set SPILLWAY_TEMP_DIR"
                + " (or the builder's tempDir) to a directory on a disk",
                new TmpfsWarning(Path.of("/tmp/spill"), "SPILLWAY_TEMP_DIR (or the builder's tempDir)"));
        line("[spillway] spiller: open-file-limit-low process-limit=1024 spill-file-cap=512 raise it with ulimit -n",
                new OpenFileLimit(1024, 512, true));
        line("[spillway] spiller: open-file-limit process-limit=65536 spill-file-cap=512", new OpenFileLimit(65536, 512, false));
        line("[spillway] spiller: stale-sweep-failed path=/tmp/spill error=java.io.IOException: denied",
                new StaleSweepFailed(Path.of("/tmp/spill"), new java.io.IOException("denied").toString()));
        line("[spillway] scheduler: cpu-pinning-unavailable os=Mac OS X (needs Linux and --enable-native-access; workers run"
                + " unpinned)", new CpuPinningUnavailable("Mac OS X"));
        line("[spillway] scheduler: cpu-pinning-failed worker=2 cpu=3 (runs unpinned)", new CpuPinningFailed(2, 3));
        line("[spillway] scheduler: worker-loop-error worker=1", new WorkerLoopError(1, new IllegalStateException("x")));
        line("[spillway] engine: started memory-limit=2.0 GiB threads=4 spill-root=/tmp/spill",
                new EngineStarted(2L << 30, 4, Path.of("/tmp/spill")));
        line("[spillway] engine: query-start name=query-1 pipelines=3", new QueryStarted("query-1", 3));
        line("[spillway] engine: query-finished name=query-1 ms=12 peak=1000 spilled=200 read-back=100",
                new QueryFinished("query-1", 12, 1000, 200, 100));
        line("[spillway] engine: query-retried name=query-2 how=alone reason=\"memory limit exceeded\"",
                new QueryRetried("query-2", QueryRetried.ALONE, "memory limit exceeded"));
        line("[spillway] engine: query-retried name=query-3 how=spilling-everything reason=\"memory limit exceeded\"",
                new QueryRetried("query-3", QueryRetried.SPILLING_EVERYTHING, "memory limit exceeded"));
    }

    @Test
    void formatsAndSinks() {
        line("[spillway] parquet: files=2 row groups read=3 skipped=7 of 10 morsels=6 columns=1/2",
                new ParquetScanPlanned(2, 3, 7, 10, 6, 1, 2, "", -1));
        line("[spillway] parquet: files=2 row groups read=3 skipped=7 of 10 morsels=6 columns=1/2 bounds={k=[1, 5]}"
                + " partition-files-skipped=4", new ParquetScanPlanned(2, 3, 7, 10, 6, 1, 2, "{k=[1, 5]}", 4));
        line("[spillway] sink: partitioned format=parquet dir=/out partitions=4 files=5 rows=100 max-open=3 cap=8 evictions=1"
                + " early-flushes=2", new PartitionedSinkFinished("parquet", Path.of("/out"), 4, 5, 100, 3, 8, 1, 2));
    }

    @Test
    void everyPermittedRecordIsCovered() {
        // The test methods above build one of each; a new event must add its literal line here too.
        Set<String> covered = Set.of("PartitionEvicted", "PartitionReloaded", "PartitionRepartitioned", "JoinBuildComplete",
                "ProbeStarted", "SkewDetected", "AggregationInputComplete", "PartitionMerging", "PartitionSplit", "SortRunSpilled",
                "SortInputComplete", "SortMergePass", "SortFinalMerge", "SortDone", "RunSpilled", "MergeJoinDone",
                "AsofJoinDone", "AsofStateCompacted", "BacklogSpilled", "MultiplexerInputComplete", "MultiplexerReaderDetached",
                "BlocksEvicted",
                "NestedLoopBuildComplete", "NestedLoopFinished", "MemoryReclaimed", "TmpfsWarning", "OpenFileLimit",
                "StaleSweepFailed", "CpuPinningUnavailable", "CpuPinningFailed", "WorkerLoopError", "EngineStarted",
                "QueryStarted", "QueryFinished", "QueryRetried", "ParquetScanPlanned", "PartitionedSinkFinished");
        Set<String> permitted = List.of(SpillwayEvent.class.getPermittedSubclasses()).stream().map(Class::getSimpleName)
                .collect(Collectors.toSet());
        assertEquals(covered, permitted);
    }
}
