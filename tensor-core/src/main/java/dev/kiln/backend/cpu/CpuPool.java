package dev.kiln.backend.cpu;

import dev.kiln.backend.Window2d;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.backend.KernelArg;

/**
 * Pooling kernels over contiguous {@code [N, C, H, W]} float32/float64 images, parallel over the {@code N*C}
 * planes (every plane of the output, and of a gradient, is written by one thread only). Window arithmetic
 * follows PyTorch's CPU kernels ({@code aten/src/ATen/native/cpu/MaxPoolKernel.cpp}, {@code AvgPoolKernel.cpp},
 * {@code AdaptiveAvgPoolKernel.cpp}) so edge windows and divisors agree exactly.
 */
final class CpuPool {

    /** Per-plane body: {@code p} is the plane index in {@code [0, N*C)}. */
    @FunctionalInterface
    private interface PlaneBody {
        void run(long p);
    }

    private static void forPlanes(KernelArg in, long costPerPlane, PlaneBody body) {
        long planes = in.size(0) * in.size(1);
        Parallel.forRange(planes, costPerPlane, (lo, hi) -> {
            for (long p = lo; p < hi; p++) {
                body.run(p);
            }
        });
    }

    private static double load(boolean f32, long addr) {
        return f32 ? Unsafe.getFloat(addr) : Unsafe.getDouble(addr);
    }

    private static void store(boolean f32, long addr, double v) {
        if (f32) {
            Unsafe.putFloat(addr, (float) v);
        } else {
            Unsafe.putDouble(addr, v);
        }
    }

    // ---------------------------------------------------------------- max

