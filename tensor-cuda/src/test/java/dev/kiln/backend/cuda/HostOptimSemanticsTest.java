package dev.kiln.backend.cuda;

import static dev.kiln.backend.cuda.HostHarness.bits;
import static dev.kiln.backend.cuda.HostHarness.bitsAt;
import static dev.kiln.backend.cuda.HostHarness.hex;
import static dev.kiln.backend.cuda.HostHarness.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.PointwiseKernels.AdamHyper;
import dev.kiln.backend.PointwiseKernels.SgdHyper;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused optimizer steps' per-element arithmetic (optim_ops.cuh, compiled for the host without fma
 * contraction) is bit-identical to CpuOptimKernels for float32 and float64, over Adam/AdamW/amsgrad/maximize and
 * SGD momentum/nesterov/dampening/weight-decay configurations. Skipped where nvcc is missing.
 */
class HostOptimSemanticsTest extends KilnTest {
    private static final PointwiseKernels CPU = Backend.of(Device.CPU).pointwise();
    private static final int N = 64;

    private static double[] values(SplittableRandom rnd, double scale, boolean positive) {
        double[] v = new double[N];
        for (int i = 0; i < N; i++) {
            double x = (rnd.nextDouble() * 2 - 1) * scale;
            v[i] = positive ? Math.abs(x) : x;
        }
        v[0] = positive ? 0.0 : -0.0;
        v[1] = 0.0;
        return v;
    }

    private static Tensor tensor(DType t, double[] v) {
        if (t == DType.FLOAT64) {
            return Tensor.of(v.clone());
        }
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return Tensor.of(f);
    }

    private static String h(DType t, double v) {
        return hex(bits(t, v, 0));
    }

    private static AdamHyper adam(double lr, double wd, boolean decoupled, boolean maximize, int step) {
        double b1 = 0.9;
        double b2 = 0.999;
        return new AdamHyper(lr, b1, b2, 1e-8, wd, decoupled, maximize, 1 - Math.pow(b1, step),
                Math.sqrt(1 - Math.pow(b2, step)));
    }

    @Test
    void adamStepsAreBitIdenticalToTheCpu() throws Exception {
        AdamHyper[] configs = {adam(1e-3, 0, false, false, 1), adam(1e-3, 0.01, true, false, 10),
            adam(3e-4, 0.1, false, true, 3), adam(0.1, 1e-2, true, true, 1000)};
        SplittableRandom rnd = new SplittableRandom(11);
        int checked = 0;
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (AdamHyper hp : configs) {
                for (boolean amsgrad : new boolean[] {false, true}) {
                    double[] p = values(rnd, 2, false);
                    double[] g = values(rnd, 0.5, false);
                    double[] m = values(rnd, 0.1, false);
                    double[] v = values(rnd, 0.01, true);
                    double[] x = values(rnd, 0.02, true);
                    x[2] = Double.NaN; // amsgrad's max propagates NaN
                    List<String> requests = new ArrayList<>();
                    for (int i = 0; i < N; i++) {
                        requests.add("A " + HostHarness.kind(t) + " " + h(t, p[i]) + " " + h(t, g[i]) + " "
                                + h(t, m[i]) + " " + h(t, v[i]) + " " + (amsgrad ? h(t, x[i]) : "-") + " "
                                + hex(hp.lr()) + " " + hex(hp.beta1()) + " " + hex(hp.beta2()) + " " + hex(hp.eps())
                                + " " + hex(hp.weightDecay()) + " " + (hp.decoupled() ? 1 : 0) + " "
                                + (hp.maximize() ? 1 : 0) + " " + hex(hp.biasCorrection1()) + " "
                                + hex(hp.biasCorrection2Sqrt()));
                    }
                    List<String> gpu = HostHarness.ask(requests);
                    try (Tensor tp = tensor(t, p); Tensor tg = tensor(t, g); Tensor tm = tensor(t, m);
                         Tensor tv = tensor(t, v); Tensor tx = tensor(t, x)) {
                        assertTrue(CPU.adamStep(tp.arg(), tg.arg(), tm.arg(), tv.arg(), amsgrad ? tx.arg() : null,
                                hp), "CPU has a fused Adam");
                        Tensor[] cpu = {tp, tm, tv, tx};
                        for (int i = 0; i < N; i++) {
                            String[] w = gpu.get(i).split(" ");
                            for (int k = 0; k < (amsgrad ? 4 : 3); k++) {
                                assertEquals(bitsAt(cpu[k], i), parse(t, w[k]), "Adam " + t + " " + hp + " amsgrad "
                                        + amsgrad + ", element " + i + ", " + "pmvx".charAt(k));
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 1500, "checked " + checked);
    }

    @Test
    void sgdStepsAreBitIdenticalToTheCpu() throws Exception {
        SgdHyper[] configs = {new SgdHyper(0.1, 0, 0, 0, false, false, false),
            new SgdHyper(0.05, 0.9, 0, 0, false, false, true), new SgdHyper(0.01, 0.9, 0.1, 1e-4, false, false, false),
            new SgdHyper(0.3, 0.8, 0, 5e-4, true, false, false),
            new SgdHyper(0.02, 0.5, 0.5, 1e-2, false, true, false)};
        SplittableRandom rnd = new SplittableRandom(12);
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (SgdHyper hp : configs) {
                boolean momentum = hp.momentum() != 0;
                double[] p = values(rnd, 2, false);
                double[] g = values(rnd, 0.5, false);
                double[] b = values(rnd, 0.3, false);
                List<String> requests = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    requests.add("S " + HostHarness.kind(t) + " " + h(t, p[i]) + " " + h(t, g[i]) + " "
                            + (momentum ? h(t, b[i]) : "-") + " " + hex(hp.lr()) + " " + hex(hp.momentum()) + " "
                            + hex(hp.dampening()) + " " + hex(hp.weightDecay()) + " " + (hp.nesterov() ? 1 : 0) + " "
                            + (hp.maximize() ? 1 : 0) + " " + (hp.initBuffer() ? 1 : 0));
                }
                List<String> gpu = HostHarness.ask(requests);
                try (Tensor tp = tensor(t, p); Tensor tg = tensor(t, g); Tensor tb = tensor(t, b)) {
                    assertTrue(CPU.sgdStep(tp.arg(), tg.arg(), momentum ? tb.arg() : null, hp), "CPU has a fused SGD");
                    for (int i = 0; i < N; i++) {
                        String[] w = gpu.get(i).split(" ");
                        assertEquals(bitsAt(tp, i), parse(t, w[0]), "SGD " + t + " " + hp + ", p[" + i + "]");
                        if (momentum) {
                            assertEquals(bitsAt(tb, i), parse(t, w[1]), "SGD " + t + " " + hp + ", buf[" + i + "]");
                        }
                    }
                }
            }
        }
    }
}
