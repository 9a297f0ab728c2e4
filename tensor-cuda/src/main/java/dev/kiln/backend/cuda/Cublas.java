package dev.kiln.backend.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

/**
 * cuBLAS through JCublas2, where it loads: JCuda's JNI library links {@code libcublas.so.12}, which comes with the
 * CUDA toolkit, not the driver, so a machine with a GPU may still lack it; then {@link #available()} is false (one
 * log line) and matrix products use the PTX GEMM. One handle per device, bound to the device's stream, created in
 * its primary context (the one the runtime API, and so cuBLAS, uses). Handles are only configured at creation,
 * which makes sharing one between threads safe (cuBLAS's thread-safety note).
 *
 * <p>All matrices here are row-major; cuBLAS is column-major, so {@code C = op(A) op(B)} is computed as
 * {@code C^T = op(B)^T op(A)^T}: the operands swap places and a row-major matrix is already its own transpose in
 * column-major terms (see {@link #gemm}).
 */
final class Cublas {
    private static final System.Logger LOG = System.getLogger(Cublas.class.getName());
    private static final Map<Integer, cublasHandle> HANDLES = new ConcurrentHashMap<>();
    private static volatile Boolean available;

    private Cublas() {
    }

    /** Whether JCublas2 and libcublas load here (probed once, never throws). */
    static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (Cublas.class) {
                a = available;
                if (a == null) {
                    a = probe();
                    available = a;
                }
            }
        }
        return a;
    }

    private static boolean probe() {
        if (Boolean.getBoolean("kiln.cuda.disableCublas")) {
            LOG.log(System.Logger.Level.INFO,
                    "Kiln: cuBLAS disabled by -Dkiln.cuda.disableCublas, matmul uses the PTX GEMM");
            return false;
        }
        try {
            JCublas2.initialize();
            return true;
        } catch (Throwable t) { // UnsatisfiedLinkError (no libcublas.so.12), NoClassDefFoundError, ...
            LOG.log(System.Logger.Level.INFO, "Kiln: cuBLAS unavailable, matmul uses the PTX GEMM: "
                    + CudaRuntime.describe(t));
            return false;
        }
    }

    private static cublasHandle handle(CudaDevice d) {
        return HANDLES.computeIfAbsent(d.ordinal(), k -> {
            d.makeCurrent();
            cublasHandle h = new cublasHandle();
            check(JCublas2.cublasCreate(h), "cublasCreate", d);
            check(JCublas2.cublasSetStream(h, new cudaStream_t(d.stream)), "cublasSetStream", d);
            return h;
        });
    }

    /**
     * Row-major batched {@code C[i] = op(A[i]) @ op(B[i])} ({@code [m, k] x [k, n]}), {@code C} contiguous with
     * batch stride {@code m*n}; {@code transA}: A is stored as its transpose (element (r, c) at {@code c*lda + r}).
     * A batch stride of 0 broadcasts an operand.
     */
    static void gemm(CudaDevice d, boolean f32, boolean transA, boolean transB, int m, int n, int k, long a, int lda,
                     long strideA, long b, int ldb, long strideB, long c, int batch) {
        cublasHandle h = handle(d);
        d.makeCurrent();
        // column-major C^T (n x m, ld n) = op(B)^T (n x k) * op(A)^T (k x m)
        int opB = transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        int opA = transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
        long strideC = (long) m * n;
        int status;
        if (f32) {
            status = JCublas2.cublasSgemmStridedBatched(h, opB, opA, n, m, k, Pointer.to(new float[] {1f}),
                    Cu.device(b), ldb, strideB, Cu.device(a), lda, strideA, Pointer.to(new float[] {0f}),
                    Cu.device(c), n, strideC, batch);
        } else {
            status = JCublas2.cublasDgemmStridedBatched(h, opB, opA, n, m, k, Pointer.to(new double[] {1}),
                    Cu.device(b), ldb, strideB, Cu.device(a), lda, strideA, Pointer.to(new double[] {0}),
                    Cu.device(c), n, strideC, batch);
        }
        check(status, f32 ? "cublasSgemmStridedBatched" : "cublasDgemmStridedBatched", d);
    }

    private static void check(int status, String call, CudaDevice d) {
        if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
            throw new IllegalStateException("CUDA error: " + cublasStatus.stringFor(status) + " in " + call + " on "
                    + d);
        }
    }
}
