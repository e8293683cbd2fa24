package dev.spillway;

import dev.spillway.event.ParquetScanPlanned;
import dev.spillway.event.PartitionedSinkFinished;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.errors.FormatException;
import dev.spillway.options.ParquetWriteOptions;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.operators.HivePath;
import dev.spillway.options.Partitioning;
import dev.spillway.options.CsvOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hive-style partitioned sinks: every row lands in the directory of its key, the cap on open
 * writers holds, the directory scans back with its partition columns (Spillway and DuckDB agree
 * with a java.util oracle), spilling upstream changes nothing, bad input fails clearly.
 */
class PartitionedSinkTest {
    private static final int ROWS = 20_000;
    private static final int SPILL_ROWS = 8_000;
    private static final int KEYS = 100;
    /** Key of row r: 100 values in random order, some needing escapes, one null. */
    private static String key(int k) {
        return switch (k) {
            case 0 -> null;
            case 1 -> "a/b=c%d";
            case 2 -> ".hidden";
            case 3 -> "Zürich";
            default -> "k" + k;
        };
    }

    private record Data(List<Long> ids, List<String> keys, List<Double> amounts) {
        Map<String, Object> columns() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", ids);
            m.put("country", keys);
            m.put("amount", amounts);
            return m;
        }
    }

    private static Data data(long seed, int rows) {
        Random rnd = new Random(seed);
        List<Long> ids = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        List<Double> amounts = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            ids.add((long) r);
            keys.add(key(rnd.nextInt(KEYS)));
            amounts.add(r % 17 == 0 ? null : rnd.nextInt(10_000) / 4.0);
        }
        return new Data(ids, keys, amounts);
    }

    private static Spillway engine(LeakCheck.TestMemory mem, List<SpillwayEvent> events, long limit, double forceSpill) {
        return Spillway.builder().memoryLimit(limit).threads(2).morselRows(4096).tempDir(mem.tempRoot())
                .forceSpill(forceSpill).eventListener(events::add).build();
    }

    private static PartitionedSinkFinished sinkEvent(List<SpillwayEvent> events) {
        return events.stream().filter(e -> e instanceof PartitionedSinkFinished).map(PartitionedSinkFinished.class::cast)
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no sink event in " + events));
    }

    private static List<Path> partFiles(Path dir, String ext) throws Exception {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(p -> p.getFileName().toString().endsWith("." + ext)).sorted().toList();
        }
    }

    @Test
    void hundredKeysWithFourOpenFilesLandInTheirDirectoriesAndScanBack() throws Exception {
        long seed = System.nanoTime();
        Data d = data(seed, ROWS);
        Map<String, long[]> oracle = new TreeMap<>(); // key ("null" for null) -> {count, sum of ids}
        Map<Long, String> keyOfId = new HashMap<>();
        for (int r = 0; r < ROWS; r++) {
            String k = String.valueOf(d.keys().get(r));
            long[] acc = oracle.computeIfAbsent(k, x -> new long[2]);
            acc[0]++;
            acc[1] += d.ids().get(r);
            keyOfId.put(d.ids().get(r), d.keys().get(r));
        }
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway sw = engine(mem, events, 256L << 20, 0);
                    Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                Path dir = mem.dataDir().resolve("out");
                long written = sw.fromColumns(d.columns()).sinkParquet(dir,
                        ParquetWriteOptions.defaults().withRowGroupRows(5_000), Partitioning.partitionBy("country").withMaxOpenFiles(4));
                assertEquals(ROWS, written, "seed " + seed);
                PartitionedSinkFinished sink = sinkEvent(events);
                assertEquals(oracle.size(), sink.partitions(), "partitions, seed " + seed);
                assertTrue(sink.maxOpen() <= 4, "max open writers " + sink.maxOpen() + " above the cap, seed " + seed);
                assertEquals(4, sink.maxOpen(), "the cap is reached with 100 keys, seed " + seed);
                assertEquals(4, sink.cap(), "seed " + seed);
                assertTrue(sink.evictions() > 0, "writers were evicted, seed " + seed);
                List<Path> files = partFiles(dir, "parquet");
                assertEquals(sink.files(), files.size(), "seed " + seed);
                try (Stream<Path> top = Files.list(dir)) {
                    assertTrue(top.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no staging left, seed " + seed);
                }

                // Every file holds only rows of the key its directory names, and every row is in exactly one file.
                try (DataFrame one = sw.scanParquet(files.get(0)).collect()) {
                    assertEquals(List.of("id", "amount"), one.columns(), "the partition column is not in the files");
                }
                long seen = 0;
                try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT filename, id FROM read_parquet('" + dir + "/**/*.parquet', hive_partitioning = false, filename = true)")) {
                    while (rs.next()) {
                        Path f = Path.of(rs.getString(1));
                        String segment = dir.relativize(f).getName(0).toString();
                        assertTrue(segment.startsWith("country="), segment);
                        String key = HivePath.unescape(segment.substring("country=".length()));
                        long id = rs.getLong(2);
                        assertEquals(keyOfId.get(id), key, "row " + id + " in " + f + ", seed " + seed);
                        seen++;
                    }
                }
                assertEquals(ROWS, seen, "seed " + seed);

                // Spillway restores the partition column from the directory names.
                try (DataFrame df = sw.scanParquet(dir).groupBy("country").agg(col("id").count().alias("n"),
                        col("id").sum().alias("s")).collect()) {
                    assertEquals(oracle.size(), df.rowCount());
                    for (int r = 0; r < df.rowCount(); r++) {
                        long[] want = oracle.get(String.valueOf(df.get(r, "country")));
                        assertEquals(want[0], df.getLong(r, "n"), "seed " + seed);
                        assertEquals(want[1], df.getLong(r, "s"), "seed " + seed);
                    }
                }

                // DuckDB reads the same directory with hive partitioning and agrees.
                try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT country, count(*), sum(id) FROM read_parquet('" + dir + "/**/*.parquet', hive_partitioning = true)"
                                + " GROUP BY country")) {
                    int groups = 0;
                    while (rs.next()) {
                        groups++;
                        String k = rs.getString(1);
                        long[] want = oracle.get(String.valueOf(k));
                        assertTrue(want != null, "DuckDB sees key " + k + ", seed " + seed);
                        assertEquals(want[0], rs.getLong(2), k + ", seed " + seed);
                        assertEquals(want[1], rs.getLong(3), k + ", seed " + seed);
                    }
                    assertEquals(oracle.size(), groups, "seed " + seed);
                }

                // A filter on the partition column reads only that directory's files.
                events.clear();
                try (DataFrame df = sw.scanParquet(dir).filter(col("country").eq(lit("k42"))).select(col("id")).collect()) {
                    assertEquals(oracle.get("k42")[0], df.rowCount(), "seed " + seed);
                }
                ParquetScanPlanned scan = events.stream().filter(e -> e instanceof ParquetScanPlanned)
                        .map(ParquetScanPlanned.class::cast).findFirst().orElseThrow();
                assertTrue(scan.partitionFilesSkipped() >= 0, scan.line());
                long k42Files = files.stream().filter(f -> f.toString().contains("country=k42/")).count();
                assertEquals(files.size() - k42Files, scan.partitionFilesSkipped(), scan.line());
            }
        });
    }

    @Test
    void spillingUpstreamWritesTheSameFiles() {
        long seed = System.nanoTime();
        Data d = data(seed, SPILL_ROWS);
        Map<String, List<List<Object>>> reference = null;
        long[][] settings = {{256L << 20, 0}, {32L << 20, 0}, {12L << 20, 1}};
        for (long[] s : settings) {
            Map<String, List<List<Object>>> got = new TreeMap<>();
            LeakCheck.assertNoLeaks(mem -> {
                List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                try (Spillway sw = engine(mem, events, s[0], s[1])) {
                    Path dir = mem.dataDir().resolve("sorted");
                    sw.fromColumns(d.columns()).sort("amount", "id").sinkIpc(dir,
                            Partitioning.partitionBy("country").withMaxOpenFiles(3));
                    // Part boundaries follow the writers' recency, which follows morsel boundaries; the rows
                    // of each partition, in part order (the directory scan's order), must not change.
                    try (DataFrame df = sw.scanIpc(dir).collect()) {
                        for (List<Object> row : df.rows()) {
                            got.computeIfAbsent(String.valueOf(row.get(2)), k -> new ArrayList<>()).add(row);
                        }
                    }
                    assertTrue(sinkEvent(events).maxOpen() <= 3, "seed " + seed);
                }
            });
            if (reference == null) {
                reference = got;
                assertEquals(KEYS, got.size(), "seed " + seed);
            } else {
                assertEquals(reference.keySet(), got.keySet(), "seed " + seed);
                for (String k : reference.keySet()) {
                    assertTrue(reference.get(k).equals(got.get(k)), "rows of " + k + " differ with memory " + s[0]
                            + " forceSpill " + s[1] + ", seed " + seed);
                }
            }
        }
    }

    @Test
    void ipcAndCsvDirectoriesRoundTripWithTwoLevels() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = engine(mem, new CopyOnWriteArrayList<>(), 256L << 20, 0)) {
                LazyFrame src = sw.range("id", 0, 10_000).withColumns(col("id").mod(lit(3L)).alias("a"),
                        col("id").mod(lit(4L)).eq(lit(0L)).alias("b"));
                Path ipc = mem.dataDir().resolve("ipc");
                assertEquals(10_000, src.sinkIpc(ipc, Partitioning.partitionBy("a", "b")));
                assertTrue(Files.isRegularFile(ipc.resolve("a=2/b=true/part-00000.arrow")));
                try (DataFrame back = sw.scanIpc(ipc).sort("id").collect(); DataFrame want = src.collect()) {
                    assertEquals(List.of("id", "a", "b"), back.columns());
                    assertTrue(want.contentEquals(back), back.toString());
                }
                Path csv = mem.dataDir().resolve("csv");
                assertEquals(10_000, src.sinkCsv(csv, CsvOptions.defaults(), Partitioning.partitionBy("b")));
                long rows = 0;
                for (Path f : partFiles(csv, "csv")) {
                    boolean b = f.getParent().getFileName().toString().equals("b=true");
                    try (DataFrame df = sw.scanCsv(f).collect()) {
                        assertEquals(List.of("id", "a"), df.columns());
                        for (Object id : df.columnValues("id")) {
                            assertEquals(b, (Long) id % 4 == 0, f.toString());
                        }
                        rows += df.rowCount();
                    }
                }
                assertEquals(10_000, rows);
            }
        });
    }

    @Test
    void badPartitioningFailsClearlyAndLeavesNothing() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = engine(mem, new CopyOnWriteArrayList<>(), 256L << 20, 0)) {
                LazyFrame src = sw.range("id", 0, 100).withColumns(col("id").cast(dev.spillway.types.DataType.FLOAT64).alias("f"));
                Path dir = mem.dataDir().resolve("bad");
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> src.sinkParquet(dir, Partitioning.partitionBy("nope")));
                assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("available: id, f"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> src.sinkParquet(dir, Partitioning.partitionBy("f")));
                assertTrue(e.getMessage().contains("float64"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class,
                        () -> src.select(col("id")).sinkParquet(dir, Partitioning.partitionBy("id")));
                assertTrue(e.getMessage().contains("no column left"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> Partitioning.partitionBy("id").withMaxOpenFiles(0));
                assertFalse(Files.exists(dir), "a failed sink leaves no directory");

                Files.createDirectories(dir);
                Files.writeString(dir.resolve("keep.txt"), "x");
                FormatException fe = assertThrows(FormatException.class, () -> src.sinkParquet(dir, Partitioning.partitionBy("id")));
                assertTrue(fe.getMessage().contains("not empty"), fe.getMessage());
                try (Stream<Path> left = Files.list(dir)) {
                    assertEquals(List.of(dir.resolve("keep.txt")), left.toList());
                }
            }
        });
    }

    @Test
    void hivePathEscapesRoundTrip() {
        for (String v : new String[] {"plain", "a/b", "x=y", "100%", ".dot", "..", "tab\there", "Zürich", "q?*:"}) {
            String seg = HivePath.escape(v);
            assertFalse(seg.contains("/") || seg.contains("=") || seg.startsWith("."), seg);
            assertEquals(v, HivePath.unescape(seg), seg);
        }
        assertEquals(HivePath.NULL_VALUE, HivePath.escape(null));
        assertEquals(null, HivePath.unescape(HivePath.NULL_VALUE));
    }
}
