package dev.kiln.autograd;

import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** The autograd snippets of shared/seeds, with the mathematically right numbers. */
class SeedTutorialTest extends KilnTest {

    @Test
    void chainRuleOfSquaredAffine() {
        // z = (w*x + b)^2 at x=3, w=2, b=1: y = 7, dz/dw = 2*y*x = 42, dz/db = 2*y = 14, dz/dx = 2*y*w = 28.
        Tensor x = Tensor.scalar(3).requiresGrad_(true);
        Tensor w = Tensor.scalar(2).requiresGrad_(true);
        Tensor b = Tensor.scalar(1).requiresGrad_(true);
        Tensor z = w.mul(x).add(b).pow(2);
        z.backward();
        assertEquals(42, w.grad().item(), 1e-6);
        assertEquals(14, b.grad().item(), 1e-6);
        assertEquals(28, x.grad().item(), 1e-6);
        assertTrue(w.isLeaf());
        assertFalse(z.isLeaf());
        assertEquals("PowBackward0", z.gradFn().name());
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        x.mul(2).sum().backward();
        x.mul(2).sum().backward();
        assertValues(x.grad(), 4, 4, 4);
    }

    @Test
    void noGradProducesTensorsThatDoNotRequireGrad() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        try (var g = Autograd.noGrad()) {
            Tensor y = x.mul(2);
            assertFalse(y.requiresGrad());
        }
        assertTrue(x.mul(2).requiresGrad());
    }
}
