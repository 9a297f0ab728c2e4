package dev.kiln.ops;

import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * An independent float64 reference for {@code matmul} on operands of at least 2 dims: a triple loop over
 * {@link Tensor#get} with PyTorch's batch broadcasting written out by hand (no Kiln kernels involved).
 */
public final class MatmulReference {
    private MatmulReference() {
    }

    /** {@code a [..., M, K] @ b [..., K, N]} as a flat row-major double array of the broadcast result. */
    public static double[] matmul(Tensor a, Tensor b) {
        long m = a.size(-2);
        long k = a.size(-1);
        long n = b.size(-1);
        long[] batch = Shapes.broadcast(Arrays.copyOf(a.shape(), a.dim() - 2), Arrays.copyOf(b.shape(), b.dim() - 2));
        long batches = Shapes.numel(batch);
        double[] out = new double[Math.toIntExact(batches * m * n)];
        long[] bIdx = new long[batch.length];
        int o = 0;
        for (long bi = 0; bi < batches; bi++) {
            long[] ai = indexFor(a, bIdx);
            long[] bj = indexFor(b, bIdx);
            for (long i = 0; i < m; i++) {
                for (long j = 0; j < n; j++) {
                    double acc = 0;
                    for (long x = 0; x < k; x++) {
                        ai[ai.length - 2] = i;
                        ai[ai.length - 1] = x;
                        bj[bj.length - 2] = x;
                        bj[bj.length - 1] = j;
                        acc += a.get(ai) * b.get(bj);
                    }
                    out[o++] = acc;
                }
            }
            increment(bIdx, batch);
        }
        return out;
    }

    /** Maps a broadcast batch index to {@code t}'s own index (size-1 dims read index 0; missing dims dropped). */
    private static long[] indexFor(Tensor t, long[] batchIdx) {
        long[] idx = new long[t.dim()];
        int tBatch = t.dim() - 2;
        for (int d = 0; d < tBatch; d++) {
            long bi = batchIdx[batchIdx.length - tBatch + d];
            idx[d] = t.size(d) == 1 ? 0 : bi;
        }
        return idx;
    }

    private static void increment(long[] index, long[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++index[d] < shape[d]) {
                return;
            }
            index[d] = 0;
        }
    }

    /**
     * Asserts {@code got} matches the reference within {@code rtol} of the sum of |terms| scale (the natural error
     * bound of a float dot product), reporting the first bad element.
     */
    public static void assertMatches(Tensor got, double[] expected, double tol) {
        double[] g = got.contiguous().toDoubleArray();
        if (g.length != expected.length) {
            throw new AssertionError("element count " + g.length + " != " + expected.length + " for shape "
                    + Shapes.str(got.shape()));
        }
        for (int i = 0; i < g.length; i++) {
            if (!(Math.abs(g[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])))) {
                throw new AssertionError("element " + i + " of " + Shapes.str(got.shape()) + ": expected "
                        + expected[i] + ", got " + g[i]);
            }
        }
    }
}
