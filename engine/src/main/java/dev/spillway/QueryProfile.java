package dev.spillway;

import dev.spillway.event.SpillwayEvent;
import dev.spillway.memory.Bytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What one query run did: rows and time per pipeline, memory per operator, the query's peak memory
 * against its cap, spill volumes (taken from the query's {@link dev.spillway.spill.SpillStats}, so
 * they equal the spiller's own counters), the event lines it logged and memory samples over time.
 *
 * <p>Obtained from {@link LazyFrame#profile()} or, after {@code collect()}/{@code sinkCsv()}, from
 * {@link Spillway#lastProfile()}. Immutable plain Java data: it outlives the result and the engine.
 * Printable as a text table ({@link #toTable()}), JSON ({@link #toJson()}) and a self-contained
 * HTML report ({@link #writeHtml(Path)}).
 */
public final class QueryProfile {
    /**
     * One pipeline: a source, its stateless operators and a sink.
     *
     * @param name      the pipeline name (from the physical planner)
     * @param morsels   morsels that went through it
     * @param rowsIn    rows its source produced
     * @param rowsOut   rows its sink received
     * @param wallNanos time from its first to its last morsel
     * @param busyNanos worker time spent in it, summed over workers (CPU time when workers never block)
     */
    public record PipelineRow(String name, long morsels, long rowsIn, long rowsOut, long wallNanos, long busyNanos) {
    }

    /**
     * The memory of one operator (a child budget of the query), sampled.
     *
     * @param name              the operator's budget name, e.g. {@code equi-join-1}
     * @param peakReservedBytes the most it held in any sample
     */
    public record OperatorMemory(String name, long peakReservedBytes) {
    }

    /**
     * One sample of the query's memory and spill directory.
     *
     * @param atNanos       time since the query started
     * @param reservedBytes memory held by the query
     * @param onDiskBytes   bytes in its spill files now
     * @param spilledBytes  bytes written to spill files so far
     * @param rowsProcessed rows taken in by its pipelines so far
     */
    public record Sample(long atNanos, long reservedBytes, long onDiskBytes, long spilledBytes, long rowsProcessed) {
    }

    /**
     * One event of the query.
     *
     * @param atNanos time since the query started
     * @param event   the event
     */
    public record Event(long atNanos, SpillwayEvent event) {
        /** The event's log line ({@code [spillway] <component>: <event> key=value ...}). */
        public String line() {
            return event.line();
        }
    }

    private final String query;
    private final String plan;
    private final boolean succeeded;
    private final long wallNanos;
    private final long resultRows;
    private final long peakBytes;
    private final long capBytes;
    private final long spilledRawBytes;
    private final long spilledCompressedBytes;
    private final long readBackBytes;
    private final long readBackRawBytes;
    private final long spillFiles;
    private final int partitionsSpilled;
    private final Pressure pressure;
    private final ProcessMemory process;
    private final List<PipelineRow> pipelines;
    private final List<OperatorMemory> operators;
    private final List<Sample> samples;
    private final List<Event> events;

    QueryProfile(String query, String plan, boolean succeeded, long wallNanos, long resultRows, long peakBytes, long capBytes,
            long[] spill, int partitionsSpilled, Pressure pressure, ProcessMemory process, List<PipelineRow> pipelines,
            List<OperatorMemory> operators, List<Sample> samples, List<Event> events) {
        this.query = query;
        this.plan = plan;
        this.succeeded = succeeded;
        this.wallNanos = wallNanos;
        this.resultRows = resultRows;
        this.peakBytes = peakBytes;
        this.capBytes = capBytes;
        this.spilledRawBytes = spill[0];
        this.spilledCompressedBytes = spill[1];
        this.readBackBytes = spill[2];
        this.readBackRawBytes = spill[3];
        this.spillFiles = spill[4];
        this.partitionsSpilled = partitionsSpilled;
        this.pressure = pressure;
        this.process = process;
        this.pipelines = List.copyOf(pipelines);
        this.operators = List.copyOf(operators);
        this.samples = List.copyOf(samples);
        this.events = List.copyOf(events);
    }

    /** The query name. */
    public String query() {
        return query;
    }

    /** The physical plan as {@link LazyFrame#explain()} prints it. */
    public String plan() {
        return plan;
    }

    /** Whether the query succeeded. */
    public boolean succeeded() {
        return succeeded;
    }

    /** Wall time of the whole query. */
    public long wallNanos() {
        return wallNanos;
    }

    /** Rows that reached the final sink (the result). */
    public long resultRows() {
        return resultRows;
    }

    /** Most bytes the query held at once (exact, from its budget). */
    public long peakBytes() {
        return peakBytes;
    }

    /** The query's memory cap ({@link dev.spillway.memory.MemoryBudget#UNLIMITED} for the in-memory engine). */
    public long capBytes() {
        return capBytes;
    }

    /** Raw (uncompressed) column bytes spilled. */
    public long spilledRawBytes() {
        return spilledRawBytes;
    }

    /** Bytes written to spill files (compressed blocks and metadata). */
    public long spilledCompressedBytes() {
        return spilledCompressedBytes;
    }

    /** Stored bytes read back from spill files. */
    public long readBackBytes() {
        return readBackBytes;
    }

    /** Raw column bytes produced by reading spill files back. */
    public long readBackRawBytes() {
        return readBackRawBytes;
    }

    /** Raw bytes read back per raw byte spilled (0 when nothing spilled). */
    public double readAmplification() {
        return spilledRawBytes == 0 ? 0 : (double) readBackRawBytes / spilledRawBytes;
    }

    /** Spill files created. */
    public long spillFiles() {
        return spillFiles;
    }

    /** Partitions evicted to disk (join build and group-by partitions; forced or under pressure). */
    public int partitionsSpilled() {
        return partitionsSpilled;
    }

    /**
     * Memory pressure of one query under the engine's memory arbiter, seen from both sides: what
     * this query's reservations made spill (its own operators or other queries'), and what its
     * operators spilled for other queries' reservations.
     *
     * @param reclaims                    reclamations for this query's reservations that freed memory
     * @param bytesReclaimed              bytes they freed, in any query
     * @param bytesFromOtherQueries       the part of {@code bytesReclaimed} that other queries' operators freed
     * @param spillsForOtherQueries       spills of this query's operators for other queries' reservations
     * @param bytesSpilledForOtherQueries bytes those spills freed
     */
    public record Pressure(long reclaims, long bytesReclaimed, long bytesFromOtherQueries, long spillsForOtherQueries,
            long bytesSpilledForOtherQueries) {
    }

    /** How many times memory pressure of this query made the memory arbiter reclaim. */
    public long reclaims() {
        return pressure.reclaims();
    }

    /** Bytes freed by spills that this query's pressure caused (in this query or others). */
    public long bytesReclaimed() {
        return pressure.bytesReclaimed();
    }

    /** Both sides of this query's memory pressure (see {@link Pressure}). */
    public Pressure pressure() {
        return pressure;
    }

    /** Per-pipeline rows and times, in plan order. */
    public List<PipelineRow> pipelines() {
        return pipelines;
    }

    /**
     * The process's resident memory while the query ran: the largest RSS, anonymous and file-backed
     * figures seen by the {@value QueryRecorder#SAMPLE_MILLIS} ms samples (each its own maximum),
     * and the process's high-water mark at the end (since the process started, so it includes
     * earlier queries). Beside {@link #peakBytes()}, it tells how far the process is from the cap.
     */
    public ProcessMemory process() {
        return process;
    }

    /** Sampled peak memory per operator. */
    public List<OperatorMemory> operators() {
        return operators;
    }

    /** Memory and spill samples over time. */
    public List<Sample> samples() {
        return samples;
    }

    /** The query's event lines. */
    public List<Event> events() {
        return events;
    }

    // ------------------------------------------------------------------ rendering

    /** A multi-line text table. */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("query ").append(query).append(succeeded ? "" : " (FAILED)").append(": ").append(ms(wallNanos))
                .append(" ms, ").append(resultRows).append(" result rows\n");
        sb.append(String.format(Locale.ROOT, "%-28s %9s %14s %14s %10s %10s%n", "pipeline", "morsels", "rows in", "rows out",
                "wall ms", "busy ms"));
        for (PipelineRow p : pipelines) {
            sb.append(String.format(Locale.ROOT, "%-28s %9d %14d %14d %10d %10d%n", p.name(), p.morsels(), p.rowsIn(),
                    p.rowsOut(), ms(p.wallNanos()), ms(p.busyNanos())));
        }
        if (!operators.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%-28s %14s%n", "operator", "peak memory"));
            for (OperatorMemory o : operators) {
                sb.append(String.format(Locale.ROOT, "%-28s %14s%n", o.name(), Bytes.format(o.peakReservedBytes())));
            }
        }
        sb.append("memory: peak ").append(Bytes.format(peakBytes)).append(" of cap ").append(capText()).append('\n');
        if (process.hwmBytes() > 0) {
            sb.append("process: peak RSS ").append(Bytes.format(process.rssBytes())).append(" (anonymous ")
                    .append(Bytes.format(process.anonBytes())).append(", file-backed ").append(Bytes.format(process.fileBytes()))
                    .append("), process high-water ").append(Bytes.format(process.hwmBytes())).append('\n');
        }
        sb.append("spill: ").append(partitionsSpilled).append(" partitions, ").append(spillFiles).append(" files, written ")
                .append(Bytes.format(spilledRawBytes)).append(" raw / ").append(Bytes.format(spilledCompressedBytes))
                .append(" compressed, read back ").append(Bytes.format(readBackBytes)).append(" (")
                .append(Bytes.format(readBackRawBytes)).append(" raw), read amplification ")
                .append(String.format(Locale.ROOT, "%.2f", readAmplification())).append('\n');
        sb.append("pressure: ").append(pressure.reclaims()).append(" reclaims freed ").append(Bytes.format(pressure.bytesReclaimed()));
        if (pressure.bytesFromOtherQueries() > 0) {
            sb.append(" (").append(Bytes.format(pressure.bytesFromOtherQueries())).append(" by other queries' operators)");
        }
        if (pressure.spillsForOtherQueries() > 0) {
            sb.append("; ").append(pressure.spillsForOtherQueries()).append(" spills for other queries freed ")
                    .append(Bytes.format(pressure.bytesSpilledForOtherQueries()));
        }
        sb.append('\n');
        return sb.toString();
    }

    private String capText() {
        return capBytes == dev.spillway.memory.MemoryBudget.UNLIMITED ? "unlimited" : Bytes.format(capBytes);
    }

    static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    @Override
    public String toString() {
        return toTable();
    }

    /** The profile as a JSON object (samples and events included). */
    public String toJson() {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\"query\":").append(json(query))
                .append(",\"succeeded\":").append(succeeded)
                .append(",\"wallNanos\":").append(wallNanos)
                .append(",\"resultRows\":").append(resultRows)
                .append(",\"peakBytes\":").append(peakBytes)
                .append(",\"capBytes\":").append(capBytes)
                .append(",\"spilledRawBytes\":").append(spilledRawBytes)
                .append(",\"spilledCompressedBytes\":").append(spilledCompressedBytes)
                .append(",\"readBackBytes\":").append(readBackBytes)
                .append(",\"readBackRawBytes\":").append(readBackRawBytes)
                .append(",\"readAmplification\":").append(String.format(Locale.ROOT, "%.6f", readAmplification()))
                .append(",\"spillFiles\":").append(spillFiles)
                .append(",\"partitionsSpilled\":").append(partitionsSpilled)
                .append(",\"reclaims\":").append(pressure.reclaims())
                .append(",\"bytesReclaimed\":").append(pressure.bytesReclaimed())
                .append(",\"bytesFromOtherQueries\":").append(pressure.bytesFromOtherQueries())
                .append(",\"spillsForOtherQueries\":").append(pressure.spillsForOtherQueries())
                .append(",\"bytesSpilledForOtherQueries\":").append(pressure.bytesSpilledForOtherQueries())
                .append(",\"peakRssBytes\":").append(process.rssBytes())
                .append(",\"peakRssAnonBytes\":").append(process.anonBytes())
                .append(",\"peakRssFileBytes\":").append(process.fileBytes())
                .append(",\"processHwmBytes\":").append(process.hwmBytes())
                .append(",\"plan\":").append(json(plan))
                .append(",\"pipelines\":[");
        for (int i = 0; i < pipelines.size(); i++) {
            PipelineRow p = pipelines.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(json(p.name())).append(",\"morsels\":").append(p.morsels())
                    .append(",\"rowsIn\":").append(p.rowsIn()).append(",\"rowsOut\":").append(p.rowsOut())
                    .append(",\"wallNanos\":").append(p.wallNanos()).append(",\"busyNanos\":").append(p.busyNanos()).append('}');
        }
        sb.append("],\"operators\":[");
        for (int i = 0; i < operators.size(); i++) {
            OperatorMemory o = operators.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(json(o.name())).append(",\"peakReservedBytes\":")
                    .append(o.peakReservedBytes()).append('}');
        }
        sb.append("],\"samples\":[");
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            sb.append(i == 0 ? "" : ",").append('[').append(s.atNanos()).append(',').append(s.reservedBytes()).append(',')
                    .append(s.onDiskBytes()).append(',').append(s.spilledBytes()).append(',').append(s.rowsProcessed()).append(']');
        }
        sb.append("],\"events\":[");
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"atNanos\":").append(e.atNanos()).append(",\"line\":").append(json(e.line()))
                    .append('}');
        }
        return sb.append("]}").toString();
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /**
     * Writes a self-contained HTML report (inline SVG, no external resources): the plan, the
     * pipeline table, memory reserved against the cap and spill-directory bytes over time, and the
     * event timeline.
     *
     * @throws UncheckedIOException when the file cannot be written
     */
    public void writeHtml(Path file) {
        try {
            Files.writeString(file, ProfileReport.html(this), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the profile report " + file + ": " + e.getMessage(), e);
        }
    }
}
