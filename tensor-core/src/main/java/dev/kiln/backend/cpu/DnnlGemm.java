package dev.kiln.backend.cpu;

import dev.kiln.Kiln;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.dnnl.global.dnnl;

/**
 * Row-major float32 GEMM through oneDNN's {@code dnnl_sgemm}, the library libtorch runs on CPU.
 *
 * <p>Why: OpenBLAS 0.3.31's dynamic-arch detection picks its AVX2 (Haswell) kernels on AVX-512 AMD CPUs, while
 * oneDNN JIT-compiles for the ISA the CPU reports. Measured on the 2-core AVX-512 EPYC dev box, same process,
 * alternating calls: conv GEMMs 64x25088x800 2.2x, 32x100352x25 3.8x, MLP 1000x256x784 1.3x, the rest 1.0-1.1x
 * OpenBLAS's speed (see BENCHMARKS.md / CnnBench for the end-to-end effect).
 *
 * <p>oneDNN threads with its own OpenMP runtime, whose team size this class cannot set (the JavaCPP preset binds no
 * {@code omp_set_num_threads}); it uses every core. So it is used only while {@link Kiln#numThreads()} asks for
 * all cores; a task with a smaller share (a Spark task with {@code spark.task.cpus} threads) keeps OpenBLAS,
 * whose pool size follows {@code numThreads}. {@code -Dkiln.blas=openblas} (or {@code java}) turns it off.
 *
 * <p>Loaded on first use; if the library does not load (another platform, jars missing) a line is logged once and
 * OpenBLAS answers every call.
 */
final class DnnlGemm {
    private static final System.Logger LOG = System.getLogger(DnnlGemm.class.getName());
    private static final int CORES = Math.max(1, Runtime.getRuntime().availableProcessors());

    private DnnlGemm() {
    }

    /**
     * Products below this many multiply-adds ({@code m*n*k}) stay with OpenBLAS, which runs them on the calling thread
     * (its own threading starts at 2^18). NOTE: measured on the shared 2-core box (alternating calls, load 3-5 from
     * other processes): oneDNN runs even a 1x784x256 product as an OpenMP parallel region, and when another thread
     * holds one of the cores the region waits for its worker's next time slice, so a 10 us product took 7-15 ms in most
     * samples; OpenBLAS took 1.4-11 us for the MLP's batch-1 layers in every sample. Above the bound oneDNN keeps every
     * product: handing mid-sized ones to OpenBLAS's own thread pool would mix two pools whose idle workers spin (OpenMP's
     * for a few ms after each region, OpenBLAS's for ~0.1 s), each taking a core the other's next region waits for.
     */
    static final long MIN_MULTIPLY_ADDS = 1L << 18;

    /**
     * True when oneDNN loaded, is not switched off, this thread may use every core, and no JFR recording is sampling
     * execution ({@link JfrSampling}: oneDNN 3.11's sgemm corrupts the heap when the sampler's signal lands in it).
     */
    static boolean use() {
        return Kiln.numThreads() >= CORES && Holder.LOADED && !JfrSampling.active();
    }

    /** {@link #use()}, for an {@code m x k} by {@code k x n} product: large enough to be worth a oneDNN call. */
    static boolean use(int m, int n, int k) {
        return (long) m * n * k >= MIN_MULTIPLY_ADDS && use();
    }

    /**
     * {@code C[m,n] = op(A)[m,k] @ op(B)[k,n]}, row-major, leading dims in elements ({@link Blas#sgemm}'s contract).
     * Requires {@link #use()}.
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long b, int ldb,
                      long c, int ldc) {
        int status = dnnl.dnnl_sgemm((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), m, n, k, 1f,
                new Blas.Address.F(a), lda, new Blas.Address.F(b), ldb, 0f, new Blas.Address.F(c), ldc);
        OpenMpSpin.regionEnded();
        if (status != dnnl.dnnl_success) {
            throw new IllegalStateException("dnnl_sgemm failed with status " + status + " for m=" + m + ", n=" + n
                    + ", k=" + k + ", transA=" + transA + ", transB=" + transB + ", lda=" + lda + ", ldb=" + ldb
                    + ", ldc=" + ldc);
        }
    }

    /** Loads on first access, so merely loading {@code CpuBackend} never touches native code. */
    private static final class Holder {
        static final boolean LOADED = load();

        private static boolean load() {
            String choice = System.getProperty("kiln.blas", "");
            if ("openblas".equalsIgnoreCase(choice) || "java".equalsIgnoreCase(choice)) {
                return false;
            }
            try {
                Loader.load(dnnl.class);
                return true;
            } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
                LOG.log(System.Logger.Level.INFO, "Kiln: oneDNN not loaded (" + e + "); float32 GEMMs use OpenBLAS");
                return false;
            }
        }
    }
}
