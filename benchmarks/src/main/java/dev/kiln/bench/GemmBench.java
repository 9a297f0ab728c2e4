package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Square float32 GEMM: Kiln's {@code Tensor.matmul} (shape checks, output allocation, dispatch, BLAS call) against
 * {@code cblas_sgemm} called directly on direct buffers with a preallocated output, the floor of what any Java
 * wrapper over OpenBLAS can reach.
 */
final class GemmBench {
    private GemmBench() {
    }

    /** One row of the table: size and GFLOP/s of each side. */
    record Result(int n, double kilnGflops, double blasGflops) {
        double ratio() {
            return kilnGflops / blasGflops;
        }
    }

    static Result run(int n, int samples, double minSeconds, double warmSeconds) {
        double flops = 2.0 * n * n * n;
        Tensor a = Tensor.randn(new long[] {n, n}, DType.FLOAT32, new Generator(1));
        Tensor b = Tensor.randn(new long[] {n, n}, DType.FLOAT32, new Generator(2));
        FloatPointer pa = directMatrix(n, 3);
        FloatPointer pb = directMatrix(n, 4);
        FloatPointer pc = directMatrix(n, 5);
        openblas_nolapack.blas_set_num_threads(Kiln.numThreads()); // same thread count Kiln gives OpenBLAS
        try {
            Runnable kiln = () -> a.matmul(b).close();
            Runnable direct = () -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                    openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans, n, n, n, 1f, pa, n, pb, n, 0f,
                    pc, n);
            double[] t = Timing.compare(samples, minSeconds, warmSeconds, kiln, direct);
            return new Result(n, flops / t[0] / 1e9, flops / t[1] / 1e9);
        } finally {
            a.close();
            b.close();
        }
    }

    /** An {@code n x n} matrix of uniform values in a direct buffer, wrapped by JavaCPP without copying. */
    private static FloatPointer directMatrix(int n, long seed) {
        FloatBuffer buf = ByteBuffer.allocateDirect(4 * n * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Random r = new Random(seed);
        for (int i = 0; i < n * n; i++) {
            buf.put(i, (float) r.nextGaussian());
        }
        return new FloatPointer(buf);
    }
}
