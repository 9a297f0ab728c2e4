package dev.kiln.bench;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.backend.Backend;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;

/**
 * float32 {@code add} and {@code relu}, three ways: Kiln's out-of-place op ({@code a.add(b)}, which allocates its
 * result from Arrow on every call, as PyTorch's does); Kiln's CPU kernel writing into a preallocated tensor (the
 * same loop without the allocation, which separates kernel speed from allocator cost); and the reference, a plain
 * single-threaded Java loop over {@code float[]} writing into a preallocated array. GB/s counts the bytes each op
 * must move: 12 per element for add (two reads, one write), 8 for relu.
 */
final class ElementwiseBench {
    private static final PointwiseKernels KERNELS = Backend.of(Device.CPU).pointwise();

    private ElementwiseBench() {
    }

    /** One row: op, element count, GB/s of the op, of the kernel alone, and of the Java loop. */
    record Result(String op, int n, double opGbs, double kernelGbs, double javaGbs) {
    }

    static Result add(int n, int samples, double minSeconds, double warmSeconds) {
        Tensor a = Tensor.randn(new long[] {n}, DType.FLOAT32, new Generator(1));
        Tensor b = Tensor.randn(new long[] {n}, DType.FLOAT32, new Generator(2));
        Tensor out = Tensor.empty(DType.FLOAT32, n);
        float[] ja = a.toFloatArray();
        float[] jb = b.toFloatArray();
        float[] jc = new float[n];
        try {
            double[] t = Timing.compare(samples, minSeconds, warmSeconds, () -> a.add(b).close(),
                    () -> KERNELS.binary(BinaryOp.ADD, a.arg(), b.arg(), out.arg()), () -> addLoop(ja, jb, jc));
            return result("add", n, 12.0 * n, t);
        } finally {
            a.close();
            b.close();
            out.close();
        }
    }

    static Result relu(int n, int samples, double minSeconds, double warmSeconds) {
        Tensor a = Tensor.randn(new long[] {n}, DType.FLOAT32, new Generator(3));
        Tensor out = Tensor.empty(DType.FLOAT32, n);
        float[] ja = a.toFloatArray();
        float[] jc = new float[n];
        try {
            double[] t = Timing.compare(samples, minSeconds, warmSeconds, () -> a.relu().close(),
                    () -> KERNELS.unary(UnaryOp.RELU, a.arg(), out.arg()), () -> reluLoop(ja, jc));
            return result("relu", n, 8.0 * n, t);
        } finally {
            a.close();
            out.close();
        }
    }

    private static Result result(String op, int n, double bytes, double[] seconds) {
        return new Result(op, n, bytes / seconds[0] / 1e9, bytes / seconds[1] / 1e9, bytes / seconds[2] / 1e9);
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
