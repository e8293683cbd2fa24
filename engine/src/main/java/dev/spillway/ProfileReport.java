package dev.spillway;

import dev.spillway.event.AggregationInputComplete;
import dev.spillway.event.AsofJoinDone;
import dev.spillway.event.AsofStateCompacted;
import dev.spillway.event.BacklogSpilled;
import dev.spillway.event.BlocksEvicted;
import dev.spillway.event.CpuPinningFailed;
import dev.spillway.event.CpuPinningUnavailable;
import dev.spillway.event.EngineStarted;
import dev.spillway.event.JoinBuildComplete;
import dev.spillway.event.MemoryReclaimed;
import dev.spillway.event.MergeJoinDone;
import dev.spillway.event.MultiplexerInputComplete;
import dev.spillway.event.MultiplexerReaderDetached;
import dev.spillway.event.NestedLoopBuildComplete;
import dev.spillway.event.NestedLoopFinished;
import dev.spillway.event.OpenFileLimit;
import dev.spillway.event.ParquetScanPlanned;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.PartitionMerging;
import dev.spillway.event.PartitionReloaded;
import dev.spillway.event.PartitionRepartitioned;
import dev.spillway.event.PartitionSplit;
import dev.spillway.event.PartitionedSinkFinished;
import dev.spillway.event.ProbeStarted;
import dev.spillway.event.QueryFinished;
import dev.spillway.event.QueryRetried;
import dev.spillway.event.QueryStarted;
import dev.spillway.event.RunSpilled;
import dev.spillway.event.SkewDetected;
import dev.spillway.event.SortDone;
import dev.spillway.event.SortFinalMerge;
import dev.spillway.event.SortInputComplete;
import dev.spillway.event.SortMergePass;
import dev.spillway.event.SortRunSpilled;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.event.StaleSweepFailed;
import dev.spillway.event.TmpfsWarning;
import dev.spillway.event.WorkerLoopError;
import dev.spillway.memory.Bytes;
import dev.spillway.memory.MemoryBudget;

import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

/** Renders a {@link QueryProfile} as one self-contained HTML page with inline SVG charts. */
final class ProfileReport {
    private static final int WIDTH = 1000;
    private static final int CHART_HEIGHT = 200;
    private static final int LEFT = 80;
    private static final int TOP = 20;
    private static final String EVICTION = "#d62728";
    private static final String PRESSURE = "#ff7f0e";
    private static final String RELOAD = "#2ca02c";
    private static final String OTHER = "#1f77b4";

    private ProfileReport() {
    }

    static String html(QueryProfile p) {
        StringBuilder sb = new StringBuilder(16_384);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Spillway profile ")
                .append(esc(p.query())).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:20px;color:#222}pre{background:#f4f4f4;padding:8px;white-space:pre-wrap}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
                .append("td:first-child,th:first-child{text-align:left}svg{background:#fcfcfc;border:1px solid #ddd}")
                .append(".ev{font-family:monospace;font-size:12px}</style></head><body>\n");
        sb.append("<h1>Query ").append(esc(p.query())).append(p.succeeded() ? "" : " (failed)").append("</h1>\n");
        sb.append("<p>").append(QueryProfile.ms(p.wallNanos())).append(" ms, ").append(p.resultRows())
                .append(" result rows; peak memory ").append(Bytes.format(p.peakBytes())).append(" of ")
                .append(p.capBytes() == MemoryBudget.UNLIMITED ? "unlimited" : Bytes.format(p.capBytes()))
                .append("; spilled ").append(Bytes.format(p.spilledRawBytes())).append(" raw / ")
                .append(Bytes.format(p.spilledCompressedBytes())).append(" compressed in ").append(p.partitionsSpilled())
                .append(" partitions; read back ").append(Bytes.format(p.readBackBytes()))
                .append(String.format(Locale.ROOT, " (read amplification %.2f)", p.readAmplification())).append("</p>\n");
        sb.append("<h2>Plan</h2>\n<pre id=\"plan\">").append(esc(p.plan())).append("</pre>\n");
        sb.append("<h2>Pipelines</h2>\n<table><tr><th>pipeline</th><th>morsels</th><th>rows in</th><th>rows out</th>")
                .append("<th>wall ms</th><th>busy ms</th></tr>\n");
        for (QueryProfile.PipelineRow r : p.pipelines()) {
            sb.append("<tr><td>").append(esc(r.name())).append("</td><td>").append(r.morsels()).append("</td><td>")
                    .append(r.rowsIn()).append("</td><td>").append(r.rowsOut()).append("</td><td>")
                    .append(QueryProfile.ms(r.wallNanos())).append("</td><td>").append(QueryProfile.ms(r.busyNanos()))
                    .append("</td></tr>\n");
        }
        sb.append("</table>\n");
        long end = Math.max(1, p.wallNanos());
        long cap = p.capBytes() == MemoryBudget.UNLIMITED ? 0 : p.capBytes();
        sb.append("<h2>Memory reserved vs cap</h2>\n");
        chart(sb, p.samples(), QueryProfile.Sample::reservedBytes, cap, end, "#1f77b4", "reserved");
        sb.append("<h2>Spill directory bytes</h2>\n");
        chart(sb, p.samples(), QueryProfile.Sample::onDiskBytes, 0, end, "#d62728", "on disk");
        sb.append("<h2>Event timeline</h2>\n");
        timeline(sb, p.events(), end);
        sb.append("<div class=\"ev\">\n");
        for (QueryProfile.Event e : p.events()) {
            sb.append(String.format(Locale.ROOT, "%9.3f s  ", e.atNanos() / 1e9)).append(esc(e.line())).append("<br>\n");
        }
        sb.append("</div>\n</body></html>\n");
        return sb.toString();
    }

