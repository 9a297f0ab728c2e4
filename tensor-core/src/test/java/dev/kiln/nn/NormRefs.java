package dev.kiln.nn;

import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;

/** {@code norm_references.txt}, written by {@code src/test/python/gen_norm_references.py} (numpy float64). */
final class NormRefs {
    private static final Golden GOLDEN = Golden.load("/dev/kiln/nn/norm_references.txt", "gen_norm_references.py");

    private NormRefs() {
    }

    static double[] values(String key) {
        return GOLDEN.values(key);
    }

    static double scalar(String key) {
        return GOLDEN.scalar(key);
    }

    static Tensor tensor(String key) {
        return GOLDEN.tensor(key);
    }
}
