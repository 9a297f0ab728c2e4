package dev.kiln.bench;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;

/**
 * float32 {@code add} and {@code relu}: Kiln's out-of-place ops (which allocate their result from Arrow each call,
 * as PyTorch's do) against a plain single-threaded Java loop over {@code float[]} writing into a preallocated
 * array. GB/s counts the bytes each op must move: 12 per element for add (two reads, one write), 8 for relu.
 */
final class ElementwiseBench {
    private ElementwiseBench() {
    }

    /** One row: op, element count, GB/s of each side. */
    record Result(String op, int n, double kilnGbs, double javaGbs) {
        double ratio() {
            return kilnGbs / javaGbs;
        }
    }

    static Result add(int n, int samples, double minSeconds) {
        Tensor a = Tensor.randn(new long[] {n}, DType.FLOAT32, new Generator(1));
        Tensor b = Tensor.randn(new long[] {n}, DType.FLOAT32, new Generator(2));
        float[] ja = a.toFloatArray();
        float[] jb = b.toFloatArray();
        float[] jc = new float[n];
        try {
            Timing.Pair t = Timing.compare(() -> a.add(b).close(), () -> addLoop(ja, jb, jc), samples, minSeconds);
            double bytes = 12.0 * n;
            return new Result("add", n, bytes / t.candidate() / 1e9, bytes / t.reference() / 1e9);
        } finally {
            a.close();
            b.close();
        }
    }

    static Result relu(int n, int samples, double minSeconds) {
        Tensor a = Tensor.randn(new long[] {n}, DType.FLOAT32, new Generator(3));
        float[] ja = a.toFloatArray();
        float[] jc = new float[n];
        try {
            Timing.Pair t = Timing.compare(() -> a.relu().close(), () -> reluLoop(ja, jc), samples, minSeconds);
            double bytes = 8.0 * n;
            return new Result("relu", n, bytes / t.candidate() / 1e9, bytes / t.reference() / 1e9);
        } finally {
            a.close();
        }
    }

    /** The reference: what a Java programmer would write by hand. */
    static void addLoop(float[] a, float[] b, float[] c) {
        for (int i = 0; i < c.length; i++) {
            c[i] = a[i] + b[i];
        }
    }

    /** {@code Math.max} keeps NaN and maps -0 to 0, matching relu's semantics. */
    static void reluLoop(float[] a, float[] c) {
        for (int i = 0; i < c.length; i++) {
            c[i] = Math.max(a[i], 0f);
        }
    }
}
