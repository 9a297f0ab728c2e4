package dev.kiln.backend.cpu;

import dev.kiln.backend.BinaryOp;
import dev.kiln.memory.Unsafe;

/**
 * float32 loops for the masks training makes every step: comparisons writing BOOL (dropout's {@code rand < p}),
 * ReLU's gradient ({@code out > 0 ? g : 0}) and BOOL-to-float32 casts. Plain strided loops: they avoid the
 * per-element dtype dispatch of the generic path, which made these ops 10x slower than the math they guard.
 */
final class F32MaskLoops {
    private F32MaskLoops() {
    }

    static boolean supports(BinaryOp op) {
        return op.isComparison() || op == BinaryOp.THRESHOLD_BACKWARD;
    }

    /** {@code out = op(a, b)} on float32 operands; BOOL output for comparisons, float32 for THRESHOLD_BACKWARD. */
    static void binary(BinaryOp op, long n, long pa, long sa, long pb, long sb, long po, long so) {
        switch (op) {
            case THRESHOLD_BACKWARD -> {
                if (sa == 4 && sb == 4 && so == 4) {
                    denseThresholdBackward(n, pa, pb, po);
                    return;
                }
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    Unsafe.putFloat(po, Unsafe.getFloat(pb) <= 0 ? 0f : Unsafe.getFloat(pa));
                }
            }
            case LT -> {
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    Unsafe.putByte(po, (byte) (Unsafe.getFloat(pa) < Unsafe.getFloat(pb) ? 1 : 0));
                }
            }
            case GT -> {
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    Unsafe.putByte(po, (byte) (Unsafe.getFloat(pa) > Unsafe.getFloat(pb) ? 1 : 0));
                }
            }
            default -> {
                for (long i = 0; i < n; i++, pa += sa, pb += sb, po += so) {
                    double r = CpuPointwise.applyBinary(op, Unsafe.getFloat(pa), Unsafe.getFloat(pb));
                    Unsafe.putByte(po, (byte) (r != 0 ? 1 : 0));
                }
            }
        }
    }

    private static final int TILE = 1024;
    private static final ThreadLocal<int[][]> TILES = ThreadLocal.withInitial(() -> new int[2][TILE]);

    /**
     * ReLU's gradient over a dense row, tile by tile through {@code int[]} buffers holding the float bits (see
     * {@link F32Loops}), with the select done on the bits by {@link #thresholdKeep}.
     *
     * <p>NOTE: written for C2. A float {@code y > 0 ? g : 0} compiles to a branch on x86, which mispredicts on every
     * other element of a zero-mean activation; and JDK 17 does not vectorize {@code Float.floatToRawIntBits}, so a
     * float tile with the bit trick inside ran scalar (5x slower than ReLU's forward). Int tiles keep the whole loop in
     * integer operations, which C2 vectorizes.
     */
    private static void denseThresholdBackward(long n, long pa, long pb, long po) {
        int[][] t = TILES.get();
        int[] g = t[0];
        int[] y = t[1];
        for (long s = 0; s < n; s += TILE) {
            int m = (int) Math.min(TILE, n - s);
            Unsafe.copyToArray(pa + 4 * s, g, 0, m);
            Unsafe.copyToArray(pb + 4 * s, y, 0, m);
            for (int i = 0; i < m; i++) {
                g[i] &= thresholdKeep(y[i]);
            }
            Unsafe.copyFromArray(g, 0, po + 4 * s, m); // after the loads: po may alias pa or pb
        }
    }

    /**
     * All ones unless the float with bits {@code y} is {@code <= 0}, then 0: PyTorch's {@code threshold_backward}
     * zeroes the gradient exactly where {@code y <= 0}, so a NaN {@code y} passes the gradient on. As ints,
     * {@code y <= 0} is {@code y == 0} (+0) or {@code y <= 0xFF800000} (-0 up to -inf; above that are the negative
     * NaNs): for negative {@code y}, {@code (y + 0x7FFFFF) >> 31} is -1 for the latter (the sum would overflow for
     * large positive {@code y}, hence the sign test first); {@code (y | -y) >> 31} is 0 only for the former.
     */
    static int thresholdKeep(int y) {
        return ~((y >> 31) & ((y + 0x7FFFFF) >> 31)) & ((y | -y) >> 31);
    }

    /** BOOL (or UINT8 0/1) to float32. */
    static void boolToFloat(long n, long pa, long sa, long po, long so) {
        for (long i = 0; i < n; i++, pa += sa, po += so) {
            Unsafe.putFloat(po, Unsafe.getByte(pa) != 0 ? 1f : 0f);
        }
    }
}
