package dev.spillway.operators.join;

import dev.spillway.options.JoinType;

import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.PartitionReloaded;
import dev.spillway.event.PartitionRepartitioned;
import dev.spillway.event.SkewDetected;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each phase of the hash join driven alone, against a java.util oracle. */
class JoinPhasesTest {
    private static final Schema LEFT = Schema.of(Field.of("k", DataType.INT64), Field.of("a", DataType.UTF8));
    private static final Schema RIGHT = Schema.of(Field.of("k", DataType.INT64), Field.of("b", DataType.FLOAT64));
    private static final int[] KEY = {0};

    /** One test's memory, spill directory and events. */
    private record Env(LeakCheck.TestMemory mem, MemoryBudget query, SpillDirectory dir, OperatorContext ctx,
            List<SpillwayEvent> events) {
    }

    private interface Body {
        void run(Env env);
    }

    private static void withEnv(Body body) {
        assertNoLeaks(mem -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query);
                 MemoryBudget own = query.child("join")) {
                OperatorContext ctx = OperatorContext.of(mem.pool(), query, dir).withBudget(own).withEvents(events::add)
                        .withOutputRows(300);
                body.run(new Env(mem, query, dir, ctx, events));
            }
        });
    }

    private static List<List<Object>> buildRows(int n, int keys) {
        List<List<Object>> rows = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            rows.add(Arrays.asList(i % keys, i / 4.0));
        }
        return rows;
    }

    private static List<List<Object>> probeRows(int n, int keys) {
        List<List<Object>> rows = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            rows.add(Arrays.asList((i * 7) % keys, "p" + i));
        }
        return rows;
    }

    private static int partitionOf(long key) {
        return Hashing.partition(Hashing.hashLong(key));
    }

    /** The oracle: rows (k, a, b) of a join of {@code probe} and {@code build}, as sorted strings. */
    private static List<String> oracle(JoinType type, List<List<Object>> probe, List<List<Object>> build) {
        Map<Object, List<List<Object>>> byKey = new HashMap<>();
        for (List<Object> b : build) {
            byKey.computeIfAbsent(b.get(0), k -> new ArrayList<>()).add(b);
        }
        Set<Object> probed = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (List<Object> p : probe) {
            probed.add(p.get(0));
            List<List<Object>> matches = byKey.getOrDefault(p.get(0), List.of());
            for (List<Object> b : matches) {
                out.add(Arrays.asList(p.get(0), p.get(1), b.get(1)).toString());
            }
            if (matches.isEmpty() && type.keepsUnmatchedLeft()) {
                out.add(Arrays.asList(p.get(0), p.get(1), null).toString());
            }
        }
        if (type.keepsUnmatchedRight()) {
            for (List<Object> b : build) {
                if (!probed.contains(b.get(0))) {
                    out.add(Arrays.asList(b.get(0), null, b.get(1)).toString());
                }
            }
        }
        return out.stream().sorted().toList();
    }

    private static List<String> sorted(List<List<Object>> rows) {
        return rows.stream().map(Object::toString).sorted().toList();
    }

    private static JoinSpec spec(JoinType type, OperatorContext ctx) {
        return new JoinSpec(LEFT, RIGHT, KEY, KEY, type, false, ctx);
    }

    private static JoinBuild build(Env env, JoinSpec spec, OperatorContext ctx, List<List<Object>> rows) {
        JoinBuild b = new JoinBuild(spec, ctx);
        for (int i = 0; i < rows.size(); i += 500) {
            b.add(RandomData.morsel(RIGHT, rows.subList(i, Math.min(rows.size(), i + 500)), i, env.mem().pool(), env.query()));
        }
        return b;
    }

    private static void drain(ProbeCursor c, List<List<Object>> out) {
        try (c) {
            while (!c.done()) {
                try (Morsel m = c.next(0)) {
                    assertTrue(m.rowCount() <= 301, "result morsels stay small");
                    out.addAll(RandomData.rowsOf(m));
                }
            }
        }
    }

    private static void drain(FinalizeQueue q, List<List<Object>> out) {
        for (Morsel next = q.next(); next != null; next = q.next()) {
            try (Morsel m = next) {
                out.addAll(RandomData.rowsOf(m));
            }
        }
        assertTrue(q.isDone(), "one puller: a null is the end");
    }

    @Test
    void theBuildSpillsTheForcedShareAndIndexesTheRest() {
        withEnv(env -> {
            List<List<Object>> rows = buildRows(6000, 900);
            JoinSpec spec = spec(JoinType.INNER, env.ctx());
            try (JoinBuild b = build(env, spec, env.ctx().withForceSpill(0.25), rows);
                 JoinTables tables = b.finish(env.events()::add)) {
                assertEquals(JoinBuild.State.BUILT, b.state());
                long[] expected = new long[JoinTables.PARTITIONS];
                for (List<Object> r : rows) {
                    expected[partitionOf((Long) r.get(0))]++;
                }
                for (int p = 0; p < JoinTables.PARTITIONS; p++) {
                    assertEquals(p < 64, tables.spilled(p), "partition " + p + " spilled by the forced share only");
                    if (p < 64) {
                        assertNull(tables.table(p));
                        assertEquals(expected[p], b.store().spilledRows(p), "spilled partition " + p + " is wholly on disk");
                        assertEquals(0, b.store().bytes(p));
                    } else if (expected[p] > 0) {
                        assertNotNull(tables.table(p));
                        assertEquals(expected[p], tables.table(p).table().rows(), "rows of partition " + p);
                    }
                }
                assertEquals(64, tables.spilledCount());
                assertEquals(0, b.spillableBytes(), "the store keeps nothing evictable once built");
                assertTrue(env.events().stream().anyMatch(e -> e instanceof PartitionEvicted v && v.component().equals("equi-join")
                        && v.partition() < 64), env.events().toString());
            }
        });
    }

    @Test
    void theProbeJoinsInMemoryPartitionsAndKeepsRowsOfSpilledOnes() {
        withEnv(env -> {
            List<List<Object>> build = buildRows(4000, 700);
            List<List<Object>> probe = probeRows(3000, 1000);
            JoinSpec spec = spec(JoinType.LEFT, env.ctx());
            ProbeScratch.FreeList scratches = new ProbeScratch.FreeList(spec);
            try (JoinBuild b = build(env, spec, env.ctx().withForceSpill(0.5), build);
                 JoinTables tables = b.finish(env.events()::add);
                 JoinProbe phase = new JoinProbe(spec, env.ctx().withForceSpill(0.5), tables, scratches)) {
                List<List<Object>> out = new ArrayList<>();
                for (int i = 0; i < probe.size(); i += 1000) {
                    drain(phase.start(RandomData.morsel(LEFT, probe.subList(i, i + 1000), i, env.mem().pool(), env.query())), out);
                }
                phase.finish();
                assertEquals(JoinProbe.State.FINISHED, phase.state());
                List<List<Object>> inMemoryProbe = probe.stream().filter(r -> !tables.spilled(partitionOf((Long) r.get(0)))).toList();
                assertEquals(oracle(JoinType.LEFT, inMemoryProbe, build), sorted(out), "rows of in-memory partitions");
                long kept = 0;
                for (int p = 0; p < JoinTables.PARTITIONS; p++) {
                    kept += phase.store().rows(p);
                    if (!tables.spilled(p)) {
                        assertEquals(0, phase.store().rows(p), "no probe row kept for in-memory partition " + p);
                    }
                }
                assertEquals(probe.size() - inMemoryProbe.size(), kept, "every probe row of a spilled partition is kept");
            }
        });
    }

    @Test
    void unmatchedBuildRowsOfInMemoryPartitionsAreEmittedAfterTheProbe() {
        withEnv(env -> {
            List<List<Object>> build = buildRows(3000, 800);
            List<List<Object>> probe = probeRows(500, 1600);
            JoinSpec spec = spec(JoinType.RIGHT, env.ctx());
            ProbeScratch.FreeList scratches = new ProbeScratch.FreeList(spec);
            try (JoinBuild b = build(env, spec, env.ctx(), build);
                 JoinTables tables = b.finish(env.events()::add);
                 JoinProbe phase = new JoinProbe(spec, env.ctx(), tables, scratches)) {
                assertEquals(0, tables.spilledCount());
                List<List<Object>> out = new ArrayList<>();
                drain(phase.start(RandomData.morsel(LEFT, probe, 0, env.mem().pool(), env.query())), out);
                phase.finish();
                try (FinalizeQueue q = new FinalizeQueue(1, new AtomicLong())) {
                    for (int p = 0; p < JoinTables.PARTITIONS; p++) {
                        if (tables.table(p) != null) {
                            q.add(new UnmatchedBuild(spec, tables, p));
                        }
                    }
                    List<List<Object>> unmatched = new ArrayList<>();
                    drain(q, unmatched);
                    for (List<Object> r : unmatched) {
                        assertNull(r.get(1), "an unmatched build row has no probe columns: " + r);
                    }
                    out.addAll(unmatched);
                    assertEquals(0, env.ctx().budget().reserved(), "each unit freed its partition's table and rows");
                }
                assertEquals(oracle(JoinType.RIGHT, probe, build), sorted(out));
            }
        });
    }

    @Test
    void spilledPairsAreJoinedRepartitionedAndChunkedExactly() {
        for (JoinType type : new JoinType[] {JoinType.FULL, JoinType.INNER, JoinType.ANTI, JoinType.SEMI}) {
            withEnv(env -> {
                // Key 7 holds most build rows: re-partitioning cannot split it, it is joined in chunks.
                List<List<Object>> build = new ArrayList<>(buildRows(3000, 1000));
                for (int i = 0; i < 6000; i++) {
                    build.add(Arrays.asList(7L, -1.0 - i));
                }
                List<List<Object>> probe = probeRows(2500, 1300);
                probe.add(Arrays.asList(7L, "hot"));
                JoinSpec spec = spec(type, env.ctx());
                ProbeScratch.FreeList scratches = new ProbeScratch.FreeList(spec);
                OperatorContext ctx = env.ctx().withForceSpill(1.0);
                try (JoinBuild b = build(env, spec, ctx, build);
                     JoinTables tables = b.finish(env.events()::add);
                     JoinProbe phase = new JoinProbe(spec, ctx, tables, scratches)) {
                    assertEquals(JoinTables.PARTITIONS, tables.spilledCount());
                    List<List<Object>> out = new ArrayList<>();
                    for (int i = 0; i < probe.size(); i += 1000) {
                        drain(phase.start(RandomData.morsel(LEFT, probe.subList(i, Math.min(probe.size(), i + 1000)), i,
                                env.mem().pool(), env.query())), out);
                    }
                    assertEquals(List.of(), out, "every partition is spilled: the probe emits nothing");
                    phase.finish();
                    // Partitions 0..3 are re-partitioned whatever their size; the hot key's partition is too large for 32 KiB.
                    FinalizeContext fc = new FinalizeContext(spec, ctx, scratches, 2, 4, 32L << 10, null);
                    PairStores root = PairStores.root(b.store(), phase.store());
                    try (FinalizeQueue q = new FinalizeQueue(2, new AtomicLong())) {
                        for (int p = 0; p < JoinTables.PARTITIONS; p++) {
                            q.add(new SpilledPairJoin(fc, root, p, Integer.toString(p), 0, fc.forcedSplit(p), false));
                        }
                        drain(q, out);
                    }
                    assertEquals(expected(type, probe, build), sorted(out), type + " result");
                    int hot = partitionOf(7);
                    List<SpillwayEvent> splits = env.events().stream().filter(e -> e instanceof PartitionRepartitioned).toList();
                    // The hash seed differs per process: a forced partition holding one key is skewed after
                    // its first split and stops there, so the recursion is looked for under any of 0..3.
                    assertTrue(splits.stream().anyMatch(e -> e instanceof PartitionRepartitioned r && r.level() == 2
                            && r.partition().matches("[0-3]\\..*")), "forced re-partitioning goes deeper: " + splits);
                    assertTrue(env.events().stream().anyMatch(e -> e instanceof PartitionRepartitioned r
                            && r.partition().equals(Integer.toString(hot)) && r.level() == 1), splits.toString());
                    assertTrue(env.events().stream().anyMatch(e -> e instanceof SkewDetected d
                            && d.reason() == SkewDetected.Reason.DOMINANT_KEY && d.partition().startsWith(hot + ".")), splits.toString());
                    assertTrue(env.events().stream().anyMatch(e -> e instanceof PartitionReloaded), "pairs were read back");
                    assertEquals(0, fc.spillableBytes(), "every child store was closed");
                }
            });
        }
    }

    private static List<String> expected(JoinType type, List<List<Object>> probe, List<List<Object>> build) {
        if (!type.leftColumnsOnly()) {
            return oracle(type, probe, build);
        }
        Set<Object> keys = new HashSet<>();
        build.forEach(r -> keys.add(r.get(0)));
        return probe.stream().filter(r -> keys.contains(r.get(0)) == (type == JoinType.SEMI)).map(Object::toString).sorted()
                .toList();
    }

    @Test
    void aSpilledPairWithoutProbeRowsEmitsItsBuildRowsForFullJoins() {
        withEnv(env -> {
            List<List<Object>> build = buildRows(2000, 500);
            JoinSpec spec = spec(JoinType.FULL, env.ctx());
            ProbeScratch.FreeList scratches = new ProbeScratch.FreeList(spec);
            OperatorContext ctx = env.ctx().withForceSpill(1.0);
            try (JoinBuild b = build(env, spec, ctx, build);
                 JoinTables tables = b.finish(env.events()::add);
                 JoinProbe phase = new JoinProbe(spec, ctx, tables, scratches)) {
                phase.finish();
                FinalizeContext fc = new FinalizeContext(spec, ctx, scratches, 1, 0, 0, null);
                PairStores root = PairStores.root(b.store(), phase.store());
                List<List<Object>> out = new ArrayList<>();
                try (FinalizeQueue q = new FinalizeQueue(1, new AtomicLong())) {
                    for (int p = 0; p < JoinTables.PARTITIONS; p++) {
                        q.add(new SpilledPairJoin(fc, root, p, Integer.toString(p), 0, false, false));
                    }
                    drain(q, out);
                }
                assertEquals(oracle(JoinType.FULL, List.of(), build), sorted(out));
                assertFalse(env.events().stream().anyMatch(e -> e instanceof PartitionRepartitioned), env.events().toString());
            }
        });
    }
}
