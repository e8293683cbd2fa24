import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Draws the CSV of watch-spill.sh (time_s,temp_dir_bytes,read_mb_s,write_mb_s) as a PNG: the
 * temp-directory size on top, disk read and write throughput below. Run as a single-file program:
 * {@code java SpillChart.java in.csv out.png}.
 */
public final class SpillChart {
    private static final int W = 1000;
    private static final int PANEL = 260;
    private static final int LEFT = 80;

    public static void main(String[] args) throws IOException {
        List<double[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank() || !Character.isDigit(line.charAt(0))) {
                continue;
            }
            String[] f = line.split(",");
            rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]) / (1 << 20), Double.parseDouble(f[2]),
                Double.parseDouble(f[3])});
        }
        BufferedImage img = new BufferedImage(W, 2 * PANEL + 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double tMax = rows.isEmpty() ? 1 : Math.max(rows.get(rows.size() - 1)[0], 1e-3);
        panel(g, rows, tMax, 10, "temp dir MiB", new int[] {1}, new Color[] {new Color(0xd62728)});
        panel(g, rows, tMax, PANEL + 30, "disk MB/s (read blue, write orange)", new int[] {2, 3},
            new Color[] {new Color(0x1f77b4), new Color(0xff7f0e)});
        g.dispose();
        ImageIO.write(img, "png", Path.of(args[1]).toFile());
    }

    private static void panel(Graphics2D g, List<double[]> rows, double tMax, int top, String title, int[] cols, Color[] colors) {
        int h = PANEL - 40;
        int bottom = top + 20 + h;
        double max = 1e-9;
        for (double[] r : rows) {
            for (int c : cols) {
                max = Math.max(max, r[c]);
            }
        }
        g.setColor(Color.BLACK);
        g.drawString(title, LEFT, top + 12);
        g.drawLine(LEFT, top + 20, LEFT, bottom);
        g.drawLine(LEFT, bottom, W - 20, bottom);
        for (int i = 0; i <= 4; i++) {
            int y = bottom - h * i / 4;
            g.drawString(String.format("%.1f", max * i / 4), 8, y + 4);
            int x = LEFT + (W - 20 - LEFT) * i / 4;
            g.drawString(String.format("%.1f s", tMax * i / 4), x - 15, bottom + 14);
        }
        g.setStroke(new BasicStroke(2f));
        for (int k = 0; k < cols.length; k++) {
            g.setColor(colors[k]);
            int px = -1;
            int py = -1;
            for (double[] r : rows) {
                int x = LEFT + (int) ((W - 20 - LEFT) * r[0] / tMax);
                int y = bottom - (int) (h * r[cols[k]] / max);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
        }
        g.setStroke(new BasicStroke(1f));
    }
}
