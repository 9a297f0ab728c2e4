package dev.kiln.optim;

import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;

/** {@code optim_references.txt}, written by {@code src/test/python/gen_optim_references.py} (numpy float64). */
public final class OptimReferences {
    private static final Golden GOLDEN = Golden.load("/dev/kiln/optim/optim_references.txt",
            "gen_optim_references.py");

    private OptimReferences() {
    }

    public static double[] values(String key) {
        return GOLDEN.values(key);
    }

    public static double scalar(String key) {
        return GOLDEN.scalar(key);
    }

    public static double[] row(String key, int row) {
        return GOLDEN.row(key, row);
    }

    public static int rows(String key) {
        return GOLDEN.rows(key);
    }

    public static Tensor tensor(String key) {
        return GOLDEN.tensor(key);
    }
}
