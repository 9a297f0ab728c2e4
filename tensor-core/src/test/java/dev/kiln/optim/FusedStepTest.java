package dev.kiln.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.PointwiseKernels.AdamHyper;
import dev.kiln.backend.PointwiseKernels.SgdHyper;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The fused optimizer kernels ({@link PointwiseKernels#adamStep}, {@link PointwiseKernels#sgdStep}) against the
 * composed tensor-op updates they replace, for every option combination, in float32 and float64: the results
 * must be bit-identical (same per-element operations, same rounding). The float64 goldens of
 * {@link OptimizerTest} then hold for both paths.
 */
class FusedStepTest extends KilnTest {
    private static final PointwiseKernels CPU = Backend.of(Device.CPU).pointwise();
    private static final int N = 3001; // not a multiple of any tile or split size

    private static Tensor rand(DType t, long seed, double scale) {
        return Tensor.randn(new long[] {N}, t, new Generator(seed)).mul(scale);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void adamMatchesComposedForEveryOption(DType t) {
        for (int mask = 0; mask < 16; mask++) {
            boolean decoupled = (mask & 1) != 0;
            boolean maximize = (mask & 2) != 0;
            boolean amsgrad = (mask & 4) != 0;
            double wd = (mask & 8) != 0 ? 0.01 : 0;
            for (int step = 1; step <= 3; step++) {
                AdamHyper h = new AdamHyper(1e-3, 0.9, 0.999, 1e-8, wd, decoupled, maximize,
                        1 - Math.pow(0.9, step), Math.sqrt(1 - Math.pow(0.999, step)));
                Tensor[] fused = adamState(t, step);
                Tensor[] ref = adamState(t, step);
                assertTrue(CPU.adamStep(a(fused[0]), a(fused[1]), a(fused[2]), a(fused[3]), a(amsgrad ? fused[4] : null), h));
                composed(() -> Adam.composedUpdate(ref[0], ref[1], ref[2], ref[3], amsgrad ? ref[4] : null, h));
                for (int i = 0; i < 5; i++) {
                    assertArrayEquals(ref[i].toDoubleArray(), fused[i].toDoubleArray(), "tensor " + i + " mask " + mask);
                }
            }
        }
    }

    /** p, grad, m, v (>= 0), vMax (>= 0), drawn from seeds that depend only on {@code step}. */
    private static Tensor[] adamState(DType t, int step) {
        return new Tensor[] {rand(t, step, 1), rand(t, 10 + step, 0.1), rand(t, 20 + step, 0.01),
            rand(t, 30 + step, 0.001).square(), rand(t, 40 + step, 0.001).square()};
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void sgdMatchesComposedForEveryOption(DType t) {
        for (int mask = 0; mask < 32; mask++) {
            double momentum = (mask & 1) != 0 ? 0.9 : 0;
            boolean nesterov = (mask & 2) != 0 && momentum != 0;
            boolean maximize = (mask & 4) != 0;
            double wd = (mask & 8) != 0 ? 0.01 : 0;
            boolean init = (mask & 16) != 0 && momentum != 0;
            SgdHyper h = new SgdHyper(0.1, momentum, 0.1, wd, nesterov, maximize, init);
            Tensor p = rand(t, 1, 1);
            Tensor g = rand(t, 2, 0.1);
            Tensor buf = momentum != 0 ? rand(t, 3, 0.1) : null; // a result nobody reads would be a leak
            Tensor pRef = p.clone();
            ParamState s = new ParamState();
            if (momentum != 0 && !init) {
                s.putTensor("momentum_buffer", buf.clone());
            }
            assertTrue(CPU.sgdStep(a(p), a(g), a(momentum != 0 ? buf : null), h));
            composed(() -> SGD.composedUpdate(pRef, g, s, h));
            assertArrayEquals(pRef.toDoubleArray(), p.toDoubleArray(), "p, mask " + mask);
            if (momentum != 0) {
                assertArrayEquals(s.tensor("momentum_buffer").toDoubleArray(), buf.toDoubleArray(), "buf " + mask);
                s.tensor("momentum_buffer").close();
            }
        }
    }

    @Test
    void nonContiguousOrMixedDtypeFallsBackWithoutTouchingAnything() {
        Tensor p = Tensor.randn(4, 6);
        Tensor before = p.clone();
        AdamHyper h = new AdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, false, false, 0.1, 0.03);
        // Passed straight to kernels (which the leak check does not count as a use), so closed here.
        try (Tensor gT = Tensor.randn(6, 4).t(); Tensor g64 = Tensor.randn(4, 6).to(DType.FLOAT64)) {
            assertFalse(CPU.adamStep(a(p), a(gT), a(Tensor.zeros(4, 6)), a(Tensor.zeros(4, 6)), null, h));
            assertFalse(CPU.adamStep(a(p), a(g64), a(Tensor.zeros(4, 6)), a(Tensor.zeros(4, 6)), null, h));
            SgdHyper sh = new SgdHyper(0.1, 0, 0, 0, false, false, false);
            assertFalse(CPU.sgdStep(a(p), a(gT), null, sh));
        }
        assertArrayEquals(before.toDoubleArray(), p.toDoubleArray());
    }

    @Test
    void optimizerOnTransposedGradientStillSteps() {
        // A parameter whose gradient is not contiguous takes the composed path and gives the same result.
        Tensor p = Tensor.randn(3, 5);
        Tensor ref = p.clone();
        Tensor g = Tensor.randn(5, 3).t();
        AdamHyper h = new AdamHyper(1e-2, 0.9, 0.999, 1e-8, 0, false, false, 0.1, Math.sqrt(0.001));
        Tensor m = Tensor.zeros(3, 5);
        Tensor v = Tensor.zeros(3, 5);
        assertFalse(CPU.adamStep(a(p), a(g), a(m), a(v), null, h));
        composed(() -> Adam.composedUpdate(ref, g.contiguous(), Tensor.zeros(3, 5), Tensor.zeros(3, 5), null, h));
        composed(() -> Adam.composedUpdate(p, g, m, v, null, h));
        assertArrayEquals(ref.toDoubleArray(), p.toDoubleArray());
    }

    /** Runs a composed reference update the way {@code Optimizer.step} does: its temporaries freed with it. */
    private static void composed(Runnable update) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            update.run();
        }
    }

    /** A kernel argument, or null for an absent optional operand. */
    private static KernelArg a(Tensor t) {
        return t == null ? null : t.arg();
    }
}
