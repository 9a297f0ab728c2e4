package dev.kiln.backend.cpu;

import dev.kiln.backend.KernelArg;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;

/**
 * The pass that finishes a fused linear layer after its GEMM: {@code out[i, j] = act(out[i, j] + bias[j])} over a
 * contiguous {@code [M, N]} product, where {@code act} is ReLU ({@code Math.max(v, 0)}: NaN propagates, -0 becomes
 * +0, exactly {@link F32Loops#relu}) or the identity. One read and one write of the product, instead of the unfused
 * bias add and ReLU ops' two passes and two freshly allocated outputs.
 *
 * <p>NOTE: oneDNN's matmul primitive could apply both inside its GEMM, but its ReLU post-op maps NaN to 0 (it is a
 * {@code vmaxps} against zero; checked with oneDNN 3.11), which breaks {@code torch.relu}'s NaN propagation, and
 * without ReLU the bias alone would still leave one pass to do. So the GEMM stays {@link Blas}'s and this pass runs
 * over the product while it is still in cache.
 *
 * <p>float32 rows go through {@link F32Loops}' tile scheme (bulk copy into a small array, a loop C2 vectorises,
 * bulk copy out); float64 uses a plain loop.
 */
final class LinearEpilogue {
    private static final int TILE = 1024;
    private static final ThreadLocal<float[]> TILES = ThreadLocal.withInitial(() -> new float[TILE]);

    /**
     * Products smaller than this many elements are finished on the calling thread. NOTE: the pass follows a GEMM
     * whose OpenMP workers (oneDNN's) keep spinning for a few ms after it returns; a fork to Kiln's pool right then
     * waits for a core one of them holds, which on the shared 2-core box stalled the fork for a scheduler time slice
     * (several ms) in most calls, while the whole pass over a [1024, 256] product takes ~60 us on one thread.
     */
    static final long SERIAL_ELEMENTS = 1L << 22;

    private LinearEpilogue() {
    }

    /** Runs {@code body} over {@code [0, count)} items of {@code cost} elements each, forking only for big passes. */
    private static void split(long count, long cost, Parallel.Range body) {
        if (count * cost < SERIAL_ELEMENTS) {
            body.run(0, count);
        } else {
            Parallel.forRange(count, cost, body);
        }
    }

    /** Applies bias (may be null) and, if asked, ReLU in place over {@code out} ({@code [m, n]}, contiguous). */
    static void apply(KernelArg out, KernelArg bias, boolean relu, long m, long n) {
        if (bias == null && !relu) {
            return;
        }
        long po = out.dataAddress();
        if (out.dtype() != DType.FLOAT32) {
            long pb = bias == null ? 0 : bias.dataAddress();
            long sb = bias == null ? 0 : 8 * bias.stride(0);
            split(m, n, (start, end) -> {
                for (long r = start; r < end; r++) {
                    f64Row(po + 8 * r * n, n, pb, sb, relu);
                }
            });
            return;
        }
        float[] b = bias == null ? null : floats(bias, n);
        if (n >= TILE) { // wide rows: each row in tiles
            split(m, n, (start, end) -> {
                float[] t = TILES.get();
                for (long r = start; r < end; r++) {
                    long row = po + 4 * r * n;
                    for (long s = 0; s < n; s += TILE) {
                        f32Tile(row + 4 * s, (int) Math.min(TILE, n - s), b, (int) s, relu, t);
                    }
                }
            });
            return;
        }
        // Narrow rows (the MLP's 256, 128, 10): a tile holds whole rows, and the bias is repeated once per row, so one
        // copy in and out serves several rows; per-row copies cost more than the arithmetic for rows this short.
        int rowsPerTile = (int) (TILE / n);
        float[] pattern = b == null ? null : repeat(b, rowsPerTile);
        long blocks = (m + rowsPerTile - 1) / rowsPerTile;
        split(blocks, (long) rowsPerTile * n, (start, end) -> {
            float[] t = TILES.get();
            for (long k = start; k < end; k++) {
                long r0 = k * rowsPerTile;
                int len = (int) (Math.min(rowsPerTile, m - r0) * n);
                f32Tile(po + 4 * r0 * n, len, pattern, 0, relu, t);
            }
        });
    }

    private static float[] repeat(float[] b, int times) {
        float[] p = new float[b.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(b, 0, p, i * b.length, b.length);
        }
        return p;
    }

    /** The bias as a Java array, read once per call (any stride). */
    private static float[] floats(KernelArg bias, long n) {
        float[] b = new float[(int) n];
        long p = bias.dataAddress();
        long step = 4 * bias.stride(0);
        if (step == 4) {
            Unsafe.copyToArray(p, b, 0, b.length);
        } else {
            for (int j = 0; j < b.length; j++) {
                b[j] = Unsafe.getFloat(p + j * step);
            }
        }
        return b;
    }

    /** {@code len} floats at {@code p}: {@code act(v + bias[off + j])} ({@code bias} may be null), via tile {@code t}. */
    private static void f32Tile(long p, int len, float[] bias, int off, boolean relu, float[] t) {
        Unsafe.copyToArray(p, t, 0, len);
        if (bias == null) {
            for (int j = 0; j < len; j++) {
                t[j] = Math.max(t[j], 0f);
            }
        } else if (relu) {
            for (int j = 0; j < len; j++) {
                t[j] = Math.max(t[j] + bias[off + j], 0f);
            }
        } else {
            for (int j = 0; j < len; j++) {
                t[j] = t[j] + bias[off + j];
            }
        }
        Unsafe.copyFromArray(t, 0, p, len);
    }

    private static void f64Row(long row, long n, long pb, long sb, boolean relu) {
        for (long j = 0; j < n; j++) {
            long p = row + 8 * j;
            double v = Unsafe.getDouble(p);
            if (pb != 0) {
                v += Unsafe.getDouble(pb + j * sb);
            }
            Unsafe.putDouble(p, relu ? Math.max(v, 0.0) : v);
        }
    }
}
