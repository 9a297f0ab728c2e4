package dev.kiln.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws training curves into a PNG with plain {@code java.awt} (headless: no window is opened), so examples can
 * show a loss/accuracy plot without a plotting dependency. Two panels side by side, each a polyline over its own
 * x range, with the min/max of the data written on the axes.
 */
final class CurvePlot {
    private static final int PANEL_W = 480;
    private static final int H = 360;
    private static final int PAD = 48;

    private CurvePlot() {
    }

    /** One panel: a title, x values and y values of equal length. */
    record Series(String title, List<Double> x, List<Double> y, Color color) {
    }

    static void write(Path file, Series left, Series right) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(2 * PANEL_W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            panel(g, 0, left);
            panel(g, PANEL_W, right);
        } finally {
            g.dispose();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer available for " + file);
        }
    }

    private static void panel(Graphics2D g, int x0, Series s) {
        int left = x0 + PAD;
        int right = x0 + PANEL_W - PAD / 2;
        int top = PAD / 2 + 12;
        int bottom = H - PAD;
        g.setColor(Color.BLACK);
        g.drawString(s.title(), left, PAD / 2);
        g.drawRect(left, top, right - left, bottom - top);
        if (s.x().isEmpty()) {
            return;
        }
        double xMin = min(s.x());
        double xMax = Math.max(max(s.x()), xMin + 1e-9);
        double yMin = min(s.y());
        double yMax = Math.max(max(s.y()), yMin + 1e-9);
        g.drawString(fmt(yMax), x0 + 4, top + 10);
        g.drawString(fmt(yMin), x0 + 4, bottom);
        g.drawString(fmt(xMin), left, bottom + 16);
        g.drawString(fmt(xMax), right - 40, bottom + 16);
        g.setColor(s.color());
        g.setStroke(new BasicStroke(2f));
        int n = s.x().size();
        int[] px = new int[n];
        int[] py = new int[n];
        for (int i = 0; i < n; i++) {
            px[i] = left + (int) Math.round((s.x().get(i) - xMin) / (xMax - xMin) * (right - left));
            py[i] = bottom - (int) Math.round((s.y().get(i) - yMin) / (yMax - yMin) * (bottom - top));
        }
        g.drawPolyline(px, py, n);
        if (n == 1) {
            g.fillOval(px[0] - 3, py[0] - 3, 6, 6);
        }
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : "%.3g", v);
    }
}
