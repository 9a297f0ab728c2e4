package dev.kiln.data.transforms;

import dev.kiln.data.Batch;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * Per-feature standardization with statistics computed from the data in one pass, like scikit-learn's
 * {@code StandardScaler} (population std, {@code ddof=0}): {@code y[:, j] = (x[:, j] - mean[j]) / std[j]}.
 *
 * <p>The pass uses Welford's update in float64 for every row {@code x} and feature {@code j}:
 * {@code n += 1; d = x[j] - mean[j]; mean[j] += d / n; m2[j] += d * (x[j] - mean[j])}, then
 * {@code std[j] = sqrt(m2[j] / n)}. Unlike summing {@code x} and {@code x^2}, it does not lose the variance to
 * cancellation when the mean is large compared to the spread (e.g. raw pixel sums, timestamps). A feature with
 * zero variance gets std 1 (sklearn's rule) so it maps to 0 instead of NaN.
 */
public final class Standardize implements Transform {
    private final double[] mean;
    private final double[] std;
    private final long count;
    private final Transform normalize;

    private Standardize(double[] mean, double[] std, long count) {
        this.mean = mean;
        this.std = std;
        this.count = count;
        this.normalize = Transforms.normalize(mean, std);
    }

    /** One pass over {@code data} (each batch's features {@code [batch, k]} are read; batches are closed). */
    public static Standardize fit(Iterable<Batch> data) {
        double[] mean = null;
        double[] m2 = null;
        long n = 0;
        for (Batch b : data) {
            try (b) {
                Tensor x = b.features();
                if (x.dim() != 2) {
                    throw new IllegalArgumentException("Standardize.fit expects [batch, features] features, got shape "
                            + java.util.Arrays.toString(x.shape()));
                }
                int k = (int) x.size(1);
                if (mean == null) {
                    mean = new double[k];
                    m2 = new double[k];
                } else if (mean.length != k) {
                    throw new IllegalArgumentException("Standardize.fit: batch has " + k + " features, earlier "
                            + "batches had " + mean.length);
                }
                double[] v;
                try (Tensor d = x.to(DType.FLOAT64)) {
                    v = d.contiguous().toDoubleArray();
                }
                n = update(v, k, mean, m2, n);
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("Standardize.fit: the data has no rows");
        }
        double[] std = new double[mean.length];
        for (int j = 0; j < std.length; j++) {
            double s = Math.sqrt(m2[j] / n);
            std[j] = s > 0 ? s : 1.0;
        }
        return new Standardize(mean, std, n);
    }

    /** Welford's update over the rows of a row-major {@code [rows, k]} array; returns the new count. */
    private static long update(double[] v, int k, double[] mean, double[] m2, long n) {
        int rows = v.length / k;
        for (int r = 0; r < rows; r++) {
            n++;
            int base = r * k;
            for (int j = 0; j < k; j++) {
                double x = v[base + j];
                double d = x - mean[j];
                mean[j] += d / n;
                m2[j] += d * (x - mean[j]);
            }
        }
        return n;
    }

    @Override
    public Tensor apply(Tensor x) {
        return normalize.apply(x);
    }

    public double[] mean() {
        return mean.clone();
    }

    /** Population standard deviation (1 where it is zero). */
    public double[] std() {
        return std.clone();
    }

    /** Rows the statistics were computed from. */
    public long count() {
        return count;
    }
}
