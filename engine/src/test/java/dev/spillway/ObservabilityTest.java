package dev.spillway;

import dev.spillway.event.BlocksEvicted;
import dev.spillway.event.MemoryReclaimed;
import dev.spillway.event.OpenFileLimit;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.PartitionReloaded;
import dev.spillway.event.QueryFinished;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.event.TmpfsWarning;
import dev.spillway.types.DataType;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.JoinType;
import dev.spillway.spill.MountInfo;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Event lines, profiles, JFR events and the HTML report of a query that spills and of one that
 * does not.
 */
class ObservabilityTest {
    private static final Pattern EVENT_LINE = Pattern.compile("\\[spillway\\] [a-z-]+: [a-z-]+( .*)?");
    private static final long BUILD = 20_000;
    private static final long PROBE = 100_000;

    private static Spillway engine(LeakCheck.TestMemory mem, long cap, double forceSpill, List<SpillwayEvent> events) {
        return engine(mem, cap, forceSpill, events, null);
    }

    /** An engine that reports events as records and, when {@code lines} is not null, as lines too. */
    private static Spillway engine(LeakCheck.TestMemory mem, long cap, double forceSpill, List<SpillwayEvent> events,
            List<String> lines) {
        Spillway.Builder b = Spillway.builder().memoryLimit(cap).threads(2).morselRows(4096).forceSpill(forceSpill)
                .tempDir(mem.tempRoot().resolve("s")).eventListener(events::add);
        if (lines != null) {
            b.events(lines::add);
        }
        return b.build();
    }

    /**
     * The demo's query (the CLI's {@code Demo}) at a small scale: {@code probeRows} rows with
     * {@code key = i mod buildRows} and {@code amount = i} joined with {@code buildRows} keys and a
     * 64-character payload, grouped by key.
     */
    private static LazyFrame demoQuery(Spillway sw, long buildRows, long probeRows) {
        LazyFrame build = sw.range("key", 0, buildRows).withColumns(lit("p".repeat(64)).alias("payload"));
        LazyFrame probe = sw.range("i", 0, probeRows)
                .select(col("i").mod(lit(buildRows)).alias("key"), col("i").cast(DataType.FLOAT64).alias("amount"));
        return probe.join(build, "key", JoinType.INNER)
                .groupBy("key")
                .agg(col("amount").sum().alias("sum_amount"), col("payload").charLength().cast(DataType.INT64).sum()
                        .alias("payload_bytes"));
    }

