package dev.kiln.examples.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Training curves as one PNG with two panels, loss (left) and accuracy in percent (right), both over epochs, drawn
 * headless with XChart (axes with ticks, titles and a legend per panel).
 *
 * <p>Both panels span epochs {@code [0, epochs]} and each y axis is padded around its data with a minimum span, so a
 * one-epoch run (one accuracy point) still draws a readable panel: a marked point on a real scale, never a line
 * squeezed onto the frame.
 */
public final class TrainingPlot {
    private static final int PANEL_W = 640;
    private static final int PANEL_H = 460;

    private TrainingPlot() {
    }

    /** One curve: its legend name and points (x in epochs, fractional within an epoch). */
    public record Curve(String name, List<Double> x, List<Double> y) {
        public Curve {
            if (x.size() != y.size()) {
                throw new IllegalArgumentException("curve '" + name + "' has " + x.size() + " x values but " + y.size()
                        + " y values");
            }
            x = List.copyOf(x);
            y = List.copyOf(y);
        }

        boolean isEmpty() {
            return x.isEmpty();
        }
    }

    /**
     * Writes {@code png} (parent directories created): loss curves left, accuracy curves right; empty curves are left
     * out. {@code epochs} >= 1 fixes the x range.
     */
    public static void write(Path png, String title, int epochs, List<Curve> loss, List<Curve> accuracy)
            throws IOException {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1 to plot, got " + epochs);
        }
        System.setProperty("java.awt.headless", "true");
        XYChart left = panel(title + ": loss", "loss", epochs, loss, 0.02, Double.NaN);
        XYChart right = panel(title + ": accuracy", "accuracy (%)", epochs, accuracy, 0.5, 100);
        BufferedImage image = new BufferedImage(2 * PANEL_W, PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.drawImage(BitmapEncoder.getBufferedImage(left), 0, 0, null);
            g.drawImage(BitmapEncoder.getBufferedImage(right), PANEL_W, 0, null);
        } finally {
            g.dispose();
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer available for " + png);
        }
    }

    static XYChart panel(String title, String yTitle, int epochs, List<Curve> curves, double minSpan,
                                 double yCap) {
        XYChart chart = new XYChartBuilder().width(PANEL_W).height(PANEL_H).title(title).xAxisTitle("epoch")
                .yAxisTitle(yTitle).build();
        XYStyler style = chart.getStyler();
        style.setLegendPosition(Styler.LegendPosition.OutsideS); // below the plot: never over a point
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotBackgroundColor(Color.WHITE);
        style.setPlotGridLinesColor(new Color(225, 225, 225));
        style.setXAxisMin(0.0);
        style.setXAxisMax(epochs * 1.03); // a point at the last epoch is drawn whole, not cut by the frame
        style.setXAxisDecimalPattern("0.#");
        style.setYAxisDecimalPattern(minSpan >= 0.5 ? "0.#" : "0.###");
        List<Double> all = new ArrayList<>();
        for (Curve c : curves) {
            if (c.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(c.name(), c.x(), c.y());
            boolean sparse = c.x().size() <= 30;
            s.setMarker(sparse ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            all.addAll(c.y());
        }
        if (all.isEmpty()) {
            chart.addSeries("(no data)", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
            return chart;
        }
        if (all.stream().anyMatch(v -> !Double.isFinite(v))) {
            throw new IllegalArgumentException(title + " has a non-finite value: " + all);
        }
        double lo = all.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double hi = all.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double pad = Math.max(minSpan, 0.08 * (hi - lo));
        double yMin = lo - pad;
        double yMax = hi + pad;
        if (lo >= 0 && yMin < 0) {
            yMin = 0;
        }
        if (!Double.isNaN(yCap) && yMax > yCap) {
            yMax = yCap;
            yMin = Math.min(yMin, yCap - 2 * minSpan);
        }
        style.setYAxisMin(yMin);
        style.setYAxisMax(yMax);
        return chart;
    }
}
