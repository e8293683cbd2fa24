package dev.spillway;

import dev.spillway.options.JoinOptions;

import dev.spillway.event.PartitionRepartitioned;
import dev.spillway.event.SkewDetected;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.BuildSide;
import dev.spillway.options.JoinType;
import dev.spillway.errors.PlanException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded differential tests of the hash join against a java.util oracle: every join type, every
 * key type, null keys, duplicate-heavy keys, empty sides and two-column keys, with no memory cap,
 * with a cap that spills part of the build side, and with a tiny cap that spills everything.
 */
class JoinDifferentialTest {
    private static final DataType[] KEY_TYPES = {DataType.INT64, DataType.INT32, DataType.DATE32, DataType.UTF8, DataType.FLOAT64,
        DataType.DECIMAL128, DataType.TIMESTAMP};
    /** The precision and scale of decimal keys: values beyond 64 bits, so both words of a key matter. */
    private static final dev.spillway.types.DecimalType DECIMAL_KEY = dev.spillway.types.DecimalType.of(30, 4);

    /**
     * Memory settings: no cap (in-memory engine); half of the build partitions spilled; every
     * build partition spilled under a small cap with small morsels.
     */
    private static final List<MemorySetting> SETTINGS = MemorySetting.withEncryptedTiny(MemorySetting.three(64L << 20, 4096, 8L << 20, 1024));

    private static Object key(DataType t, Random rnd, int domain, double nullRate) {
        if (rnd.nextDouble() < nullRate) {
            return null;
        }
        int v = rnd.nextInt(domain);
        return switch (t) {
            case INT64 -> (long) v * 1_000_003L;
            case INT32 -> v - domain / 2;
            case DATE32 -> LocalDate.ofEpochDay(v * 3L - 500);
            case UTF8 -> v % 7 == 0 ? "key-with-a-long-shared-prefix-" + v : "k" + v;
            case FLOAT64 -> v == 0 ? (rnd.nextBoolean() ? -0.0 : 0.0) : v == 1 ? Double.NaN : v / 4.0;
            case DECIMAL128 -> new java.math.BigDecimal(java.math.BigInteger.valueOf(v - domain / 2).shiftLeft(70)
                    .add(java.math.BigInteger.valueOf(v)), DECIMAL_KEY.scale());
            // Instants in UTC a few hours apart, microseconds set: the zone must survive spilling.
            case TIMESTAMP -> java.time.Instant.ofEpochSecond(1_700_000_000L + v * 3_601L - domain * 1_800L, v * 1000L);
            case BOOLEAN -> throw new AssertionError();
        };
    }

    private static JoinOracle.Tables tables(DataType keyType, Random rnd, int leftRows, int rightRows, int domain) {
        Field k = Field.of("k", keyType, keyType == DataType.DECIMAL128 ? DECIMAL_KEY : null,
                keyType == DataType.TIMESTAMP ? "UTC" : null);
        Schema left = Schema.of(k, Field.of("k2", DataType.INT32), Field.of("v", DataType.INT64),
                Field.of("l", DataType.UTF8));
        Schema right = Schema.of(k, Field.of("k2", DataType.INT32), Field.of("v", DataType.UTF8),
                Field.of("r", DataType.FLOAT64));
        List<List<Object>> l = new ArrayList<>();
        for (int i = 0; i < leftRows; i++) {
            l.add(Arrays.asList(key(keyType, rnd, domain, 0.02), rnd.nextInt(3), (long) i, rnd.nextInt(9) == 0 ? null : "left-" + i));
        }
        List<List<Object>> r = new ArrayList<>();
        for (int i = 0; i < rightRows; i++) {
            r.add(Arrays.asList(key(keyType, rnd, domain, 0.02), rnd.nextInt(3), "right-payload-" + i, i / 8.0));
        }
        return new JoinOracle.Tables(left, l, right, r);
    }

