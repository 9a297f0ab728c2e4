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
            for (long p = lo; p < hi; p++) {
                forwardPlane(inBase + p * h * wd * 4, outBase + p * l * 4, codeBase == 0 ? 0 : codeBase + p * l, wd,
                        oh, ow);
            }
        });
    }

    /**
     * One float32 plane, straight between native buffers ({@code codes} 0: values only). NOTE: branch-free where the
     * data is random (which cell wins, whether the maximum is positive): as in {@code CpuPool.maxPool2x2Plane}, C2
     * turns float compares feeding selects into branches that mispredict on real activations, so the winner is found
     * by comparing bits as ints ({@code + 0f} makes -0 and +0 tie, as the float compare does) and the sign test is on
     * the maximum's bits. Only a NaN maximum branches.
     */
    private static void forwardPlane(long x, long y, long codes, int wd, int oh, int ow) {
        for (int oy = 0; oy < oh; oy++) {
            long row0 = x + 8L * oy * wd;
            long row1 = row0 + 4L * wd;
            long yo = y + 4L * oy * ow;
            long co = codes + (long) oy * ow;
            for (int ox = 0; ox < ow; ox++) {
                long at = 8L * ox;
                float v0 = Unsafe.getFloat(row0 + at);
                float v1 = Unsafe.getFloat(row0 + at + 4);
                float v2 = Unsafe.getFloat(row1 + at);
                float v3 = Unsafe.getFloat(row1 + at + 4);
                float m = Math.max(Math.max(v0, v1), Math.max(v2, v3));
                float value;
                int code;
                if (m != m) { // the last NaN wins and passes the gradient on; relu keeps it as it is
                    code = v3 != v3 ? 3 : v2 != v2 ? 2 : v1 != v1 ? 1 : 0;
                    value = code == 3 ? v3 : code == 2 ? v2 : code == 1 ? v1 : v0;
                } else {
                    int bm = Float.floatToRawIntBits(m + 0f);
                    int k2 = Float.floatToRawIntBits(v2 + 0f) == bm ? 2 : 3;
                    int k1 = Float.floatToRawIntBits(v1 + 0f) == bm ? 1 : k2;
                    int k = Float.floatToRawIntBits(v0 + 0f) == bm ? 0 : k1;
                    int none = (bm - 1) >> 31; // -1 when m <= 0 (+0's bits or negative): relu gives +0, no gradient
                    value = Float.intBitsToFloat(bm & ~none);
                    code = k | none;
                }
                Unsafe.putFloat(yo + 4L * ox, value);
                if (codes != 0) {
                    Unsafe.putByte(co + ox, (byte) code);
                }
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
            boolean uncovered = 2 * oh < h || 2 * ow < wd;
            for (long p = lo; p < hi; p++) {
                long dst = inBase + p * h * wd * 4;
                if (uncovered) {
                    Unsafe.setMemory(dst, 4L * h * wd, (byte) 0); // a last odd row or column is in no window
                }
                backwardPlane(gBase + p * l * 4, codeBase + p * l, dst, wd, oh, ow);
            }
        });
    }

    /**
     * One float32 plane, straight between native buffers (no plane copies: each gradient and code is read once and
     * each cell written once), on the gradient's bits: each of a window's four cells keeps them where the code names
     * it, branch-free.
     */
    private static void backwardPlane(long g, long codes, long dst, int wd, int oh, int ow) {
        for (int oy = 0; oy < oh; oy++) {
            long row0 = dst + 8L * oy * wd;
            long row1 = row0 + 4L * wd;
            long go = g + 4L * oy * ow;
            long co = codes + (long) oy * ow;
            for (int ox = 0; ox < ow; ox++) {
                int c = Unsafe.getByte(co + ox) & 0xFF;
                int gb = Unsafe.getInt(go + 4L * ox);
                long at = 8L * ox;
                Unsafe.putInt(row0 + at, gb & (((c ^ 0) - 1) >> 31)); // all ones only when c == 0 (NONE never)
                Unsafe.putInt(row0 + at + 4, gb & (((c ^ 1) - 1) >> 31));
                Unsafe.putInt(row1 + at, gb & (((c ^ 2) - 1) >> 31));
                Unsafe.putInt(row1 + at + 4, gb & (((c ^ 3) - 1) >> 31));
            }
        }
    }
}
