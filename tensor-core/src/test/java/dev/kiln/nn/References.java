package dev.kiln.nn;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;

/** {@code nn_references.txt}, written by {@code src/test/python/gen_nn_references.py} (numpy float64). */
public final class References {
    private static final Golden GOLDEN = Golden.load("/dev/kiln/nn/nn_references.txt", "gen_nn_references.py");

    private References() {
    }

    public static double[] values(String key) {
        return GOLDEN.values(key);
    }

    public static double scalar(String key) {
        return GOLDEN.scalar(key);
    }

    public static Tensor tensor(String key, DType dtype) {
        return GOLDEN.tensor(key, dtype);
    }

    public static Tensor tensor(String key) {
        return GOLDEN.tensor(key);
    }
}
