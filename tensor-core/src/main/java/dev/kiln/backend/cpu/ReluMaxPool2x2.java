package dev.kiln.backend.cpu;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.Window2d;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;

/**
 * {@code max_pool2d(relu(x), 2)} and its gradient in one pass each, for contiguous float32/float64 {@code [N, C, H, W]}
 * inputs and {@code MaxPool2d(2)}'s window ({@link CpuPool#isPlain2x2}): the block every LeNet-style CNN repeats
 * after a convolution. Unfused, a training step writes and rereads the full-size ReLU output and its gradient and an
 * int64 argmax per window; fused, the convolution's output is read once and the gradient written once, and the
 * argmax is a byte.
 *
 * <p>The result is exactly the unfused one, ties and special values included. {@code codes} (uint8, the output's
 * shape) holds, per window, the cell the gradient goes to (0..3, row-major in the window) or {@link #NONE}: unfused,
 * the pool's gradient goes to the argmax of {@code relu(x)} (the first maximum; NaN wins, the last NaN) and ReLU's
 * gradient then keeps it only where {@code relu(x) > 0} or is NaN ({@code threshold_backward}: zero where
 * {@code <= 0}). So a window whose maximum is {@code <= 0} sends no gradient at all, and its value is +0 (ReLU maps
 * -0 to +0).
 */
final class ReluMaxPool2x2 {
    /** The code of a window whose gradient goes nowhere (its maximum is {@code <= 0}). */
    static final int NONE = 0xFF;

    private ReluMaxPool2x2() {
    }

    /** The forward over every plane; {@code codes} null: values only (no gradient wanted). */
    static void forward(KernelArg in, Window2d w, KernelArg out, KernelArg codes) {
        int h = (int) in.size(2);
        int wd = (int) in.size(3);
        int oh = w.oh();
        int ow = w.ow();
        long l = (long) oh * ow;
        long inBase = in.dataAddress();
        long outBase = out.dataAddress();
        long codeBase = codes == null ? 0 : codes.dataAddress();
        boolean f32 = in.dtype() == DType.FLOAT32;
        Parallel.forRange(in.size(0) * in.size(1), 4 * l, (lo, hi) -> {
            if (!f32) {
                for (long p = lo; p < hi; p++) {
                    forwardPlaneF64(inBase + p * h * wd * 8, outBase + p * l * 8, codeBase == 0 ? 0 : codeBase + p * l,
                            wd, oh, ow);
                }
                return;
            }
            float[][] buf = CpuPool.planeBuffers(h * wd, (int) l);
            byte[] code = codeBuffer((int) l);
            for (long p = lo; p < hi; p++) {
                Unsafe.copyToArray(inBase + p * h * wd * 4, buf[0], 0, h * wd);
                forwardPlane(buf[0], buf[1], code, wd, oh, ow);
                Unsafe.copyFromArray(buf[1], 0, outBase + p * l * 4, (int) l);
                if (codeBase != 0) {
                    Unsafe.copyArray(code, codeBase + p * l, l, false);
                }
            }
        });
    }

    /**
     * One float32 plane. NOTE: branch-free where the data is random (which cell wins, whether the maximum is
     * positive): as in {@code CpuPool.maxPool2x2Plane}, C2 turns float compares feeding selects into branches that
     * mispredict on real activations, so the winner is found by comparing bits as ints ({@code + 0f} makes -0 and +0
     * tie, as the float compare does) and the sign test is on the maximum's bits. Only a NaN maximum branches.
     */
    private static void forwardPlane(float[] x, float[] y, byte[] code, int wd, int oh, int ow) {
        for (int oy = 0; oy < oh; oy++) {
            int r0 = 2 * oy * wd;
            int r1 = r0 + wd;
            for (int ox = 0; ox < ow; ox++) {
                int i = r0 + 2 * ox;
                float v0 = x[i];
                float v1 = x[i + 1];
                float v2 = x[r1 - r0 + i];
                float v3 = x[r1 - r0 + i + 1];
                float m = Math.max(Math.max(v0, v1), Math.max(v2, v3));
                int o = oy * ow + ox;
                if (m != m) { // the last NaN wins and passes the gradient on; relu keeps it as it is
                    int k = v3 != v3 ? 3 : v2 != v2 ? 2 : v1 != v1 ? 1 : 0;
                    y[o] = k == 3 ? v3 : k == 2 ? v2 : k == 1 ? v1 : v0;
                    code[o] = (byte) k;
                    continue;
                }
                int bm = Float.floatToRawIntBits(m + 0f);
                int k2 = Float.floatToRawIntBits(v2 + 0f) == bm ? 2 : 3;
                int k1 = Float.floatToRawIntBits(v1 + 0f) == bm ? 1 : k2;
                int k = Float.floatToRawIntBits(v0 + 0f) == bm ? 0 : k1;
                int none = (bm - 1) >> 31; // -1 when m <= 0 (bm is +0's bits or negative): relu gives +0, no gradient
                y[o] = Float.intBitsToFloat(bm & ~none);
                code[o] = (byte) (k | none);
            }
        }
    }

