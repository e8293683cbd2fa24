package dev.spillway.operators.join;

import dev.spillway.options.JoinType;

import dev.spillway.event.EventSink;
import dev.spillway.event.JoinBuildComplete;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.PartitionReloaded;
import dev.spillway.event.ProbeStarted;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The join state machine driven directly: spilling, reloading, events and clean-up. */
class HashJoinTest {
    private static final Schema LEFT = Schema.of(Field.of("k", DataType.INT64), Field.of("a", DataType.UTF8));
    private static final Schema RIGHT = Schema.of(Field.of("k", DataType.INT64), Field.of("b", DataType.FLOAT64));

    @Test
    void forcedSpillGivesTheSameRowsAndReportsEachPhase() {
        assertNoLeaks(mem -> {
            List<List<Object>> build = new ArrayList<>();
            for (long i = 0; i < 5000; i++) {
                build.add(Arrays.asList(i % 700, i / 2.0));
            }
            List<List<Object>> probe = new ArrayList<>();
            for (long i = 0; i < 3000; i++) {
                probe.add(Arrays.asList(i % 1000, i % 10 == 0 ? null : "p" + i));
            }
            List<List<Object>> inMemory = run(mem, build, probe, 0, null);
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            List<List<Object>> spilled = run(mem, build, probe, 1.0, events);
            assertEquals(sorted(inMemory), sorted(spilled));
            // Keys 0..699 match ~7 build rows each; probe keys 700..999 match nothing.
            assertEquals(2100 * 5000 / 700 + 900, inMemory.size(), "LEFT join rows");
            String log = events.toString();
            assertTrue(events.stream().anyMatch(e -> e instanceof PartitionEvicted p && p.component().equals("equi-join")), log);
            assertTrue(events.stream().anyMatch(e -> e instanceof JoinBuildComplete b && b.rows() == 5000), log);
            assertTrue(events.stream().anyMatch(e -> e instanceof ProbeStarted p && p.joinType().equals("LEFT")), log);
            assertTrue(events.stream().anyMatch(e -> e instanceof PartitionReloaded), log);
        });
    }

    /**
     * The memory manager asks a probing join what it could spill, and to spill it, from whatever
     * thread ran short, while probes route rows into the same partitions' probe chunks and seal
     * them. Sizes must be read without touching a chunk another thread may be sealing (that read
     * once threw ConcurrentModificationException out of a probe under a small cap).
     */
    @Test
    void spillRequestsDuringTheProbeRaceSafelyWithProbesSealingChunks() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q", 16L << 20);
                 SpillDirectory dir = sm.createQueryDirectory("q", query)) {
                HashJoin join = new HashJoin(LEFT, RIGHT, new int[] {0}, new int[] {0}, JoinType.INNER, false,
                        OperatorContext.of(mem.pool(), query, dir).child("join").withOutputRows(512));
                try (join) {
                    join.forceSpill(1.0);
                    List<List<Object>> build = new ArrayList<>();
                    for (long i = 0; i < 2000; i++) {
                        build.add(Arrays.asList(i % 500, (double) i));
                    }
                    join.addBuild(RandomData.morsel(RIGHT, build, 0, mem.pool(), query));
                    join.finishBuild();
                    int morsels = 200;
                    AtomicInteger next = new AtomicInteger();
                    AtomicLong rows = new AtomicLong();
                    AtomicBoolean probing = new AtomicBoolean(true);
                    List<Throwable> errors = new CopyOnWriteArrayList<>();
                    Thread manager = new Thread(() -> {
                        for (long n = 0; probing.get(); n++) {
                            try {
                                join.spillableBytes();
                                if (n % 4096 == 0) {
                                    join.spill(64L << 10);
                                }
                            } catch (Throwable t) {
                                errors.add(t);
                                return;
                            }
                        }
                    });
                    Runnable prober = () -> {
                        for (int i; (i = next.getAndIncrement()) < morsels; ) {
                            List<List<Object>> probe = new ArrayList<>();
                            for (long j = 0; j < 1000; j++) {
                                probe.add(Arrays.asList((i * 1000 + j) % 1000, "p"));
                            }
                            try (ProbeCursor c = join.startProbe(RandomData.morsel(LEFT, probe, i, mem.pool(), query))) {
                                while (!c.done()) {
                                    try (Morsel m = c.next(0)) {
                                        rows.addAndGet(m.rowCount());
                                    }
                                }
                            } catch (Throwable t) {
                                errors.add(t);
                                return;
                            }
                        }
                    };
                    Thread a = new Thread(prober);
                    Thread b = new Thread(prober);
                    manager.start();
                    a.start();
                    b.start();
                    a.join();
                    b.join();
                    probing.set(false);
                    manager.join();
                    assertEquals(List.of(), errors, "no probe and no spill request failed");
                    for (Morsel m = join.nextAfterProbe(1); m != null; m = join.nextAfterProbe(1)) {
                        try (Morsel rest = m) {
                            rows.addAndGet(rest.rowCount());
                        }
                    }
                    // Probe keys 0..499 of each 1,000 match 4 build rows each.
                    assertEquals(morsels * 500L * 4, rows.get(), "result rows");
                }
            }
        });
    }

    private static List<String> sorted(List<List<Object>> rows) {
        return rows.stream().map(Object::toString).sorted().toList();
    }

    private static List<List<Object>> run(dev.spillway.memory.testing.LeakCheck.TestMemory mem, List<List<Object>> build,
            List<List<Object>> probe, double forceSpill, List<SpillwayEvent> events) {
        List<List<Object>> out = new ArrayList<>();
        try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
             MemoryBudget query = mem.budget().child("q");
             SpillDirectory dir = sm.createQueryDirectory("q", query)) {
            HashJoin join = new HashJoin(LEFT, RIGHT, new int[] {0}, new int[] {0}, JoinType.LEFT, false,
                    OperatorContext.of(mem.pool(), query, dir).child("join").withEvents(events == null ? EventSink.NONE : events::add)
                            .withOutputRows(512));
            try (join) {
                join.forceSpill(forceSpill);
                for (int i = 0; i < build.size(); i += 1000) {
                    join.addBuild(RandomData.morsel(RIGHT, build.subList(i, Math.min(build.size(), i + 1000)), i, mem.pool(), query));
                }
                join.finishBuild();
                long seq = 0;
                for (int i = 0; i < probe.size(); i += 700) {
                    ProbeCursor c = join.startProbe(RandomData.morsel(LEFT, probe.subList(i, Math.min(probe.size(), i + 700)),
                            i, mem.pool(), query));
                    try (c) {
                        while (!c.done()) {
                            try (Morsel m = c.next(seq++)) {
                                assertTrue(m.rowCount() <= 513, "output morsels stay small");
                                out.addAll(RandomData.rowsOf(m));
                            }
                        }
                    }
                }
                for (Morsel m = join.nextAfterProbe(seq++); m != null; m = join.nextAfterProbe(seq++)) {
                    try (Morsel rest = m) {
                        out.addAll(RandomData.rowsOf(rest));
                    }
                }
            }
        }
        return out;
    }
}
