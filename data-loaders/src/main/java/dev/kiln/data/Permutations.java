package dev.kiln.data;

import dev.kiln.tensor.Generator;

/** Index helpers shared by samplers and splits. */
final class Permutations {
    private Permutations() {
    }

    /** {@code [0, n)}. */
    static long[] range(int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    /**
     * A uniform random permutation of {@code [0, n)} (Fisher-Yates), like {@code torch.randperm(n, generator=g)};
     * the stream differs from PyTorch's, the distribution does not.
     */
    static long[] randperm(int n, Generator gen) {
        long[] out = range(n);
        for (int i = n - 1; i > 0; i--) {
            int j = (int) gen.nextLong(0, i + 1);
            long tmp = out[i];
            out[i] = out[j];
            out[j] = tmp;
        }
        return out;
    }
}
