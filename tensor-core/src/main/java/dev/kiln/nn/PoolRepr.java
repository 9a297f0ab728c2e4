package dev.kiln.nn;

/** Pooling arguments as PyTorch prints them: an int given as an int ({@code 2}), a pair as a tuple ({@code (2, 2)}). */
final class PoolRepr {
    private PoolRepr() {
    }

    static String value(long[] v) {
        return v.length == 1 ? Long.toString(v[0]) : ConvNd.tuple(v);
    }
}