    private static void chart(StringBuilder sb, List<QueryProfile.Sample> samples, ToLongFunction<QueryProfile.Sample> y,
            long cap, long end, String color, String label) {
        long max = Math.max(cap, 1);
        for (QueryProfile.Sample s : samples) {
            max = Math.max(max, y.applyAsLong(s));
        }
        int plotW = WIDTH - LEFT - 20;
        int h = CHART_HEIGHT + TOP + 30;
        sb.append("<svg width=\"").append(WIDTH).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(h).append("\">\n");
        axes(sb, max, end, plotW);
        if (cap > 0) {
            double cy = yOf(cap, max);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#888\" "
                    + "stroke-dasharray=\"6,4\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"#555\">cap %s</text>%n",
                    LEFT, cy, LEFT + plotW, cy, LEFT + plotW - 90, cy - 4, Bytes.format(cap)));
        }
        StringBuilder pts = new StringBuilder();
        for (QueryProfile.Sample s : samples) {
            pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", xOf(s.atNanos(), end, plotW), yOf(y.applyAsLong(s), max)));
        }
        sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\" points=\"")
                .append(pts.toString().trim()).append("\"/>\n");
        sb.append("<text x=\"").append(LEFT + 8).append("\" y=\"").append(TOP + 12).append("\" font-size=\"12\" fill=\"")
                .append(color).append("\">").append(label).append("</text>\n</svg>\n");
    }

    private static void axes(StringBuilder sb, long max, long end, int plotW) {
        int bottom = TOP + CHART_HEIGHT;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", LEFT, TOP, LEFT,
                bottom));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n", LEFT, bottom,
                LEFT + plotW, bottom));
        for (int i = 0; i <= 4; i++) {
            double yy = yOf(max * i / 4, max);
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>%n",
                    LEFT - 4, yy + 3, Bytes.format(max * i / 4)));
            double xx = LEFT + plotW * i / 4.0;
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.2f s</text>%n",
                    xx, bottom + 14, end * i / 4.0 / 1e9));
        }
    }

    private static void timeline(StringBuilder sb, List<QueryProfile.Event> events, long end) {
        int plotW = WIDTH - LEFT - 20;
        int h = 70;
        sb.append("<svg width=\"").append(WIDTH).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(h).append("\">\n");
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"40\" stroke=\"#333\"/>%n", LEFT,
                LEFT + plotW));
        for (QueryProfile.Event e : events) {
            String color = color(e.event());
            sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"40\" r=\"4\" fill=\"%s\"><title>%s</title></circle>%n",
                    xOf(Math.min(e.atNanos(), end), end, plotW), color, esc(e.line())));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"62\" font-size=\"10\">0 s</text>"
                + "<text x=\"%d\" y=\"62\" font-size=\"10\" text-anchor=\"end\">%.2f s</text>%n", LEFT, LEFT + plotW, end / 1e9));
        sb.append("<text x=\"").append(LEFT).append("\" y=\"20\" font-size=\"11\">").append(events.size())
                .append(" events (red: eviction, orange: memory pressure, green: reload, blue: other)</text>\n</svg>\n");
    }

    /**
     * The timeline colour of an event: red for evictions, orange for memory pressure, green for
     * reloads, blue for the rest. No default case, so that a new event kind must be placed here.
     */
    static String color(SpillwayEvent event) {
        return switch (event) {
            case PartitionEvicted _, BlocksEvicted _ -> EVICTION;
            case MemoryReclaimed _ -> PRESSURE;
            case PartitionReloaded _ -> RELOAD;
            case PartitionRepartitioned _, PartitionSplit _, SkewDetected _, JoinBuildComplete _, ProbeStarted _, AggregationInputComplete _,
                    PartitionMerging _, SortRunSpilled _, SortInputComplete _, SortMergePass _, SortFinalMerge _,
                    SortDone _, RunSpilled _, MergeJoinDone _, AsofJoinDone _, AsofStateCompacted _, BacklogSpilled _,
                    MultiplexerInputComplete _, MultiplexerReaderDetached _, NestedLoopBuildComplete _, NestedLoopFinished _,
                    TmpfsWarning _,
                    OpenFileLimit _, StaleSweepFailed _, CpuPinningUnavailable _, CpuPinningFailed _, WorkerLoopError _,
                    ParquetScanPlanned _, PartitionedSinkFinished _, EngineStarted _, QueryStarted _, QueryFinished _, QueryRetried _ -> OTHER;
        };
    }

    private static double xOf(long at, long end, int plotW) {
        return LEFT + (double) plotW * at / end;
    }

    private static double yOf(long v, long max) {
        return TOP + CHART_HEIGHT - (double) CHART_HEIGHT * v / max;
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
