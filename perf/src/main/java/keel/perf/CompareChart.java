package keel.perf;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;

/**
 * The chart of {@code perf/RESULTS.md}: throughput and p99 latency side by side, a pair of bars
 * (etcd, Keel) per workload, medians over the rounds, on log scales (the workloads span three
 * orders of magnitude). Drawn with Java2D, headless.
 */
final class CompareChart {
  private static final int PANEL_WIDTH = 640;
  private static final int HEIGHT = 460;
  private static final int LEFT = 70;
  private static final int TOP = 50;
  private static final int BOTTOM = 140;
  private static final Color ETCD = new Color(0x9e9e9e);
  private static final Color KEEL = new Color(0x1f77b4);

  static void write(Map<String, Map<String, List<CompareReport.Run>>> runs, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(2 * PANEL_WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    panel(g, 0, "throughput, requests/s (higher is better)", runs, CompareReport.Run::rps);
    panel(g, PANEL_WIDTH, "p99 latency, ms (lower is better)", runs, CompareReport.Run::p99Ms);
    legend(g);
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(image, "png", png.toFile());
  }

  private static void panel(Graphics2D g, int x0, String title, Map<String, Map<String, List<CompareReport.Run>>> runs,
      ToDoubleFunction<CompareReport.Run> field) {
    int plotLeft = x0 + LEFT;
    int plotRight = x0 + PANEL_WIDTH - 20;
    int plotTop = TOP;
    int plotBottom = HEIGHT - BOTTOM;
    double max = 1;
    double min = Double.MAX_VALUE;
    for (Map<String, List<CompareReport.Run>> byTarget : runs.values()) {
      for (List<CompareReport.Run> list : byTarget.values()) {
        double v = CompareReport.median(list, field);
        if (v > 0 && !Double.isNaN(v)) {
          max = Math.max(max, v);
          min = Math.min(min, v);
        }
      }
    }
    int lowDecade = (int) Math.floor(Math.log10(Math.min(min, max)));
    int highDecade = (int) Math.ceil(Math.log10(max));
    if (highDecade == lowDecade) {
      highDecade++;
    }
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(title, plotLeft, plotTop - 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    for (int d = lowDecade; d <= highDecade; d++) {
      int y = y(Math.pow(10, d), lowDecade, highDecade, plotTop, plotBottom);
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(plotLeft, y, plotRight, y);
      g.setColor(Color.DARK_GRAY);
      String label = CompareReport.fmt(Math.pow(10, d));
      g.drawString(label, plotLeft - 8 - g.getFontMetrics().stringWidth(label), y + 4);
    }
    int slot = (plotRight - plotLeft) / Math.max(1, runs.size());
    int bar = Math.max(4, slot / 3);
    int i = 0;
    for (Map.Entry<String, Map<String, List<CompareReport.Run>>> w : runs.entrySet()) {
      int sx = plotLeft + i * slot + (slot - 2 * bar) / 2;
      int t = 0;
      for (String target : CompareReport.TARGETS) {
        List<CompareReport.Run> list = w.getValue().get(target);
        if (list != null && !list.isEmpty()) {
          double v = CompareReport.median(list, field);
          if (v > 0) {
            int y = y(v, lowDecade, highDecade, plotTop, plotBottom);
            g.setColor(target.equals("etcd") ? ETCD : KEEL);
            g.fillRect(sx + t * bar, y, bar - 2, plotBottom - y);
          }
        }
        t++;
      }
      AffineTransform saved = g.getTransform();
      g.setColor(Color.BLACK);
      g.translate(sx + bar, plotBottom + 8);
      g.rotate(Math.toRadians(50));
      g.drawString(w.getKey(), 0, 0);
      g.setTransform(saved);
      i++;
    }
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1));
    g.drawLine(plotLeft, plotBottom, plotRight, plotBottom);
    g.drawLine(plotLeft, plotTop, plotLeft, plotBottom);
  }

  private static int y(double value, int lowDecade, int highDecade, int top, int bottom) {
    double f = (Math.log10(value) - lowDecade) / (highDecade - lowDecade);
    return (int) Math.round(bottom - f * (bottom - top));
  }

  private static void legend(Graphics2D g) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int x = 2 * PANEL_WIDTH - 190;
    g.setColor(ETCD);
    g.fillRect(x, 12, 12, 12);
    g.setColor(Color.BLACK);
    g.drawString("etcd 3.4", x + 16, 23);
    g.setColor(KEEL);
    g.fillRect(x + 90, 12, 12, 12);
    g.setColor(Color.BLACK);
    g.drawString("Keel", x + 106, 23);
  }

  private CompareChart() {}
}