    private static List<List<Object>> run(MemorySetting setting, LeakCheck.TestMemory mem, Spillway reader, JoinOracle.Tables t,
            List<String> on, JoinType how, boolean nullsEqual, BuildSide side, Path dir, int round) throws Exception {
        List<SpillwayEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        return setting.withEngine(mem, events, sw -> {
            LazyFrame left = DifferentialSupport.input(sw, setting, t.left(), t.leftRows(), dir.resolve("left.csv"));
            LazyFrame right = DifferentialSupport.input(sw, setting, t.right(), t.rightRows(), dir.resolve("right.csv"));
            LazyFrame joined = left.join(right, on, on, how, JoinOptions.defaults().withNullsEqual(nullsEqual).withBuildSide(side));
            if (side != BuildSide.AUTO) {
                assertTrue(joined.explain().contains("build=" + side.name().toLowerCase(java.util.Locale.ROOT) + " (as asked)"),
                        joined.explain());
            }
            List<List<Object>> rows = DifferentialSupport.result(joined, setting, sw, Engine.IN_MEMORY, reader,
                    dir.resolve("out-" + round + ".csv"));
            if (setting.isNoCap()) {
                return rows;
            }
            assertTrue(sw.spills().stats().filesCreated() > 0 && sw.spills().stats().bytesReadRaw() > 0,
                    "the " + setting + " setting spilled and read back");
            if (setting.isTiny()) {
                assertTrue(events.stream().anyMatch(e -> e instanceof PartitionRepartitioned r && r.level() == 2),
                        "the tiny setting re-partitions spilled partitions recursively");
            }
            return rows;
        });
    }

    @Test
    void everyJoinTypeAndKeyTypeAtThreeMemorySettings() {
        DifferentialSupport.seeded((rnd, mem, reader) -> {
            Path dir = mem.dataDir();
            int round = 0;
            for (DataType kt : KEY_TYPES) {
                JoinOracle.Tables t = tables(kt, rnd, 20_000, 25_000, 4000 + rnd.nextInt(20_000));
                reader.fromColumns(DifferentialSupport.columns(t.left(), t.leftRows())).sinkCsv(dir.resolve("left.csv"));
                reader.fromColumns(DifferentialSupport.columns(t.right(), t.rightRows())).sinkCsv(dir.resolve("right.csv"));
                boolean twoKeys = rnd.nextBoolean();
                List<String> on = twoKeys ? List.of("k", "k2") : List.of("k");
                int[] keys = twoKeys ? new int[] {0, 1} : new int[] {0};
                for (JoinType how : JoinType.values()) {
                    boolean nullsEqual = rnd.nextInt(4) == 0;
                    List<List<Object>> expected = JoinOracle.equiJoin(t, keys, keys, how, nullsEqual);
                    for (MemorySetting s : SETTINGS) {
                        // Every build side: hashing the left input must not change the result.
                        BuildSide side = how.canSwapInputs() ? BuildSide.values()[round % 3] : BuildSide.AUTO;
                        List<List<Object>> got = run(s, mem, reader, t, on, how, nullsEqual, side, dir, round++);
                        DifferentialSupport.assertSameRows(expected, got, kt + " " + how + " on " + on + " nullsEqual="
                                + nullsEqual + " " + s + " build=" + side);
                    }
                }
            }
        });
    }

