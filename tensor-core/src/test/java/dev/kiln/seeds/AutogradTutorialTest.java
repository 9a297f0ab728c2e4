package dev.kiln.seeds;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Function;
import dev.kiln.autograd.FunctionCtx;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The autograd parts of tutorials 000, 001, 002 and 003, with the mathematically right numbers. */
class AutogradTutorialTest extends KilnTest {

    /** Tutorial 000 §3.1: MyFunction (a ReLU) with a hand-written backward. */
    static final class MyReLU extends Function {
        @Override
        protected Tensor forward(FunctionCtx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            return in[0].clampMin(0);
        }

        @Override
        protected Tensor[] backward(FunctionCtx ctx, Tensor gradOutput) {
            Tensor input = ctx.savedTensors()[0];
            return new Tensor[] {gradOutput.clone().maskedFill(input.lt(0), 0)};
        }
    }

    @Test
    void quadraticGradient() {
        // y = x^2 + 3x + 5 at x = 2: dy/dx = 2x + 3 = 7
        Tensor x = Tensor.of(2f).requiresGrad_(true);
        Tensor y = x.pow(2).add(x.mul(3)).add(5);
        y.backward();
        assertEquals("tensor([7.])", x.grad().toString());
    }

    @Test
    void squaredAffineChainRule() {
        Tensor x = Tensor.scalar(3).requiresGrad_(true);
        Tensor w = Tensor.scalar(2).requiresGrad_(true);
        Tensor b = Tensor.scalar(1).requiresGrad_(true);
        Tensor y = w.mul(x).add(b);
        Tensor z = y.pow(2);
        z.backward();
        assertEquals("tensor(42.)", w.grad().toString());
        assertEquals("tensor(14.)", b.grad().toString());
        assertEquals("tensor(28.)", x.grad().toString());
        assertNull(y.grad()); // non-leaf grads are not kept
    }

    @Test
    void gradOfSumOfSquaresIsTwoX() {
        Tensor x = Tensor.of(new float[][] {{1, 0}, {-1, 1}}).requiresGrad_(true);
        x.pow(2).sum().backward();
        assertEquals("tensor([[ 2.,  0.],\n        [-2.,  2.]])", x.grad().toString());
    }

    @Test
    void noGradDisablesTracking() {
        Tensor x = Tensor.randn(3).requiresGrad_(true);
        assertTrue(x.requiresGrad());
        assertTrue(x.pow(2).requiresGrad());
        try (var g = Autograd.noGrad()) {
            assertFalse(x.pow(2).requiresGrad());
            assertFalse(x.add(2).requiresGrad());
            assertFalse(Autograd.isGradEnabled());
        }
        assertTrue(x.pow(2).requiresGrad());
        assertTrue(Autograd.isGradEnabled());
    }

    @Test
    void printingShowsGradFn() {
        Tensor a = Tensor.of(7f, 0f, 0f).requiresGrad_(true);
        assertEquals("tensor([7., 0., 0.], requires_grad=True)", a.toString());
        Tensor b = a.add(2);
        assertEquals("tensor([9., 2., 2.], grad_fn=<AddBackward0>)", b.toString());
    }

    @Test
    void meanOfSquaresGradient() {
        Tensor a = Tensor.of(7f, 0f, 0f).requiresGrad_(true);
        Tensor b = a.add(2);
        b.mul(b).mean().backward();
        assertClose(a.grad(), 1e-6, 6, 4.0 / 3, 4.0 / 3); // 2 b / 3
    }

    @Test
    void detachSharesStorageAndInPlaceEditIsCaughtAtBackward() {
        Tensor a = Tensor.of(7f, 0f, 0f).requiresGrad_(true);
        Tensor b = a.add(2);
        Tensor loss = b.mul(b).mean();
        Tensor bDetached = b.detach();
        assertFalse(bDetached.requiresGrad());
        bDetached.zero_();
        assertEquals("tensor([0., 0., 0.], grad_fn=<AddBackward0>)", b.toString());
        var e = assertThrows(RuntimeException.class, loss::backward);
        assertTrue(e.getMessage().contains("one of the variables needed for gradient computation has been modified by "
                + "an inplace operation"), e.getMessage());
    }

    @Test
    void inPlaceOnLeafRequiringGradIsAnError() {
        Tensor w = Tensor.of(1f, 2f).requiresGrad_(true);
        var e = assertThrows(RuntimeException.class, () -> w.add_(1));
        assertTrue(e.getMessage().contains("a leaf Variable that requires grad is being used in an in-place operation"),
                e.getMessage());
        try (var g = Autograd.noGrad()) {
            w.sub_(0.5); // allowed under no_grad, like an optimizer step
        }
        assertValues(w, 0.5, 1.5);
    }