    @Test
    void spillingQueryLogsEventsAndItsProfileAddsUp() {
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = Collections.synchronizedList(new ArrayList<>());
            List<String> lines = Collections.synchronizedList(new ArrayList<>());
            try (Spillway sw = engine(mem, 8L << 20, 1.0, events, lines)) {
                QueryProfile p;
                try (ProfiledResult r = demoQuery(sw, BUILD, PROBE).profile()) {
                    p = r.profile();
                    assertEquals(BUILD, r.frame().rowCount());
                    assertEquals(r.frame().rowCount(), p.resultRows());
                    assertEquals(p, sw.lastProfile());
                    // Totals equal the spiller's own counters (one query ran on this engine).
                    assertEquals(sw.spills().stats().bytesWrittenRaw(), p.spilledRawBytes());
                    assertEquals(sw.spills().stats().bytesWrittenCompressed(), p.spilledCompressedBytes());
                    assertEquals(sw.spills().stats().bytesRead(), p.readBackBytes());
                    assertEquals(sw.spills().stats().filesCreated(), p.spillFiles());
                }
                assertTrue(p.spilledRawBytes() > 0 && p.spilledCompressedBytes() > 0, p.toTable());
                assertTrue(p.readBackBytes() > 0, p.toTable());
                assertTrue(p.partitionsSpilled() > 0, p.toTable());
                assertEquals((double) p.readBackRawBytes() / p.spilledRawBytes(), p.readAmplification(), 1e-12);
                assertTrue(p.peakBytes() > 0 && p.peakBytes() <= p.capBytes(), p.toTable());
                assertEquals(8L << 20, p.capBytes());
                // Rows in and out: the build pipeline takes the build rows, the probe pipeline the probe
                // rows; the last pipeline delivers the result.
                assertEquals(3, p.pipelines().size(), p.toTable());
                assertEquals(BUILD, p.pipelines().get(0).rowsIn(), p.toTable());
                assertEquals(PROBE, p.pipelines().get(1).rowsIn(), p.toTable());
                assertEquals(BUILD, p.pipelines().get(2).rowsOut(), p.toTable());
                for (QueryProfile.PipelineRow row : p.pipelines()) {
                    assertTrue(row.wallNanos() > 0 && row.busyNanos() > 0, row.toString());
                }
                assertFalse(p.samples().isEmpty());
                long evictions = events.stream().filter(e -> e instanceof PartitionEvicted).count();
                assertEquals(p.partitionsSpilled(), evictions);
                assertTrue(events.stream().anyMatch(e -> e instanceof PartitionEvicted v && v.component().equals("equi-join")),
                        events::toString);
                assertTrue(events.stream().anyMatch(e -> e instanceof PartitionReloaded v && v.component().equals("equi-join")),
                        events::toString);
                assertTrue(events.stream().anyMatch(e -> e instanceof OpenFileLimit), events::toString);
                // The line listener gets the line of every event the record listener gets, in the format users grep.
                assertEquals(events.stream().map(SpillwayEvent::line).sorted().toList(), lines.stream().sorted().toList());
                for (String line : lines) {
                    assertTrue(EVENT_LINE.matcher(line).matches(), line);
                }
                // Workers report concurrently, so the two lists may interleave differently.
                assertEquals(p.events().stream().map(QueryProfile.Event::line).sorted().toList(), events.stream()
                        .filter(e -> !(e instanceof OpenFileLimit)).map(SpillwayEvent::line).sorted().toList(),
                        "the profile holds the query's events");
                String json = p.toJson();
                assertTrue(json.startsWith("{\"query\":\"" + p.query() + "\""), json);
                assertTrue(json.contains("\"spilledRawBytes\":" + p.spilledRawBytes() + ","), json);
                assertTrue(json.endsWith("]}"), json);
                assertTrue(p.toString().contains("read amplification"), p.toString());
            }
            deleteRoot(mem);
        });
    }

    @Test
    void inMemoryQueryLogsNoSpillEvents() {
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = Collections.synchronizedList(new ArrayList<>());
            try (Spillway sw = engine(mem, 256L << 20, 0.0, events)) {
                LazyFrame a = sw.range("k", 0, 10_000);
                LazyFrame b = sw.range("k", 0, 5_000);
                try (DataFrame df = a.join(b, "k", JoinType.INNER).groupBy("k").agg(col("k").sum().alias("s")).collect()) {
                    assertEquals(5_000, df.rowCount());
                }
                QueryProfile p = sw.lastProfile();
                assertNotNull(p);
                assertEquals(0, p.spilledRawBytes());
                assertEquals(0, p.readBackBytes());
                assertEquals(0, p.partitionsSpilled());
                assertEquals(0, p.reclaims());
                assertEquals(5_000, p.resultRows());
                assertFalse(events.stream().anyMatch(e -> e instanceof PartitionEvicted || e instanceof BlocksEvicted
                        || e instanceof MemoryReclaimed || e instanceof PartitionReloaded), events::toString);
                assertTrue(events.stream().anyMatch(e -> e instanceof QueryFinished), events::toString);
            }
            deleteRoot(mem);
        });
    }

    @Test
    void pressureProducesJfrEventsThatMatchTheProfile() {
        LeakCheck.assertNoLeaks(mem -> {
            Path jfr = mem.dataDir().resolve("spill.jfr");
            List<SpillwayEvent> events = Collections.synchronizedList(new ArrayList<>());
            QueryProfile p;
            try (Recording rec = new Recording()) {
                for (String name : List.of("dev.spillway.SpillWrite", "dev.spillway.SpillRead", "dev.spillway.MemoryPressure",
                        "dev.spillway.QueryFinished")) {
                    rec.enable(name);
                }
                rec.start();
                try (Spillway sw = engine(mem, 8L << 20, 0.0, events)) {
                    try (DataFrame df = demoQuery(sw, BUILD, PROBE).collect()) {
                        p = sw.lastProfile();
                        double sum = 0;
                        for (Morsel m : df.morsels()) {
                            Float64Vector amounts = (Float64Vector) m.column(1);
                            for (int row = 0; row < m.rowCount(); row++) {
                                sum += amounts.get(row);
                            }
                        }
                        // Every probe row i matches one build row: the sums add up to 0 + 1 + ... + (PROBE - 1).
                        assertEquals(PROBE * (PROBE - 1) / 2, (long) sum);
                    }
                }
                rec.stop();
                rec.dump(jfr);
            }
            deleteRoot(mem);
            List<RecordedEvent> recorded = RecordingFile.readAllEvents(jfr);
            long writeRaw = 0;
            long readStored = 0;
            int pressure = 0;
            int finished = 0;
            for (RecordedEvent e : recorded) {
                switch (e.getEventType().getName()) {
                    case "dev.spillway.SpillWrite" -> {
                        assertTrue(e.getLong("rawBytes") > 0 && e.getLong("storedBytes") > 0 && e.getInt("rows") > 0, e.toString());
                        assertTrue(e.getString("file").endsWith(".spill"), e.toString());
                        writeRaw += e.getLong("rawBytes");
                    }
                    case "dev.spillway.SpillRead" -> readStored += e.getLong("storedBytes");
                    case "dev.spillway.MemoryPressure" -> {
                        assertEquals(p.query(), e.getString("query"));
                        assertTrue(e.getLong("freedBytes") > 0 && e.getLong("requestedBytes") > 0, e.toString());
                        assertEquals(8L << 20, e.getLong("capBytes"));
                        pressure++;
                    }
                    case "dev.spillway.QueryFinished" -> {
                        assertEquals(p.query(), e.getString("query"));
                        assertTrue(e.getBoolean("succeeded"));
                        assertEquals(p.resultRows(), e.getLong("resultRows"));
                        assertEquals(p.peakBytes(), e.getLong("peakBytes"));
                        assertEquals(p.spilledRawBytes(), e.getLong("spilledRawBytes"));
                        assertTrue(e.getDuration().toNanos() > 0);
                        finished++;
                    }
                    default -> {
                    }
                }
            }
            assertTrue(p.reclaims() > 0, p.toTable());
            assertEquals(p.spilledRawBytes(), writeRaw);
            assertEquals(p.readBackBytes(), readStored);
            assertEquals(events.stream().filter(e -> e instanceof MemoryReclaimed).count(), pressure);
            assertEquals(1, finished);
        });
    }

    @Test
    void htmlReportIsSelfContainedWithPlanAndCharts() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = engine(mem, 8L << 20, 0.5, new ArrayList<>())) {
                LazyFrame q = demoQuery(sw, 5_000, 20_000);
                QueryProfile p;
                try (ProfiledResult r = q.profile()) {
                    p = r.profile();
                }
                Path html = mem.dataDir().resolve("report.html");
                p.writeHtml(html);
                String text = Files.readString(html);
                assertTrue(text.startsWith("<!DOCTYPE html>"), text);
                assertTrue(text.trim().endsWith("</html>"));
                assertTrue(text.contains("STREAMING_EQUI_JOIN") && text.contains("STREAMING_GROUP_BY"), text);
                assertEquals(q.explain().trim(), p.plan().trim());
                assertEquals(3, count(text, "<svg "));
                assertEquals(3, count(text, "</svg>"));
                assertTrue(text.contains("<polyline"));
                assertFalse(text.contains("http://") || text.contains("https://") || text.contains("<script")
                        || text.contains("<link"), "external reference in the report");
                assertTrue(text.contains("equi-join: evicting partition="), "events listed");
            }
            deleteRoot(mem);
        });
    }

    @Test
    void spillRootOnTmpfsIsReportedAsAnEventLine() {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(shm) && "tmpfs".equals(MountInfo.fileSystemType(shm)),
                "no tmpfs at /dev/shm");
        LeakCheck.assertNoLeaks(mem -> {
            Path root = Files.createTempDirectory(shm, "spillway-obs-test-");
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            List<SpillwayEvent> records = Collections.synchronizedList(new ArrayList<>());
            try (Spillway sw = Spillway.builder().memoryLimit(64L << 20).threads(1).tempDir(root).events(events::add)
                    .eventListener(records::add).build()) {
                assertTrue(sw.spills().onTmpfs());
                assertTrue(events.stream().anyMatch(l -> l.startsWith("[spillway] spiller: tmpfs-warning path=" + root)),
                        events::toString);
                assertTrue(records.stream().anyMatch(e -> e instanceof TmpfsWarning w && w.path().equals(root)), records::toString);
            } finally {
                Files.delete(root);
            }
        });
    }

    /** The spill root the engine created under the test's temp root (empty once the engine closed). */
    private static void deleteRoot(LeakCheck.TestMemory mem) throws IOException {
        Files.delete(mem.tempRoot().resolve("s"));
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