    /** Max pooling; {@code indices} null: the values only (see {@link #maxPool2x2Values}). */
    void maxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg indices) {
        if (in.dtype() == DType.FLOAT32 && isPlain2x2(w, in.size(2), in.size(3))) {
            maxPool2x2F32(in, w, out, indices);
            return;
        }
        boolean f32 = in.dtype() == DType.FLOAT32;
        int es = in.dtype().byteSize();
        int h = (int) in.size(2);
        int wd = (int) in.size(3);
        long inBase = in.dataAddress();
        long outBase = out.dataAddress();
        long idxBase = indices == null ? 0 : indices.dataAddress();
        long l = w.outPlane();
        forPlanes(in, l * w.taps(), p -> {
            long src = inBase + p * h * wd * es;
            for (int oy = 0; oy < w.oh(); oy++) {
                int hs = oy * w.sh() - w.ph();
                int he = Math.min(hs + (w.kh() - 1) * w.dh() + 1, h);
                while (hs < 0) {
                    hs += w.dh();
                }
                for (int ox = 0; ox < w.ow(); ox++) {
                    int ws = ox * w.sw() - w.pw();
                    int we = Math.min(ws + (w.kw() - 1) * w.dw() + 1, wd);
                    while (ws < 0) {
                        ws += w.dw();
                    }
                    double max = Double.NEGATIVE_INFINITY;
                    long arg = (long) hs * wd + ws;
                    for (int iy = hs; iy < he; iy += w.dh()) {
                        for (int ix = ws; ix < we; ix += w.dw()) {
                            long i = (long) iy * wd + ix;
                            double v = load(f32, src + i * es);
                            if (v > max || Double.isNaN(v)) { // NOTE: like PyTorch, NaN wins (and the last NaN)
                                max = v;
                                arg = i;
                            }
                        }
                    }
                    long o = p * l + (long) oy * w.ow() + ox;
                    store(f32, outBase + o * es, max);
                    if (idxBase != 0) {
                        Unsafe.putLong(idxBase + o * 8, arg);
                    }
                }
            }
        });
    }

    /**
     * True for {@code MaxPool2d(2)}'s window (2x2, stride 2, no padding, no dilation) when every window lies inside
     * the input (always without ceil mode; with it, only for even sizes), the shape LeNet-style CNNs use.
     */
    static boolean isPlain2x2(Window2d w, long h, long wd) {
        return w.kh() == 2 && w.kw() == 2 && w.sh() == 2 && w.sw() == 2 && w.ph() == 0 && w.pw() == 0
                && w.dh() == 1 && w.dw() == 1 && 2L * w.oh() <= h && 2L * w.ow() <= wd;
    }

    /**
     * float32 2x2/stride-2 max pooling: the plane is copied into a per-thread {@code float[]} and each window is
     * four float compares in the generic path's order (row by row; strict {@code >} so the first of equal maxima
     * wins; NaN wins, and the last NaN), so values and indices are exactly the generic path's. The generic path
     * spent most of its time widening every element to double behind a dtype test and in {@code Double.isNaN}.
     */
    private static void maxPool2x2F32(KernelArg in, Window2d w, KernelArg out, KernelArg indices) {
        int h = (int) in.size(2);
        int wd = (int) in.size(3);
        int oh = w.oh();
        int ow = w.ow();
        long inBase = in.dataAddress();
        long outBase = out.dataAddress();
        long idxBase = indices == null ? 0 : indices.dataAddress();
        long l = (long) oh * ow;
        Parallel.forRange(in.size(0) * in.size(1), 4 * l, (lo, hi) -> {
            // Buffers fetched once per range, not per plane: ThreadLocal.get() showed up in LeNet's profile.
            float[][] buf = planeBuffers(h * wd, (int) l);
            float[] x = buf[0];
            float[] y = buf[1];
            for (long p = lo; p < hi; p++) {
                Unsafe.copyToArray(inBase + p * h * wd * 4, x, 0, h * wd);
                if (idxBase == 0) {
                    maxPool2x2Values(x, y, wd, oh, ow);
                } else {
                    maxPool2x2Plane(x, y, idxBase + p * l * 8, wd, oh, ow);
                }
                Unsafe.copyFromArray(y, 0, outBase + p * l * 4, oh * ow);
            }
        });
    }

    /**
     * One plane {@code x} (rows of {@code wd}) to its {@code oh x ow} maxima in {@code y} and argmaxes at {@code idx}.
     *
     * <p>NOTE: written for C2, branch-free in the common case. The maximum comes from {@code Math.max} (no branch);
     * the argmax is the first cell whose bits equal the maximum's, compared as ints ({@code + 0f} turns -0 into +0,
     * so -0 and +0 tie as the float compare does), which C2 turns into conditional moves. Float compares feeding
     * selects became branches, and which cell wins is a coin toss on real activations: that version (four dependent
     * compares per window) ran 2.7x slower. A NaN in the window (the maximum is NaN) takes the sequential rule
     * instead: the last NaN wins, as in PyTorch. The value stored is the winning cell itself, so -0 survives.
     */
    private static void maxPool2x2Plane(float[] x, float[] y, long idx, int wd, int oh, int ow) {
        for (int oy = 0; oy < oh; oy++) {
            int r0 = 2 * oy * wd;
            int r1 = r0 + wd;
            for (int ox = 0; ox < ow; ox++) {
                int i = 2 * ox;
                float v0 = x[r0 + i];
                float v1 = x[r0 + i + 1];
                float v2 = x[r1 + i];
                float v3 = x[r1 + i + 1];
                float m = Math.max(Math.max(v0, v1), Math.max(v2, v3));
                int k;
                if (m != m) {
                    k = v3 != v3 ? wd + 1 : v2 != v2 ? wd : v1 != v1 ? 1 : 0;
                } else {
                    int bm = Float.floatToRawIntBits(m + 0f);
                    int k2 = Float.floatToRawIntBits(v2 + 0f) == bm ? wd : wd + 1;
                    int k1 = Float.floatToRawIntBits(v1 + 0f) == bm ? 1 : k2;
                    k = Float.floatToRawIntBits(v0 + 0f) == bm ? 0 : k1;
                }
                y[oy * ow + ox] = x[r0 + i + k];
                Unsafe.putLong(idx + 8L * (oy * ow + ox), r0 + i + k);
            }
        }
    }

    /**
     * {@link #maxPool2x2Plane}'s values without the argmax (3x faster again): the maximum straight from
     * {@code Math.max}, except where it is NaN or zero, where the sequential rule decides which NaN or which signed
     * zero the window returns (the last NaN; the first of -0 and +0).
     */
    private static void maxPool2x2Values(float[] x, float[] y, int wd, int oh, int ow) {
        for (int oy = 0; oy < oh; oy++) {
            int r0 = 2 * oy * wd;
            int r1 = r0 + wd;
            for (int ox = 0; ox < ow; ox++) {
                int i = 2 * ox;
                float m = Math.max(Math.max(x[r0 + i], x[r0 + i + 1]), Math.max(x[r1 + i], x[r1 + i + 1]));
                y[oy * ow + ox] = m == 0f || m != m ? sequentialMax(x[r0 + i], x[r0 + i + 1], x[r1 + i],
                        x[r1 + i + 1]) : m;
            }
        }
    }

    /** The generic path's rule over four cells in order: strict {@code >} keeps the first maximum; NaN wins. */
    private static float sequentialMax(float v0, float v1, float v2, float v3) {
        float m = v0;
        m = v1 > m || v1 != v1 ? v1 : m;
        m = v2 > m || v2 != v2 ? v2 : m;
        return v3 > m || v3 != v3 ? v3 : m;
    }

    private static final ThreadLocal<float[][]> PLANES = ThreadLocal.withInitial(() -> new float[2][0]);

    /** Two per-thread float buffers of at least {@code a} and {@code b} elements (grown, never shrunk). */
    static float[][] planeBuffers(int a, int b) {
        float[][] buf = PLANES.get();
        if (buf[0].length < a) {
            buf[0] = new float[a];
        }
        if (buf[1].length < b) {
            buf[1] = new float[b];
        }
        return buf;
    }

    void maxPool2dBackward(KernelArg grad, KernelArg indices, KernelArg gradIn) {
        if (grad.dtype() == DType.FLOAT32) {
            maxPool2dBackwardF32(grad, indices, gradIn);
            return;
        }
        boolean f32 = false; // float32 took the path above
        int es = grad.dtype().byteSize();
        long plane = gradIn.size(2) * gradIn.size(3);
        long l = grad.size(2) * grad.size(3);
        long gBase = grad.dataAddress();
        long idxBase = indices.dataAddress();
        long inBase = gradIn.dataAddress();
        forPlanes(gradIn, l + plane, p -> {
            long dst = inBase + p * plane * es;
            Unsafe.setMemory(dst, plane * es, (byte) 0);
            for (long o = p * l; o < (p + 1) * l; o++) {
                long at = dst + Unsafe.getLong(idxBase + o * 8) * es;
                store(f32, at, load(f32, at) + load(f32, gBase + o * es));
            }
        });
    }

    /** float32 scatter-add of each gradient at its argmax, accumulated in a per-thread plane buffer. */
    private static void maxPool2dBackwardF32(KernelArg grad, KernelArg indices, KernelArg gradIn) {
        int plane = (int) (gradIn.size(2) * gradIn.size(3));
        int l = (int) (grad.size(2) * grad.size(3));
        long gBase = grad.dataAddress();
        long idxBase = indices.dataAddress();
        long inBase = gradIn.dataAddress();
        Parallel.forRange(gradIn.size(0) * gradIn.size(1), l + plane, (lo, hi) -> {
            float[][] buf = planeBuffers(plane, l);
            float[] acc = buf[0];
            float[] g = buf[1];
            for (long p = lo; p < hi; p++) {
                java.util.Arrays.fill(acc, 0, plane, 0f);
                Unsafe.copyToArray(gBase + p * l * 4, g, 0, l);
                long idx = idxBase + p * l * 8;
                for (int o = 0; o < l; o++) {
                    acc[(int) Unsafe.getLong(idx + 8L * o)] += g[o];
                }
                Unsafe.copyFromArray(acc, 0, inBase + p * plane * 4, plane);
            }
        });
    }

    // ---------------------------------------------------------------- average

    /** {@code [hs, he, ws, we, divisor]} of one output's window, clipped to the input. */
    private static int[] avgWindow(Window2d w, int oy, int ox, int h, int wd, boolean countIncludePad) {
        int hs = oy * w.sh() - w.ph();
        int ws = ox * w.sw() - w.pw();
        int he = Math.min(hs + w.kh(), h + w.ph());
        int we = Math.min(ws + w.kw(), wd + w.pw());
        int padded = (he - hs) * (we - ws);
        hs = Math.max(hs, 0);
        ws = Math.max(ws, 0);
        he = Math.min(he, h);
        we = Math.min(we, wd);
        int divisor = countIncludePad ? padded : (he - hs) * (we - ws);
        return new int[] {hs, he, ws, we, divisor};
    }

    void avgPool2d(KernelArg in, Window2d w, boolean countIncludePad, KernelArg out) {
        boolean f32 = in.dtype() == DType.FLOAT32;
        int es = in.dtype().byteSize();
        int h = (int) in.size(2);
        int wd = (int) in.size(3);
        long inBase = in.dataAddress();
        long outBase = out.dataAddress();
        long l = w.outPlane();
        forPlanes(in, l * w.taps(), p -> {
            long src = inBase + p * h * wd * es;
            for (int oy = 0; oy < w.oh(); oy++) {
                for (int ox = 0; ox < w.ow(); ox++) {
                    int[] win = avgWindow(w, oy, ox, h, wd, countIncludePad);
                    double sum = 0;
                    for (int iy = win[0]; iy < win[1]; iy++) {
                        for (int ix = win[2]; ix < win[3]; ix++) {
                            sum += load(f32, src + ((long) iy * wd + ix) * es);
                        }
                    }
                    boolean empty = win[0] >= win[1] || win[2] >= win[3];
                    store(f32, outBase + (p * l + (long) oy * w.ow() + ox) * es, empty ? 0 : sum / win[4]);
                }
            }
        });
    }

    void avgPool2dBackward(KernelArg grad, Window2d w, boolean countIncludePad, KernelArg gradIn) {
        boolean f32 = grad.dtype() == DType.FLOAT32;
        int es = grad.dtype().byteSize();
        int h = (int) gradIn.size(2);
        int wd = (int) gradIn.size(3);
        long gBase = grad.dataAddress();
        long inBase = gradIn.dataAddress();
        long l = w.outPlane();
        forPlanes(gradIn, l * w.taps(), p -> {
            long dst = inBase + p * h * wd * es;
            Unsafe.setMemory(dst, (long) h * wd * es, (byte) 0);
            for (int oy = 0; oy < w.oh(); oy++) {
                for (int ox = 0; ox < w.ow(); ox++) {
                    int[] win = avgWindow(w, oy, ox, h, wd, countIncludePad);
                    if (win[0] >= win[1] || win[2] >= win[3]) {
                        continue;
                    }
                    double g = load(f32, gBase + (p * l + (long) oy * w.ow() + ox) * es) / win[4];
                    for (int iy = win[0]; iy < win[1]; iy++) {
                        for (int ix = win[2]; ix < win[3]; ix++) {
                            long at = dst + ((long) iy * wd + ix) * es;
                            store(f32, at, load(f32, at) + g);
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- adaptive average

    private static int start(int o, int in, int out) {
        return (int) ((long) o * in / out);
    }

    private static int end(int o, int in, int out) {
        return (int) (((long) (o + 1) * in + out - 1) / out);
    }

    void adaptiveAvgPool2d(KernelArg in, KernelArg out) {
        adaptive(in, out, false);
    }

    void adaptiveAvgPool2dBackward(KernelArg grad, KernelArg gradIn) {
        adaptive(gradIn, grad, true);
    }

    /** Forward ({@code backward = false}: image to pooled) or its adjoint (pooled gradient spread over windows). */
    private static void adaptive(KernelArg image, KernelArg pooled, boolean backward) {
        boolean f32 = image.dtype() == DType.FLOAT32;
        int es = image.dtype().byteSize();
        int h = (int) image.size(2);
        int wd = (int) image.size(3);
        int oh = (int) pooled.size(2);
        int ow = (int) pooled.size(3);
        long imgBase = image.dataAddress();
        long poolBase = pooled.dataAddress();
        forPlanes(image, (long) h * wd + (long) oh * ow, p -> {
            long img = imgBase + p * h * wd * es;
            long pool = poolBase + p * oh * ow * es;
            if (backward) {
                Unsafe.setMemory(img, (long) h * wd * es, (byte) 0);
            }
            for (int oy = 0; oy < oh; oy++) {
                int hs = start(oy, h, oh);
                int he = end(oy, h, oh);
                for (int ox = 0; ox < ow; ox++) {
                    int ws = start(ox, wd, ow);
                    int we = end(ox, wd, ow);
                    int count = (he - hs) * (we - ws);
                    long at = pool + ((long) oy * ow + ox) * es;
                    double g = backward ? load(f32, at) / count : 0;
                    double sum = 0;
                    for (int iy = hs; iy < he; iy++) {
                        for (int ix = ws; ix < we; ix++) {
                            long a = img + ((long) iy * wd + ix) * es;
                            if (backward) {
                                store(f32, a, load(f32, a) + g);
                            } else {
                                sum += load(f32, a);
                            }
                        }
                    }
                    if (!backward) {
                        store(f32, at, sum / count);
                    }
                }
            }
        });
    }
}