    @Test
    void inPlaceThroughAViewOfALeafRequiringGradIsAnError() {
        Tensor a = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        var e = assertThrows(RuntimeException.class, () -> a.select(0, 0).fill_(10));
        assertTrue(e.getMessage().contains("a view of a leaf Variable that requires grad is being used in an in-place "
                + "operation"), e.getMessage());
        assertValues(a, 1, 2, 3); // nothing was written
        try (var g = Autograd.noGrad()) {
            a.select(0, 0).fill_(10);
        }
        assertValues(a, 10, 2, 3);
    }

    @Test
    void inPlaceThroughAViewOfANonLeafRebasesTheBaseLikeCopySlices() {
        Tensor a = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        Tensor x = a.mul(1.0);
        x.select(0, 0).mul_(2);
        assertEquals("CopySlices", x.gradFn().name());
        x.sum().backward();
        assertValues(a.grad(), 2, 1, 1); // PyTorch's answer
        Tensor d = x.detach(); // detach is not a view for autograd: allowed, caught later by the version counter
        d.zero_();
        assertValues(x, 0, 0, 0);
    }

    @Test
    void requiresGradCannotBeClearedOnNonLeaf() {
        Tensor y = Tensor.of(1f).requiresGrad_(true).mul(2);
        assertThrows(IllegalStateException.class, () -> y.requiresGrad_(false));
        assertThrows(IllegalStateException.class, () -> Tensor.of(1L).requiresGrad_(true));
    }

    @Test
    void customFunctionGradient() {
        Tensor x = Tensor.of(-1f, 2f, -3f).requiresGrad_(true);
        Tensor y = new MyReLU().apply(x);
        assertEquals("tensor([0., 2., 0.], grad_fn=<MyReLUBackward>)", y.toString());
        y.sum().backward();
        assertEquals("tensor([0., 1., 0.])", x.grad().toString());
    }

    @Test
    void gradientsAccumulateUntilZeroed() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        x.mul(3).sum().backward();
        x.mul(3).sum().backward();
        assertValues(x.grad(), 6, 6);
        x.grad().zero_();
        assertValues(x.grad(), 0, 0);
    }

    @Test
    void retainGradKeepsNonLeafGradient() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        Tensor y = x.mul(2).retainGrad();
        Tensor z = y.mul(y).sum();
        z.backward();
        assertValues(y.grad(), 4, 8, 12); // dz/dy = 2y
        assertValues(x.grad(), 8, 16, 24);
        assertTrue(y.retainsGrad());
    }

    @Test
    void secondBackwardNeedsRetainGraph() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor z = x.mul(x).sum();
        z.backward(null, true);
        z.backward(); // graph retained once
        assertValues(x.grad(), 4, 8);
        var e = assertThrows(IllegalStateException.class, z::backward);
        assertTrue(e.getMessage().startsWith("Trying to backward through the graph a second time"), e.getMessage());
    }

    @Test
    void nonScalarBackwardNeedsGradient() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad_(true);
        Tensor y = x.mul(2);
        var e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("grad can be implicitly created only for scalar outputs"), e.getMessage());
        y.backward(Tensor.of(1f, 0.5f));
        assertValues(x.grad(), 2, 1);
    }

    @Test
    void backwardOnTensorWithoutGraphFails() {
        Tensor x = Tensor.of(1f, 2f);
        assertThrows(IllegalStateException.class, () -> x.sum().backward());
    }

    @Test
    void functionalGradLeavesDotGradUntouched() {
        Tensor x = Tensor.scalar(3).requiresGrad_(true);
        Tensor w = Tensor.scalar(2).requiresGrad_(true);
        Tensor b = Tensor.scalar(1).requiresGrad_(true);
        Tensor z = w.mul(x).add(b).pow(2);
        List<Tensor> g = Autograd.grad(z, List.of(w, b));
        assertEquals(42, g.get(0).item(), 1e-6);
        assertEquals(14, g.get(1).item(), 1e-6);
        assertNull(w.grad());
        assertNull(x.grad());
    }

    @Test
    void detachedTensorToJavaArray() {
        Tensor y = Tensor.rand(3, 3).requiresGrad_(true);
        double[] values = y.detach().toDoubleArray();
        assertEquals(9, values.length);
        assertEquals(y.get(1, 2), values[5]);
    }
}
