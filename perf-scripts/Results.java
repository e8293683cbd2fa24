import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Turns compare.sh's TSV into RESULTS.md (machine, date, sizes, one row per query and cap with
 * each engine's wall time, peak RSS and status, the Spillway/peer time ratios and whether the
 * checksums agree) and a PNG bar chart of the wall times.
 *
 *   Results TSV SCALE B P C O CAP RESULTS.md CHART.png
 */
public final class Results {
    private static final String[] ENGINES = {"spillway", "duckdb", "polars"};
    private static final Color[] COLORS = {new Color(0x2b6cb0), new Color(0xd69e2e), new Color(0x805ad5)};

    record Run(String query, String cap, String engine, String status, double seconds, long rssMb, long anonMb, long fileMb,
            String checksum) {
        /** Peak RSS with its sampled anonymous and file-backed peaks. */
        String memory() {
            return rssMb + " (" + anonMb + "/" + fileMb + ")";
        }
    }

    public static void main(String[] args) throws IOException {
        List<Run> runs = new ArrayList<>();
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            runs.add(new Run(f[0], f[1], f[2], f[3], f[4].isEmpty() ? Double.NaN : Double.parseDouble(f[4]),
                    f[5].isEmpty() ? 0 : Long.parseLong(f[5]), f[6].isEmpty() ? 0 : Long.parseLong(f[6]),
                    f[7].isEmpty() ? 0 : Long.parseLong(f[7]), f[8]));
        }
        Map<String, Map<String, Run>> rows = new LinkedHashMap<>();
        for (Run r : runs) {
            rows.computeIfAbsent(r.query + "\t" + r.cap, k -> new LinkedHashMap<>()).put(r.engine, r);
        }
        StringBuilder md = new StringBuilder();
        md.append("# Side-by-side results\n\n");
        md.append("Produced by `perf-scripts/compare.sh --scale ").append(args[1]).append(" --cap ").append(args[6])
                .append("` on ").append(LocalDate.now()).append(".\n\n");
        md.append("Machine: ").append(machine()).append(".\n\n");
        md.append(String.format(Locale.ROOT, "Data (see Compare.java): build %,d rows, probe %,d rows, customers %,d rows, "
                + "orders %,d rows, all CSV.%n%n", Long.parseLong(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]),
                Long.parseLong(args[5])));
        md.append("Engines: Spillway (2 worker threads, `memoryLimit` = cap), DuckDB JDBC 2.0.0.1 (`threads=2`, "
                + "`memory_limit` = cap, `preserve_insertion_order=false`), Polars (nodejs-polars 0.26.1, streaming "
                + "engine, `POLARS_MAX_THREADS=2`; Polars has no memory limit setting, so its capped rows repeat the "
                + "uncapped run). Each run is a fresh process under `/usr/bin/time -v` (Java with `-Xmx256m`); wall time "
                + "includes start-up. RSS MB is the peak resident set; in brackets the peaks of its anonymous and "
                + "file-backed parts, sampled every 100 ms (`RssAnon`, `RssFile` + `RssShmem`). "
                + "Results are written as CSV; checksums (row count and exact sums) are computed from the files.\n\n");
        md.append("| query | cap | Spillway s | RSS MB (anon/file) | DuckDB s | RSS MB (anon/file) | Polars s | RSS MB (anon/file) | Spillway/DuckDB | "
                + "Spillway/Polars | checksums |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map.Entry<String, Map<String, Run>> e : rows.entrySet()) {
            String[] key = e.getKey().split("\t");
            Map<String, Run> byEngine = e.getValue();
            md.append("| ").append(key[0]).append(" | ").append(key[1]).append(" |");
            for (String engine : ENGINES) {
                Run r = byEngine.get(engine);
                if (r == null) {
                    md.append(" - | - |");
                } else if (!r.status.equals("ok")) {
                    md.append(" ").append(r.status).append(String.format(Locale.ROOT, " (%.1f)", r.seconds)).append(" | ")
                            .append(r.memory()).append(" |");
                } else {
                    md.append(String.format(Locale.ROOT, " %.1f | %s |", r.seconds, r.memory()));
                }
            }
            md.append(" ").append(ratio(byEngine.get("spillway"), byEngine.get("duckdb"))).append(" | ")
                    .append(ratio(byEngine.get("spillway"), byEngine.get("polars"))).append(" | ")
                    .append(agreement(byEngine)).append(" |\n");
        }
        md.append("\n![wall times](results.png)\n");
        Files.writeString(Path.of(args[7]), md.toString());
        chart(rows, Path.of(args[8]));
    }

    private static String ratio(Run a, Run b) {
        if (a == null || b == null || !a.status.equals("ok") || !b.status.equals("ok") || b.seconds == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", a.seconds / b.seconds);
    }

    private static String agreement(Map<String, Run> byEngine) {
        String first = null;
        int ok = 0;
        for (Run r : byEngine.values()) {
            if (!r.status.equals("ok")) {
                continue;
            }
            ok++;
            if (first == null) {
                first = r.checksum;
            } else if (!first.equals(r.checksum)) {
                return "**MISMATCH**";
            }
        }
        return ok < 2 ? "n/a" : "agree (" + first + ")";
    }

    private static String machine() {
        String cpu = "unknown CPU";
        long memKb = 0;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    cpu = l.substring(l.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    memKb = Long.parseLong(l.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            // Not Linux: describe what the JVM knows.
        }
        return String.format(Locale.ROOT, "%s, %d cores, %.0f GiB RAM, %s %s, Java %s", cpu,
                Runtime.getRuntime().availableProcessors(), memKb / 1048576.0, System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("java.version"));
    }

    private static void chart(Map<String, Map<String, Run>> rows, Path png) throws IOException {
        int groups = rows.size();
        int barW = 22;
        int groupW = barW * ENGINES.length + 30;
        int left = 70;
        int top = 50;
        int plotH = 360;
        int w = left + groups * groupW + 40;
        int h = top + plotH + 110;
        double max = 1;
        for (Map<String, Run> m : rows.values()) {
            for (Run r : m.values()) {
                if (!Double.isNaN(r.seconds)) {
                    max = Math.max(max, r.seconds);
                }
            }
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("Wall time per query (seconds; lower is better)", left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setStroke(new BasicStroke(1));
        for (int t = 0; t <= 4; t++) {
            int y = top + plotH - t * plotH / 4;
            g.setColor(new Color(0xdddddd));
            g.drawLine(left, y, w - 30, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.0f", max * t / 4), 10, y + 4);
        }
        int gi = 0;
        for (Map.Entry<String, Map<String, Run>> e : rows.entrySet()) {
            int x0 = left + gi * groupW + 10;
            for (int k = 0; k < ENGINES.length; k++) {
                Run r = e.getValue().get(ENGINES[k]);
                int x = x0 + k * barW;
                if (r == null || !r.status.equals("ok")) {
                    g.setColor(Color.RED);
                    g.drawString("x", x + 7, top + plotH - 4);
                    continue;
                }
                int bh = (int) Math.round(r.seconds / max * plotH);
                g.setColor(COLORS[k]);
                g.fillRect(x, top + plotH - bh, barW - 3, bh);
            }
            g.setColor(Color.BLACK);
            String[] key = e.getKey().split("\t");
            g.drawString(key[0], x0, top + plotH + 16);
            g.drawString("cap " + key[1], x0, top + plotH + 30);
            gi++;
        }
        for (int k = 0; k < ENGINES.length; k++) {
            g.setColor(COLORS[k]);
            g.fillRect(left + k * 110, h - 40, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(ENGINES[k], left + k * 110 + 20, h - 29);
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }
}