    /**
     * One float64 plane, written as the unfused definition reads (relu each cell, then the sequential max with
     * PyTorch's NaN rule, then ReLU's gradient rule on the winner): the reference the float32 path is tested against,
     * and what gradient checks (float64) run.
     */
    private static void forwardPlaneF64(long src, long dst, long codes, int wd, int oh, int ow) {
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                double max = Double.NEGATIVE_INFINITY;
                int arg = 0;
                for (int k = 0; k < 4; k++) {
                    double x = Unsafe.getDouble(src + 8L * ((2 * oy + k / 2) * wd + 2 * ox + k % 2));
                    double r = x > 0 || Double.isNaN(x) ? x : 0; // relu
                    if (r > max || Double.isNaN(r)) {
                        max = r;
                        arg = k;
                    }
                }
                int o = oy * ow + ox;
                Unsafe.putDouble(dst + 8L * o, max);
                if (codes != 0) {
                    Unsafe.putByte(codes + o, (byte) (max <= 0 ? NONE : arg));
                }
            }
        }
    }

    /** {@code gradIn} (overwritten): each window's gradient at its coded cell, 0 everywhere else. */
    static void backward(KernelArg grad, KernelArg codes, Window2d w, KernelArg gradIn) {
        int h = (int) gradIn.size(2);
        int wd = (int) gradIn.size(3);
        int oh = w.oh();
        int ow = w.ow();
        int l = oh * ow;
        long gBase = grad.dataAddress();
        long codeBase = codes.dataAddress();
        long inBase = gradIn.dataAddress();
        boolean f32 = grad.dtype() == DType.FLOAT32;
        Parallel.forRange(gradIn.size(0) * gradIn.size(1), 4L * l, (lo, hi) -> {
            if (!f32) {
                for (long p = lo; p < hi; p++) {
                    long dst = inBase + p * h * wd * 8;
                    Unsafe.setMemory(dst, 8L * h * wd, (byte) 0);
                    for (int o = 0; o < l; o++) {
                        int c = Unsafe.getByte(codeBase + p * l + o) & 0xFF;
                        if (c != NONE) {
                            int cell = (2 * (o / ow) + c / 2) * wd + 2 * (o % ow) + c % 2;
                            Unsafe.putDouble(dst + 8L * cell, Unsafe.getDouble(gBase + 8 * (p * l + o)));
                        }
                    }
                }
                return;
            }
            int[] g = intBuffer(G, l);
            int[] gin = intBuffer(GIN, h * wd);
            byte[] code = codeBuffer(l);
            boolean uncovered = 2 * oh < h || 2 * ow < wd;
            for (long p = lo; p < hi; p++) {
                Unsafe.copyToArray(gBase + p * l * 4, g, 0, l);
                Unsafe.copyArray(code, codeBase + p * l, l, true);
                if (uncovered) {
                    java.util.Arrays.fill(gin, 0, h * wd, 0); // a last odd row or column is in no window
                }
                backwardPlane(g, code, gin, wd, oh, ow);
                Unsafe.copyFromArray(gin, 0, inBase + p * h * wd * 4, h * wd);
            }
        });
    }

    /** One float32 plane on the gradient's bits: each of the four cells keeps them where the code names it. */
    private static void backwardPlane(int[] g, byte[] code, int[] gin, int wd, int oh, int ow) {
        for (int oy = 0; oy < oh; oy++) {
            int r0 = 2 * oy * wd;
            for (int ox = 0; ox < ow; ox++) {
                int o = oy * ow + ox;
                int c = code[o] & 0xFF;
                int gb = g[o];
                int i = r0 + 2 * ox;
                gin[i] = gb & (((c ^ 0) - 1) >> 31); // all ones only when c == 0 (NONE = 255 never matches)
                gin[i + 1] = gb & (((c ^ 1) - 1) >> 31);
                gin[i + wd] = gb & (((c ^ 2) - 1) >> 31);
                gin[i + wd + 1] = gb & (((c ^ 3) - 1) >> 31);
            }
        }
    }

    private static final ThreadLocal<byte[][]> CODES = ThreadLocal.withInitial(() -> new byte[1][0]);
    private static final ThreadLocal<int[][]> G = ThreadLocal.withInitial(() -> new int[1][0]);
    private static final ThreadLocal<int[][]> GIN = ThreadLocal.withInitial(() -> new int[1][0]);

    private static byte[] codeBuffer(int n) {
        byte[][] b = CODES.get();
        if (b[0].length < n) {
            b[0] = new byte[n];
        }
        return b[0];
    }

    private static int[] intBuffer(ThreadLocal<int[][]> local, int n) {
        int[][] b = local.get();
        if (b[0].length < n) {
            b[0] = new int[n];
        }
        return b[0];
    }
}
