package dev.kiln.backend.cpu;

import dev.kiln.backend.PointwiseKernels.AdamHyper;
import dev.kiln.backend.PointwiseKernels.SgdHyper;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.backend.KernelArg;

/**
 * Fused optimizer updates: one pass over a parameter and its state instead of ~10 elementwise ops, each of which
 * reads and writes the whole parameter and allocates a temporary. NOTE: every element goes through exactly the
 * operations of the composed update (same order, float32 math with float32-rounded constants for float32
 * tensors, as the scalar ops do), so results are bit-identical to it; only the memory traffic changes.
 */
final class CpuOptimKernels {
    private CpuOptimKernels() {
    }

    /** Whether all tensors are contiguous, of one floating dtype (float32/float64) and of {@code p}'s size. */
    static boolean fusable(KernelArg p, KernelArg... others) {
        DType t = p.dtype();
        if ((t != DType.FLOAT32 && t != DType.FLOAT64) || !p.isContiguous()) {
            return false;
        }
        for (KernelArg o : others) {
            if (o != null && (o.dtype() != t || !o.isContiguous() || o.numel() != p.numel())) {
                return false;
            }
        }
        return true;
    }

    static boolean adam(KernelArg p, KernelArg grad, KernelArg m, KernelArg v, KernelArg vMax, AdamHyper h) {
        if (!fusable(p, grad, m, v, vMax)) {
            return false;
        }
        long pp = p.dataAddress();
        long pg = grad.dataAddress();
        long pm = m.dataAddress();
        long pv = v.dataAddress();
        long px = vMax == null ? 0 : vMax.dataAddress();
        boolean f32 = p.dtype() == DType.FLOAT32;
        Parallel.forRange(p.numel(), 8, (from, to) -> {
            if (f32 && px == 0) {
                adamF32Tiled(h, from, to, pp, pg, pm, pv);
            } else if (f32) {
                adamF32(h, from, to, pp, pg, pm, pv, px);
            } else {
                adamF64(h, from, to, pp, pg, pm, pv, px);
            }
        });
        return true;
    }

    private static final int TILE = 1024;
    private static final ThreadLocal<float[][]> TILES = ThreadLocal.withInitial(() -> new float[4][TILE]);

    /**
     * {@link #adamF32} without amsgrad, tile by tile through {@code float[]}s so C2 vectorises the arithmetic
     * (see {@link F32Loops} for why off-heap loops do not vectorise); the per-element operations are the same.
     */
    private static void adamF32Tiled(AdamHyper h, long from, long to, long pp, long pg, long pm, long pv) {
        float decay = h.weightDecay() != 0 && h.decoupled() ? (float) (1 - h.lr() * h.weightDecay()) : 1f;
        float wd = h.weightDecay() != 0 && !h.decoupled() ? (float) h.weightDecay() : 0f;
        float sign = h.maximize() ? -1f : 1f; // -g == g * -1 exactly
        float b1 = (float) h.beta1();
        float c1 = (float) (1 - h.beta1());
        float b2 = (float) h.beta2();
        float c2 = (float) (1 - h.beta2());
        float bc2 = (float) h.biasCorrection2Sqrt();
        float eps = (float) h.eps();
        float step = (float) (h.lr() / h.biasCorrection1());
        float[][] t = TILES.get();
        float[] p = t[0];
        float[] g = t[1];
        float[] m = t[2];
        float[] v = t[3];
        for (long s = from; s < to; s += TILE) {
            int n = (int) Math.min(TILE, to - s);
            long o = 4 * s;
            Unsafe.copyToArray(pp + o, p, 0, n);
            Unsafe.copyToArray(pg + o, g, 0, n);
            Unsafe.copyToArray(pm + o, m, 0, n);
            Unsafe.copyToArray(pv + o, v, 0, n);
            if (sign != 1f || decay != 1f || wd != 0f) {
                for (int i = 0; i < n; i++) {
                    g[i] = g[i] * sign;
                    p[i] = decay != 1f ? p[i] * decay : p[i];
                    g[i] = wd != 0f ? g[i] + p[i] * wd : g[i];
                }
            }
            for (int i = 0; i < n; i++) {
                float gi = g[i];
                float mi = m[i] * b1 + gi * c1;
                float vi = v[i] * b2 + gi * gi * c2;
                m[i] = mi;
                v[i] = vi;
                p[i] = p[i] - mi / ((float) Math.sqrt(vi) / bc2 + eps) * step;
            }
            Unsafe.copyFromArray(p, 0, pp + o, n);
            Unsafe.copyFromArray(m, 0, pm + o, n);
            Unsafe.copyFromArray(v, 0, pv + o, n);
        }
    }

