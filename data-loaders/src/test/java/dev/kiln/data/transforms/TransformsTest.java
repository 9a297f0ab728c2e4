package dev.kiln.data.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.data.Batch;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransformsTest extends KilnTest {
    @Test
    void normalizeSubtractsMeanAndDividesByStdPerFeature() {
        Tensor x = Tensor.of(new float[][] {{1, 10}, {3, 30}});
        try (Tensor y = Transforms.normalize(new double[] {2, 20}, new double[] {0.5, 10}).apply(x)) {
            assertArrayEquals(new float[] {-2, -1, 2, 1}, y.toFloatArray(), 1e-6f);
        }
        try (Tensor y = Transforms.normalize(1, 2).apply(x)) {
            assertArrayEquals(new float[] {0, 4.5f, 1, 14.5f}, y.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void normalizeRejectsBadStatsAndShapes() {
        assertThrows(IllegalArgumentException.class, () -> Transforms.normalize(new double[] {0}, new double[] {0}));
        assertThrows(IllegalArgumentException.class, () -> Transforms.normalize(new double[] {0, 1}, new double[] {1}));
        Tensor x = Tensor.of(new float[][] {{1, 2, 3}});
        var e = assertThrows(IllegalArgumentException.class,
                () -> Transforms.normalize(new double[] {0, 0}, new double[] {1, 1}).apply(x));
        assertTrue(e.getMessage().contains("last dimension is 3"), e.getMessage());
    }

    @Test
    void oneHotGivesFloatRows() {
        try (Tensor y = Transforms.oneHot(3).apply(Tensor.of(2L, 0L))) {
            assertEquals(DType.FLOAT32, y.dtype());
            assertArrayEquals(new long[] {2, 3}, y.shape());
            assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, y.toFloatArray());
        }
        assertThrows(IllegalArgumentException.class, () -> Transforms.oneHot(0));
        assertThrows(RuntimeException.class, () -> Transforms.oneHot(2).apply(Tensor.of(5L)));
    }

    @Test
    void composeAppliesInOrderAndFreesIntermediates() {
        Transform t = Compose.of(Transforms.normalize(1, 1), Transforms.normalize(0, 0.5), x -> x);
        Tensor x = Tensor.of(1f, 3f);
        long before = allocator.getAllocatedMemory();
        try (Tensor y = t.apply(x)) {
            assertArrayEquals(new float[] {0, 4}, y.toFloatArray(), 1e-6f);
            assertTrue(!x.isClosed(), "the input is the caller's");
        }
        assertThrows(IllegalArgumentException.class, Compose::of);
        assertTrue(allocator.getAllocatedMemory() <= before + 64, "intermediates freed");
    }

    /** Statistics match numpy's float64 mean/std (src/test/python/gen_standardize_reference.py). */
    @Test
    void standardizeMatchesNumpyInOnePass() throws IOException {
        String[] lines;
        try (InputStream in = getClass().getResourceAsStream("/standardize_reference.txt")) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
        }
        int rows = 500;
        int cols = 4;
        double[] mean = parse(lines[1]);
        double[] std = parse(lines[2]);
        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < rows; start += 64) { // uneven batches: 7 of 64 and one of 52
            int n = Math.min(64, rows - start);
            float[][] x = new float[n][cols];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < cols; j++) {
                    x[i][j] = (float) (1000.0 + Math.sin(0.37 * (start + i) + 1.3 * j) * (j + 1));
                }
            }
            batches.add(Batch.of(dev.kiln.tensor.TensorScope.detach(Tensor.of(x))));
        }
        Standardize s = Standardize.fit(batches);
        assertEquals(rows, s.count());
        for (int j = 0; j < cols; j++) {
            assertEquals(mean[j], s.mean()[j], 1e-9 * Math.abs(mean[j]), "mean " + j);
            assertEquals(std[j], s.std()[j], 1e-9 * std[j], "std " + j);
        }
        try (Tensor y = s.apply(Tensor.of(new float[][] {{(float) mean[0], (float) mean[1], (float) mean[2],
                (float) (mean[3] + std[3])}}))) {
            assertArrayEquals(new float[] {0, 0, 0, 1}, y.toFloatArray(), 1e-3f);
        }
    }

    @Test
    void standardizeRejectsEmptyDataAndGivesConstantFeaturesStdOne() {
        assertThrows(IllegalArgumentException.class, () -> Standardize.fit(List.of()));
        Standardize s = Standardize.fit(List.of(Batch.of(dev.kiln.tensor.TensorScope.detach(
                Tensor.of(new float[][] {{5, 1}, {5, 3}})))));
        assertArrayEquals(new double[] {1, 1}, s.std());
        assertArrayEquals(new double[] {5, 2}, s.mean());
    }

    private static double[] parse(String line) {
        return Arrays.stream(line.trim().split(" ")).skip(1).mapToDouble(Double::parseDouble).toArray();
    }
}
