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
                    Unsafe.putFloat(po, Unsafe.getFloat(pb) > 0 ? Unsafe.getFloat(pa) : 0f);
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
    private static final ThreadLocal<float[][]> TILES = ThreadLocal.withInitial(() -> new float[2][TILE]);

    /**
     * ReLU's gradient over a dense row, tile by tile through {@code float[]} buffers (see {@link F32Loops}), with
     * the select done on the bits: C2 compiles a float {@code y > 0 ? g : 0} to a branch on x86, which mispredicts
     * on every other element of a zero-mean activation; the integer mask below has no branch at all.
     */
    private static void denseThresholdBackward(long n, long pa, long pb, long po) {
        float[][] t = TILES.get();
        float[] g = t[0];
        float[] out = t[1];
        for (long s = 0; s < n; s += TILE) {
            int m = (int) Math.min(TILE, n - s);
            Unsafe.copyToArray(pa + 4 * s, g, 0, m);
            Unsafe.copyToArray(pb + 4 * s, out, 0, m);
            for (int i = 0; i < m; i++) {
                // (bits - 1) | (0x7F800000 - bits) is negative unless 0 < bits <= +inf's bits, i.e. unless y > 0
                // (y = +0, any negative, any NaN give -1): the mask keeps g's bits or clears them to +0.
                int y = Float.floatToRawIntBits(out[i]);
                int keep = ~(((y - 1) | (0x7F800000 - y)) >> 31);
                out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(g[i]) & keep);
            }
            Unsafe.copyFromArray(out, 0, po + 4 * s, m); // after the loads: po may alias pa or pb
        }
    }

    /** BOOL (or UINT8 0/1) to float32. */
    static void boolToFloat(long n, long pa, long sa, long po, long so) {
        for (long i = 0; i < n; i++, pa += sa, po += so) {
            Unsafe.putFloat(po, Unsafe.getByte(pa) != 0 ? 1f : 0f);
        }
    }
}
