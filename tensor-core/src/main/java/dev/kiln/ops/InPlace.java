package dev.kiln.ops;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * In-place ops ({@code add_}, {@code fill_}, {@code copy_}, ...): the result is computed, written into the
 * target's memory (visible through every view), and the storage version is bumped so autograd can detect
 * saved tensors that changed. History is rebased onto the result's node, as PyTorch does.
 */
public final class InPlace {
    private InPlace() {
    }

    static void checkAllowed(Tensor self, String op) {
        if (!Autograd.isGradEnabled()) {
            return;
        }
        if (self.isLeaf() && self.requiresGrad()) {
            throw new IllegalStateException("a leaf Variable that requires grad is being used in an in-place operation ("
                    + op + " on tensor of shape " + Shapes.str(self.shape()) + "); wrap it in Autograd.noGrad()");
        }
        Tensor base = self.viewBase();
        if (base != null && base.requiresGrad()) {
            if (base.isLeaf()) {
                throw new IllegalStateException("a view of a leaf Variable that requires grad is being used in an "
                        + "in-place operation (" + op + " on a view of shape " + Shapes.str(self.shape())
                        + " of a leaf of shape " + Shapes.str(base.shape()) + "); wrap it in Autograd.noGrad()");
            }
            // NOTE: PyTorch rebases the base's history here (CopySlices); without it the base's gradient would
            // silently ignore the edit, so refuse rather than compute a wrong gradient.
            throw new UnsupportedOperationException("in-place " + op + " on a view (shape " + Shapes.str(self.shape())
                    + ") of a tensor that requires grad (shape " + Shapes.str(base.shape()) + ") is not supported yet; "
                    + "modify the base tensor out of place, or clone() the view first");
        }
    }

    /** Writes {@code result} into {@code self} and takes over its history. */
    public static Tensor apply(Tensor self, Tensor result, String op) {
        try {
            checkAllowed(self, op);
            if (!Arrays.equals(self.shape(), result.shape())) {
                throw new IllegalArgumentException("output with shape " + Shapes.str(self.shape()) + " doesn't match "
                        + "the broadcast shape " + Shapes.str(result.shape()) + " (in " + op + ")");
            }
        } catch (RuntimeException e) {
            result.close(); // refused: the out-of-place result never reaches self
            throw e;
        }
        Kernels.backend(self).pointwise().copy(result, self);
        self.storage().bumpVersion();
        if (result.gradFn() != null) {
            self.setGradFn(result.gradFn());
        } else {
            result.close();
        }
        return self;
    }

    public static Tensor fill(Tensor self, double value) {
        checkAllowed(self, "fill_");
        Kernels.backend(self).pointwise().fill(self, value);
        self.storage().bumpVersion();
        if (self.gradFn() != null) {
            self.detach_(); // filled with a constant: no longer depends on its history
        }
        return self;
    }

    public static Tensor copy(Tensor self, Tensor src) {
        checkAllowed(self, "copy_");
        long[] shape = Shapes.broadcast(self.shape(), src.shape());
        if (!Arrays.equals(shape, self.shape())) {
            throw new IllegalArgumentException("copy_: source of shape " + Shapes.str(src.shape())
                    + " cannot be broadcast to destination of shape " + Shapes.str(self.shape()));
        }
        Tensor expanded = Kernels.broadcastTo(src, shape);
        try {
            Kernels.backend(self).pointwise().copy(expanded, self);
        } finally {
            Kernels.release(expanded, src);
        }
        self.storage().bumpVersion();
        if (src.requiresGrad() && Autograd.isGradEnabled()) {
            Tensor viaGraph = Pointwise.add(Views.to(Views.expand(src, shape), self.dtype()), 0.0);
            self.setGradFn(viaGraph.gradFn());
        }
        return self;
    }
}