    private static void adamF32(AdamHyper h, long from, long to, long pp, long pg, long pm, long pv, long px) {
        float decay = (float) (1 - h.lr() * h.weightDecay());
        float wd = (float) h.weightDecay();
        float b1 = (float) h.beta1();
        float c1 = (float) (1 - h.beta1());
        float b2 = (float) h.beta2();
        float c2 = (float) (1 - h.beta2());
        float bc2 = (float) h.biasCorrection2Sqrt();
        float eps = (float) h.eps();
        float step = (float) (h.lr() / h.biasCorrection1());
        boolean l2 = h.weightDecay() != 0 && !h.decoupled();
        boolean decoupled = h.weightDecay() != 0 && h.decoupled();
        for (long i = from; i < to; i++) {
            long o = 4 * i;
            float p = Unsafe.getFloat(pp + o);
            float g = Unsafe.getFloat(pg + o);
            g = h.maximize() ? -g : g;
            if (decoupled) {
                p = p * decay;
            } else if (l2) {
                g = g + p * wd;
            }
            float m = Unsafe.getFloat(pm + o) * b1 + g * c1;
            float v = Unsafe.getFloat(pv + o) * b2 + g * g * c2;
            Unsafe.putFloat(pm + o, m);
            Unsafe.putFloat(pv + o, v);
            float second = v;
            if (px != 0) {
                float old = Unsafe.getFloat(px + o);
                second = Float.isNaN(old) || Float.isNaN(v) ? Float.NaN : Math.max(old, v);
                Unsafe.putFloat(px + o, second);
            }
            float denom = (float) Math.sqrt(second) / bc2 + eps;
            Unsafe.putFloat(pp + o, p - m / denom * step);
        }
    }

    private static void adamF64(AdamHyper h, long from, long to, long pp, long pg, long pm, long pv, long px) {
        double decay = 1 - h.lr() * h.weightDecay();
        double c1 = 1 - h.beta1();
        double c2 = 1 - h.beta2();
        double step = h.lr() / h.biasCorrection1();
        boolean l2 = h.weightDecay() != 0 && !h.decoupled();
        boolean decoupled = h.weightDecay() != 0 && h.decoupled();
        for (long i = from; i < to; i++) {
            long o = 8 * i;
            double p = Unsafe.getDouble(pp + o);
            double g = Unsafe.getDouble(pg + o);
            g = h.maximize() ? -g : g;
            if (decoupled) {
                p = p * decay;
            } else if (l2) {
                g = g + p * h.weightDecay();
            }
            double m = Unsafe.getDouble(pm + o) * h.beta1() + g * c1;
            double v = Unsafe.getDouble(pv + o) * h.beta2() + g * g * c2;
            Unsafe.putDouble(pm + o, m);
            Unsafe.putDouble(pv + o, v);
            double second = v;
            if (px != 0) {
                double old = Unsafe.getDouble(px + o);
                second = Double.isNaN(old) || Double.isNaN(v) ? Double.NaN : Math.max(old, v);
                Unsafe.putDouble(px + o, second);
            }
            double denom = Math.sqrt(second) / h.biasCorrection2Sqrt() + h.eps();
            Unsafe.putDouble(pp + o, p - m / denom * step);
        }
    }

    static boolean sgd(KernelArg p, KernelArg grad, KernelArg buf, SgdHyper h) {
        if (!fusable(p, grad, buf)) {
            return false;
        }
        long pp = p.dataAddress();
        long pg = grad.dataAddress();
        long pb = buf == null ? 0 : buf.dataAddress();
        boolean f32 = p.dtype() == DType.FLOAT32;
        Parallel.forRange(p.numel(), 4, (from, to) -> {
            for (long i = from; i < to; i++) {
                if (f32) {
                    sgdF32(h, pp + 4 * i, pg + 4 * i, pb == 0 ? 0 : pb + 4 * i);
                } else {
                    sgdF64(h, pp + 8 * i, pg + 8 * i, pb == 0 ? 0 : pb + 8 * i);
                }
            }
        });
        return true;
    }

    private static void sgdF32(SgdHyper h, long ap, long ag, long ab) {
        float p = Unsafe.getFloat(ap);
        float g = Unsafe.getFloat(ag);
        g = h.maximize() ? -g : g;
        if (h.weightDecay() != 0) {
            g = g + p * (float) h.weightDecay();
        }
        if (ab != 0) {
            float mom = (float) h.momentum();
            float b = h.initBuffer() ? g : Unsafe.getFloat(ab) * mom + g * (float) (1 - h.dampening());
            Unsafe.putFloat(ab, b);
            g = h.nesterov() ? g + b * mom : b;
        }
        Unsafe.putFloat(ap, p - g * (float) h.lr());
    }

    private static void sgdF64(SgdHyper h, long ap, long ag, long ab) {
        double p = Unsafe.getDouble(ap);
        double g = Unsafe.getDouble(ag);
        g = h.maximize() ? -g : g;
        if (h.weightDecay() != 0) {
            g = g + p * h.weightDecay();
        }
        if (ab != 0) {
            double b = h.initBuffer() ? g : Unsafe.getDouble(ab) * h.momentum() + g * (1 - h.dampening());
            Unsafe.putDouble(ab, b);
            g = h.nesterov() ? g + b * h.momentum() : b;
        }
        Unsafe.putDouble(ap, p - g * h.lr());
    }
}