    /**
     * The skew case: half the build rows share one key, the cap is 1/8 of that key's build size.
     * Re-partitioning cannot split the key, so the join detects the skew and joins it in chunks;
     * the result must be exact (every output line checked through an order-free checksum).
     */
    @Test
    void aHotKeyHoldingHalfTheBuildSideFinishesInChunks() {
        LeakCheck.assertNoLeaks(mem -> {
            int buildRows = 800_000;
            long[] bk = new long[buildRows];
            String[] bv = new String[buildRows];
            for (int i = 0; i < buildRows; i++) {
                bk[i] = i % 2 == 0 ? 7L : (long) i;
                bv[i] = String.format("%-64s", "payload-" + i).replace(' ', 'x');
            }
            long[] pk = new long[20_000];
            for (int i = 0; i < pk.length; i++) {
                pk[i] = i < 2 ? 7L : i * 2L + 100_001;
            }
            Map<String, Object> build = new LinkedHashMap<>();
            build.put("k", bk);
            build.put("payload", bv);
            Map<String, Object> probe = new LinkedHashMap<>();
            probe.put("k", pk);
            Path spill = mem.tempRoot().resolve("hot");
            try (Spillway reader = Spillway.builder().memoryLimit(1L << 30).tempDir(mem.tempRoot().resolve("r")).build()) {
                Path b = mem.dataDir().resolve("b.csv");
                Path p = mem.dataDir().resolve("p.csv");
                reader.fromColumns(build).sinkCsv(b);
                reader.fromColumns(probe).sinkCsv(p);
                // The hot key's build rows in memory: key, payload and its offset.
                long hotBytes = (buildRows / 2) * (8L + 64 + 4);
                long cap = Math.max(4L << 20, hotBytes / 8);
                assertTrue(cap <= hotBytes / 7, "the cap is about 1/8 of the hot key's build size");
                for (JoinType how : new JoinType[] {JoinType.INNER, JoinType.FULL, JoinType.ANTI}) {
                    List<SpillwayEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
                    try (Spillway sw = Spillway.builder().memoryLimit(cap).threads(2).morselRows(4096).tempDir(spill)
                            .eventListener(events::add).build()) {
                        // The skew is on the build side: keep the large input there.
                        LazyFrame j = sw.scanCsv(p).join(sw.scanCsv(b), List.of("k"), List.of("k"), how,
                                JoinOptions.defaults().withBuildSide(BuildSide.RIGHT));
                        Path out = mem.dataDir().resolve("o.csv");
                        long rows = j.sinkCsv(out);
                        LineDigest expected = new LineDigest();
                        Map<Long, List<Integer>> byKey = new HashMap<>();
                        for (int i = 0; i < buildRows; i++) {
                            byKey.computeIfAbsent(bk[i], x -> new ArrayList<>()).add(i);
                        }
                        java.util.Set<Long> probed = new java.util.HashSet<>();
                        for (long k : pk) {
                            probed.add(k);
                            List<Integer> matches = byKey.getOrDefault(k, List.of());
                            if (how == JoinType.ANTI) {
                                if (matches.isEmpty()) {
                                    expected.add(Long.toString(k));
                                }
                                continue;
                            }
                            matches.forEach(i -> expected.add(k + "," + bv[i]));
                            if (matches.isEmpty() && how == JoinType.FULL) {
                                expected.add(k + ",");
                            }
                        }
                        if (how == JoinType.FULL) {
                            for (int i = 0; i < buildRows; i++) {
                                if (!probed.contains(bk[i])) {
                                    expected.add(bk[i] + "," + bv[i]);
                                }
                            }
                        }
                        LineDigest got = new LineDigest();
                        try (java.util.stream.Stream<String> lines = Files.lines(out)) {
                            lines.skip(1).forEach(got::add);
                        }
                        assertEquals(expected.count, rows, how + " row count");
                        assertEquals(expected, got, how + " result lines");
                        assertTrue(sw.budget().peak() <= cap, "peak " + sw.budget().peak() + " over the cap " + cap);
                        assertTrue(events.stream().anyMatch(e -> e instanceof SkewDetected d && d.component().equals("equi-join")
                                && d.reason() != SkewDetected.Reason.TOO_LARGE), how + " reports the skew: " + events);
                        assertTrue(events.stream().anyMatch(e -> e instanceof PartitionRepartitioned),
                                how + " tried the next hash bits first");
                        Files.delete(out);
                    }
                    Files.deleteIfExists(spill);
                }
            }
            Files.delete(mem.tempRoot().resolve("r"));
        });
    }

    /**
     * Many distinct keys that all fall into one of the 256 partitions, more than the memory can
     * hold at once: the partition is re-partitioned on the next hash bits (not chunked), exactly.
     */
    @Test
    void aPartitionTooLargeForMemoryIsRepartitionedOnTheNextHashBits() {
        LeakCheck.assertNoLeaks(mem -> {
            int buildRows = 200_000;
            long[] bk = new long[buildRows];
            String[] bv = new String[buildRows];
            int n = 0;
            for (long v = 0; n < buildRows; v++) {
                if (dev.spillway.memory.Hashing.partition(dev.spillway.memory.Hashing.hashLong(v)) == 5) {
                    bk[n] = v;
                    bv[n] = "row-" + n + "-0123456789abcdefghijklmnopqrstuvwxyz";
                    n++;
                }
            }
            long[] pk = new long[60_000];
            for (int i = 0; i < pk.length; i++) {
                pk[i] = i % 3 == 0 ? bk[i * 3] : -i;
            }
            Map<String, Object> build = new LinkedHashMap<>();
            build.put("k", bk);
            build.put("payload", bv);
            Map<String, Object> probe = new LinkedHashMap<>();
            probe.put("k", pk);
            Path spill = mem.tempRoot().resolve("rec");
            long cap = 4L << 20;
            List<SpillwayEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            Path b = mem.dataDir().resolve("b.csv");
            Path p = mem.dataDir().resolve("p.csv");
            try (Spillway reader = Spillway.builder().memoryLimit(1L << 30).tempDir(mem.tempRoot().resolve("r")).build()) {
                reader.fromColumns(build).sinkCsv(b);
                reader.fromColumns(probe).sinkCsv(p);
            }
            Files.delete(mem.tempRoot().resolve("r"));
            try (Spillway sw = Spillway.builder().memoryLimit(cap).threads(2).morselRows(4096).tempDir(spill)
                    .eventListener(events::add).build()) {
                Path out = mem.dataDir().resolve("o.csv");
                long rows = sw.scanCsv(p).join(sw.scanCsv(b), List.of("k"), List.of("k"), JoinType.LEFT,
                        JoinOptions.defaults().withBuildSide(BuildSide.RIGHT)).sinkCsv(out);
                Map<Long, Integer> index = new HashMap<>();
                for (int i = 0; i < buildRows; i++) {
                    index.put(bk[i], i);
                }
                LineDigest expected = new LineDigest();
                for (long k : pk) {
                    Integer i = index.get(k);
                    expected.add(k + "," + (i == null ? "" : bv[i]));
                }
                LineDigest got = new LineDigest();
                try (java.util.stream.Stream<String> lines = Files.lines(out)) {
                    lines.skip(1).forEach(got::add);
                }
                assertEquals(pk.length, rows);
                assertEquals(expected, got, "LEFT join result lines");
                assertTrue(sw.budget().peak() <= cap, "peak " + sw.budget().peak() + " over the cap " + cap);
                assertTrue(events.stream().anyMatch(e -> e instanceof PartitionRepartitioned r && r.partition().equals("5") && r.level() == 1),
                        "partition 5 was re-partitioned: " + events);
                assertTrue(events.stream().noneMatch(e -> e instanceof SkewDetected), "distinct keys are not skew: " + events);
                Files.delete(out);
            } finally {
                Files.deleteIfExists(spill);
            }
        });
    }

