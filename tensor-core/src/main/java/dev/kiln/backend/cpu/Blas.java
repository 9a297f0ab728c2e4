package dev.kiln.backend.cpu;

import dev.kiln.Kiln;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major {@code C = op(A) @ op(B)} through OpenBLAS's {@code cblas_sgemm}/{@code cblas_dgemm}, called directly
 * on native (Arrow) addresses: no copies into Java arrays, no JavaCPP allocations.
 *
 * <p>The native library is loaded on first use (class-holder idiom), trying the small {@code openblas_nolapack}
 * build first and the full {@code openblas} one second. If neither loads, {@link #available()} is false, a warning
 * is logged once, and callers use {@link JavaGemm}. Set {@code -Dkiln.blas=java} to force that fallback.
 *
 * <p>OpenBLAS's own thread pool is kept at {@link Kiln#numThreads()}; the count is re-applied whenever it changes.
 */
final class Blas {
    private static final System.Logger LOG = System.getLogger(Blas.class.getName());

    /** Thread count last passed to OpenBLAS; 0 = never set. */
    private static volatile int appliedThreads;

    private Blas() {
    }

    /** True when OpenBLAS loaded; the first call triggers the load. */
    static boolean available() {
        return Holder.NATIVE != null;
    }

    /** Which library answers calls ("openblas_nolapack", "openblas" or "java fallback"). */
    static String describe() {
        return available() ? Holder.NATIVE.name() : "java fallback";
    }

    /**
     * {@code C[m,n] = op(A)[m,k] @ op(B)[k,n]} in float32, all row-major with leading dims in elements;
     * {@code op(X)} is {@code X^T} when the flag is set. Requires {@link #available()}.
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long b, int ldb,
                      long c, int ldc) {
        if (DnnlGemm.use(m, n, k)) { // oneDNN's AVX-512 sgemm for large products where it loads (see DnnlGemm)
            DnnlGemm.sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
            return;
        }
        syncThreads();
        Holder.NATIVE.sgemm(transA, transB, m, n, k, new Address.F(a), lda, new Address.F(b), ldb,
                new Address.F(c), ldc);
    }

    /** float64 twin of {@link #sgemm}. */
    static void dgemm(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long b, int ldb,
                      long c, int ldc) {
        syncThreads();
        Holder.NATIVE.dgemm(transA, transB, m, n, k, new Address.D(a), lda, new Address.D(b), ldb,
                new Address.D(c), ldc);
    }

    private static void syncThreads() {
        int n = Kiln.numThreads();
        if (n != appliedThreads) { // a volatile read per call; the native call only when the setting changed
            Holder.NATIVE.setThreads(n);
            appliedThreads = n;
        }
    }

    /**
     * JavaCPP pointers over a raw address. The no-arg constructors allocate nothing and register no deallocator,
     * so making one per call costs a small Java object (often scalar-replaced), not a native allocation.
     */
    static final class Address {
        private Address() {
        }

        static final class F extends FloatPointer {
            F(long address) {
                this.address = address;
            }
        }

        static final class D extends DoublePointer {
            D(long address) {
                this.address = address;
            }
        }
    }

    /** The two generated JNI classes have identical but unrelated static methods; this picks one. */
    private interface Native {
        String name();

        void sgemm(boolean ta, boolean tb, int m, int n, int k, FloatPointer a, int lda, FloatPointer b, int ldb,
                   FloatPointer c, int ldc);

        void dgemm(boolean ta, boolean tb, int m, int n, int k, DoublePointer a, int lda, DoublePointer b, int ldb,
                   DoublePointer c, int ldc);

        void setThreads(int n);
    }

    private static final class NoLapack implements Native {
        @Override
        public String name() {
            return "openblas_nolapack";
        }

        @Override
        public void sgemm(boolean ta, boolean tb, int m, int n, int k, FloatPointer a, int lda, FloatPointer b,
                          int ldb, FloatPointer c, int ldc) {
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, op(ta), op(tb), m, n, k, 1f, a, lda, b,
                    ldb, 0f, c, ldc);
        }

        @Override
        public void dgemm(boolean ta, boolean tb, int m, int n, int k, DoublePointer a, int lda, DoublePointer b,
                          int ldb, DoublePointer c, int ldc) {
            openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor, op(ta), op(tb), m, n, k, 1d, a, lda, b,
                    ldb, 0d, c, ldc);
        }

        @Override
        public void setThreads(int n) {
            openblas_nolapack.blas_set_num_threads(n);
        }

        private static int op(boolean trans) {
            return trans ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        }
    }

    private static final class Full implements Native {
        @Override
        public String name() {
            return "openblas";
        }

        @Override
        public void sgemm(boolean ta, boolean tb, int m, int n, int k, FloatPointer a, int lda, FloatPointer b,
                          int ldb, FloatPointer c, int ldc) {
            openblas.cblas_sgemm(openblas.CblasRowMajor, op(ta), op(tb), m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc);
        }

        @Override
        public void dgemm(boolean ta, boolean tb, int m, int n, int k, DoublePointer a, int lda, DoublePointer b,
                          int ldb, DoublePointer c, int ldc) {
            openblas.cblas_dgemm(openblas.CblasRowMajor, op(ta), op(tb), m, n, k, 1d, a, lda, b, ldb, 0d, c, ldc);
        }

        @Override
        public void setThreads(int n) {
            openblas.blas_set_num_threads(n);
        }

        private static int op(boolean trans) {
            return trans ? openblas.CblasTrans : openblas.CblasNoTrans;
        }
    }

    private static String rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }

    /** Loads on first access to {@link #NATIVE}, so merely loading {@code CpuBackend} never touches native code. */
    private static final class Holder {
        static final Native NATIVE = load();

        private static Native load() {
            if ("java".equalsIgnoreCase(System.getProperty("kiln.blas"))) {
                LOG.log(System.Logger.Level.INFO, "kiln.blas=java: matrix products use the Java fallback");
                return null;
            }
            Throwable first;
            try {
                Loader.load(openblas_nolapack.class);
                return new NoLapack();
            } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError
                first = e;
            }
            try {
                Loader.load(openblas.class);
                return new Full();
            } catch (Throwable e) {
                e.addSuppressed(first);
                // One short line at WARNING (this runs once per process); the full chain only at DEBUG.
                LOG.log(System.Logger.Level.WARNING, "Kiln: OpenBLAS could not be loaded (" + rootCause(first)
                        + "); matrix products fall back to a much slower Java sgemm. Check that "
                        + "org.bytedeco:openblas with the classifier for this platform is on the classpath.");
                LOG.log(System.Logger.Level.DEBUG, "OpenBLAS load failure", e);
                return null;
            }
        }
    }
}
