package dev.kiln.backend.cpu;

import dev.kiln.memory.Unsafe;
import java.util.Arrays;

/**
 * Pure-Java GEMM with the same contract as {@link Blas#sgemm}/{@link Blas#dgemm}: used when OpenBLAS is missing,
 * and as the independent reference the BLAS route is tested against.
 *
 * <p>Blocking: B is packed {@link #NB} columns at a time into a heap panel ({@code k x nb}, row-major); rows of A
 * are processed in blocks of {@link #MB} with {@link #KB}-deep slices so the slice of the panel being reused
 * ({@code KB x NB}, 128 KiB in float32) stays in L2. The innermost loop is a plain {@code acc[j] += a * b[j]} over
 * arrays, which C2 vectorises. Row blocks run in parallel. Sums run in the element type, in order of {@code k}.
 */
final class JavaGemm {
    static final int NB = 256;
    static final int KB = 128;
    static final int MB = 32;

    private JavaGemm() {
    }

    /** float32 {@code C = op(A) @ op(B)}; addresses and leading dims as in cblas row-major. */
    static void sgemm(boolean ta, boolean tb, int m, int n, int k, long a, int lda, long b, int ldb, long c,
                      int ldc) {
        for (int j0 = 0; j0 < n; j0 += NB) {
            int nb = Math.min(NB, n - j0);
            float[] panel = packF(tb, b, ldb, k, j0, nb);
            int col0 = j0;
            Parallel.forRange(blocks(m), (long) MB * k * nb, (s, e) -> {
                float[] acc = new float[MB * nb];
                for (long blk = s; blk < e; blk++) {
                    int i0 = (int) blk * MB;
                    int mb = Math.min(MB, m - i0);
                    Arrays.fill(acc, 0f);
                    blockF(ta, a, lda, i0, mb, k, panel, nb, acc);
                    for (int r = 0; r < mb; r++) {
                        Unsafe.copyFromArray(acc, r * nb, c + 4L * ((long) (i0 + r) * ldc + col0), nb);
                    }
                }
            });
        }
    }

    /** float64 twin of {@link #sgemm}. */
    static void dgemm(boolean ta, boolean tb, int m, int n, int k, long a, int lda, long b, int ldb, long c,
                      int ldc) {
        for (int j0 = 0; j0 < n; j0 += NB) {
            int nb = Math.min(NB, n - j0);
            double[] panel = packD(tb, b, ldb, k, j0, nb);
            int col0 = j0;
            Parallel.forRange(blocks(m), (long) MB * k * nb, (s, e) -> {
                double[] acc = new double[MB * nb];
                for (long blk = s; blk < e; blk++) {
                    int i0 = (int) blk * MB;
                    int mb = Math.min(MB, m - i0);
                    Arrays.fill(acc, 0d);
                    blockD(ta, a, lda, i0, mb, k, panel, nb, acc);
                    for (int r = 0; r < mb; r++) {
                        long row = c + 8L * ((long) (i0 + r) * ldc + col0);
                        for (int j = 0; j < nb; j++) {
                            Unsafe.putDouble(row + 8L * j, acc[r * nb + j]);
                        }
                    }
                }
            });
        }
    }

    private static long blocks(int m) {
        return (m + MB - 1) / MB;
    }

    /** Element offset of {@code op(X)[row, col]} for a row-major X with leading dim {@code ld}. */
    private static long at(boolean trans, int ld, long row, long col) {
        return trans ? col * ld + row : row * ld + col;
    }

    private static void blockF(boolean ta, long a, int lda, int i0, int mb, int k, float[] panel, int nb,
                               float[] acc) {
        for (int p0 = 0; p0 < k; p0 += KB) {
            int pEnd = Math.min(k, p0 + KB);
            for (int r = 0; r < mb; r++) {
                int accOff = r * nb;
                for (int p = p0; p < pEnd; p++) {
                    float av = Unsafe.getFloat(a + 4L * at(ta, lda, i0 + r, p));
                    int bOff = p * nb;
                    for (int j = 0; j < nb; j++) {
                        acc[accOff + j] += av * panel[bOff + j];
                    }
                }
            }
        }
    }

    private static void blockD(boolean ta, long a, int lda, int i0, int mb, int k, double[] panel, int nb,
                               double[] acc) {
        for (int p0 = 0; p0 < k; p0 += KB) {
            int pEnd = Math.min(k, p0 + KB);
            for (int r = 0; r < mb; r++) {
                int accOff = r * nb;
                for (int p = p0; p < pEnd; p++) {
                    double av = Unsafe.getDouble(a + 8L * at(ta, lda, i0 + r, p));
                    int bOff = p * nb;
                    for (int j = 0; j < nb; j++) {
                        acc[accOff + j] += av * panel[bOff + j];
                    }
                }
            }
        }
    }

    /** Copies {@code op(B)[0:k, j0:j0+nb]} into a row-major {@code k x nb} array. */
    private static float[] packF(boolean tb, long b, int ldb, int k, int j0, int nb) {
        float[] panel = new float[Math.multiplyExact(k, nb)];
        for (int p = 0; p < k; p++) {
            if (!tb) { // row p of B is contiguous: one bulk copy
                Unsafe.copyToArray(b + 4L * at(false, ldb, p, j0), panel, p * nb, nb);
                continue;
            }
            for (int j = 0; j < nb; j++) {
                panel[p * nb + j] = Unsafe.getFloat(b + 4L * at(true, ldb, p, j0 + j));
            }
        }
        return panel;
    }

    private static double[] packD(boolean tb, long b, int ldb, int k, int j0, int nb) {
        double[] panel = new double[Math.multiplyExact(k, nb)];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < nb; j++) {
                panel[p * nb + j] = Unsafe.getDouble(b + 8L * at(tb, ldb, p, j0 + j));
            }
        }
        return panel;
    }
}
