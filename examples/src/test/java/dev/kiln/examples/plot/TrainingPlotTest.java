package dev.kiln.examples.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;

/** The PNG's panels: real axes even for one point (a one-epoch run), bad input refused with the reason. */
class TrainingPlotTest extends KilnTest {
    @Test
    void oneEpochStillGetsARealAccuracyScale(@TempDir Path dir) throws Exception {
        XYChart acc = TrainingPlot.panel("t", "accuracy (%)", 1, List.of(new TrainingPlot.Curve("test accuracy",
                List.of(1.0), List.of(96.55))), 0.5, 100);
        double lo = acc.getStyler().getYAxisMin();
        double hi = acc.getStyler().getYAxisMax();
        assertTrue(hi - lo >= 1.0 && lo < 96.55 && hi > 96.55, "y range " + lo + ".." + hi);
        assertTrue(acc.getStyler().getXAxisMax() > 1.0, "the last epoch's point is inside the frame");
        assertEquals(0.0, acc.getStyler().getXAxisMin());

        Path png = dir.resolve("sub/plot.png");
        TrainingPlot.write(png, "t", 1, List.of(new TrainingPlot.Curve("loss", List.of(0.5, 1.0), List.of(0.4, 0.3))),
                List.of(new TrainingPlot.Curve("acc", List.of(1.0), List.of(96.55))));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(1280, img.getWidth());
        assertEquals(460, img.getHeight());
    }

    @Test
    void accuracyNeverGoesAbove100AndLossNeverBelowZero() {
        XYChart acc = TrainingPlot.panel("t", "a", 3, List.of(new TrainingPlot.Curve("a", List.of(1.0, 2.0, 3.0),
                List.of(99.5, 99.8, 99.9))), 0.5, 100);
        assertEquals(100.0, acc.getStyler().getYAxisMax());
        XYChart loss = TrainingPlot.panel("t", "l", 3, List.of(new TrainingPlot.Curve("l", List.of(1.0, 2.0, 3.0),
                List.of(0.01, 0.005, 0.001))), 0.02, Double.NaN);
        assertEquals(0.0, loss.getStyler().getYAxisMin());
    }

    @Test
    void badInputIsRefused(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> new TrainingPlot.Curve("c", List.of(1.0), List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingPlot.write(
                dir.resolve("x.png"), "t", 0, List.of(), List.of()));
        assertTrue(e.getMessage().contains("epochs must be >= 1"), e.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> TrainingPlot.panel("t",
                "l", 1, List.of(new TrainingPlot.Curve("l", List.of(1.0), List.of(Double.NaN))), 0.02, Double.NaN));
        assertTrue(nan.getMessage().contains("non-finite"), nan.getMessage());
    }
}