    /** An order-free digest of text lines: count and two independent sums of 64-bit line hashes. */
    private static final class LineDigest {
        long count;
        long sum;
        long sumOfSquares;

        void add(String line) {
            long h = 1125899906842597L;
            for (int i = 0; i < line.length(); i++) {
                h = 31 * h + line.charAt(i);
            }
            h ^= h >>> 29;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 32;
            count++;
            sum += h;
            sumOfSquares += h * h;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LineDigest d && d.count == count && d.sum == sum && d.sumOfSquares == sumOfSquares;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(sum);
        }

        @Override
        public String toString() {
            return count + " lines, digest " + Long.toHexString(sum) + "/" + Long.toHexString(sumOfSquares);
        }
    }

    @Test
    void theSmallerInputIsBuiltUnlessTheUserSaysOtherwise() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            LazyFrame small = sw.range("k", 0, 1_000);
            LazyFrame big = sw.range("k", 0, 1_000_000);
            assertTrue(small.join(big, "k", JoinType.INNER).explain().contains("build=left (smaller by estimate)"));
            assertTrue(big.join(small, "k", JoinType.LEFT).explain().contains("build=right (smaller by estimate)"));
            assertTrue(small.join(big, "k", JoinType.SEMI).explain().contains("build=right"), "SEMI builds its right input");
            LazyFrame forced = small.join(big, List.of("k"), List.of("k"), JoinType.INNER,
                    JoinOptions.defaults().withBuildSide(BuildSide.RIGHT));
            assertTrue(forced.explain().contains("build=right (as asked)"));
            PlanException e = org.junit.jupiter.api.Assertions.assertThrows(PlanException.class, () -> small.join(big,
                    List.of("k"), List.of("k"), JoinType.ANTI, JoinOptions.defaults().withBuildSide(BuildSide.LEFT)));
            assertTrue(e.getMessage().contains("ANTI joins build their right input"), e.getMessage());
            // Swapped or not, LEFT keeps every left row and its own key values.
            try (DataFrame a = small.filter(Expr.col("k").lt(Expr.lit(10L))).join(big, "k", JoinType.LEFT).collect();
                 DataFrame b = big.join(small.filter(Expr.col("k").lt(Expr.lit(10L))), "k", JoinType.RIGHT).collect()) {
                assertEquals(10, a.rowCount());
                assertEquals(10, b.rowCount());
                assertEquals(List.of("k"), a.schema().names());
            }
        });
    }

    @Test
    void emptySides() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            Map<String, Object> some = new LinkedHashMap<>();
            some.put("k", new long[] {1, 2, 3});
            some.put("x", new String[] {"a", "b", "c"});
            Map<String, Object> none = new LinkedHashMap<>();
            none.put("k", List.of(7L));
            none.put("y", List.of(1.0));
            LazyFrame full = sw.fromColumns(some);
            LazyFrame empty = sw.fromColumns(none).head(0);
            for (JoinType how : JoinType.values()) {
                try (DataFrame a = full.join(empty, "k", how).collect(); DataFrame b = empty.join(full, "k", how).collect()) {
                    long leftKept = how == JoinType.LEFT || how == JoinType.FULL || how == JoinType.ANTI ? 3 : 0;
                    long rightKept = how == JoinType.RIGHT || how == JoinType.FULL ? 3 : 0;
                    assertEquals(leftKept, a.rowCount(), how + " with an empty right side");
                    assertEquals(rightKept, b.rowCount(), how + " with an empty left side");
                }
            }
        });
    }
}
