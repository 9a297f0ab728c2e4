package dev.kiln.nn.utils;

import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.optim.OptimReferences;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** clip_grad_norm_ / clip_grad_value_ against gen_optim_references.py (max_norm 1.5 over two gradients). */
class ClipGradTest extends KilnTest {

    private static Tensor paramWithGrad(String key) {
        Tensor g = OptimReferences.tensor(key);
        Tensor p = TensorScope.detach(Tensor.zerosLike(g)).requiresGrad_(true);
        p.setGrad(TensorScope.detach(g.clone()));
        return p;
    }

    private static void closeAll(Tensor... ps) {
        for (Tensor p : ps) {
            p.grad().close();
            p.setGrad(null);
            p.close();
        }
    }

    @Test
    void normGoldens() {
        for (String name : List.of("2", "1", "3", "inf")) {
            double p = name.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(name);
            Tensor a = paramWithGrad("clip.g1");
            Tensor b = paramWithGrad("clip.g2");
            Tensor noGrad = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
            Tensor total = ClipGrad.clipGradNorm_(List.of(a, noGrad, b), 1.5, p, true);
            assertEquals(OptimReferences.scalar("clip.norm" + name + ".total"), total.item(), 1e-12, name);
            assertClose(a.grad(), 1e-12, OptimReferences.values("clip.norm" + name + ".g1"));
            assertClose(b.grad(), 1e-12, OptimReferences.values("clip.norm" + name + ".g2"));
            noGrad.close();
            closeAll(a, b);
        }
    }

    @Test
    void smallNormLeavesGradientsBitwise() {
        Tensor a = paramWithGrad("clip.g1");
        double[] before = a.grad().toDoubleArray();
        Tensor total = ClipGrad.clipGradNorm_(List.of(a), 100);
        assertTrue(total.item() < 100);
        assertClose(a.grad(), 0, before);
        closeAll(a);
    }

    @Test
    void float32GradReturnsFloat32Norm() {
        Tensor p = TensorScope.detach(Tensor.zeros(2)).requiresGrad_(true);
        p.setGrad(TensorScope.detach(Tensor.of(3f, 4f)));
        Tensor total = ClipGrad.clipGradNorm_(List.of(p), 1.0);
        assertEquals(DType.FLOAT32, total.dtype());
        assertEquals(5.0, total.item(), 1e-6);
        assertClose(p.grad(), 1e-6, 0.6, 0.8);
        closeAll(p);
    }

    @Test
    void noGradientsGivesZero() {
        Tensor p = Tensor.ones(2).requiresGrad_(true);
        assertEquals(0.0, ClipGrad.clipGradNorm_(List.of(p), 1.0).item());
    }

    @Test
    void nonFiniteNorm() {
        Tensor p = TensorScope.detach(Tensor.zeros(2)).requiresGrad_(true);
        p.setGrad(TensorScope.detach(Tensor.of(Double.NaN, 1.0)));
        var e = assertThrows(IllegalStateException.class, () -> ClipGrad.clipGradNorm_(List.of(p), 1.0, 2.0, true));
        assertTrue(e.getMessage().startsWith("The total norm of order 2.0 for gradients from `parameters` is "
                + "non-finite, so it cannot be clipped."), e.getMessage());
        assertTrue(Double.isNaN(ClipGrad.clipGradNorm_(List.of(p), 1.0, 2.0, false).item()));
        assertThrows(IllegalArgumentException.class, () -> ClipGrad.clipGradNorm_(List.of(p), 1.0, Double.NaN, false));
        closeAll(p);
    }

    @Test
    void clipValue() {
        Tensor a = paramWithGrad("clip.g1");
        ClipGrad.clipGradValue_(List.of(a), 0.6);
        assertClose(a.grad(), 0, 0.5, -0.6, 0.6, 0.6, 0.25, -0.6);
        assertThrows(IllegalArgumentException.class, () -> ClipGrad.clipGradValue_(List.of(a), Double.NaN));
        closeAll(a);
    }
}
