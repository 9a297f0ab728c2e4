package dev.kiln.ops;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * In-place ops ({@code add_}, {@code fill_}, {@code copy_}, ...): the result is computed, written into the
 * target's memory (visible through every view), and the storage version is bumped so autograd can detect
 * saved tensors that changed. History is rebased onto the result's node, as PyTorch does; when the target is a
 * view of a tensor that takes part in autograd, the base's history is rebased too ({@link CopySlices}).
 *
 * <p>NOTE: an op whose gradient reads the original {@code self} (e.g. {@code mul_(c)} with {@code c} requiring
 * grad: {@code d c = grad * self_old}) runs on a clone of {@code self}, which its node saves; PyTorch's generated
 * in-place kernels save {@code self.clone()} for the same reason. Ops whose gradient needs no {@code self}
 * ({@code add_}) or only their result ({@code exp_}, {@code relu_}) copy nothing.
 */
public final class InPlace {
    private InPlace() {
    }

    static void checkAllowed(Tensor self, String op) {
        checkNoInternalOverlap(self, op);
        if (!Autograd.isGradEnabled()) {
            return;
        }
        if (self.isLeaf() && self.requiresGrad()) {
            throw new IllegalStateException("a leaf Variable that requires grad is being used in an in-place operation ("
                    + op + " on tensor of shape " + Shapes.str(self.shape()) + "); wrap it in Autograd.noGrad()");
        }
        Tensor base = self.viewBase();
        if (base != null && base.requiresGrad() && base.isLeaf()) {
            throw new IllegalStateException("a view of a leaf Variable that requires grad is being used in an "
                    + "in-place operation (" + op + " on a view of shape " + Shapes.str(self.shape())
                    + " of a leaf of shape " + Shapes.str(base.shape()) + "); wrap it in Autograd.noGrad()");
        }
    }

    /** PyTorch refuses to write through a tensor where two elements share one memory location (an expand). */
    private static void checkNoInternalOverlap(Tensor self, String op) {
        long[] shape = self.shape();
        long[] strides = self.strides();
        for (int i = 0; i < shape.length; i++) {
            if (strides[i] == 0 && shape[i] > 1) {
                throw new IllegalStateException("unsupported operation: more than one element of the written-to tensor "
                        + "refers to a single memory location (" + op + " on shape " + Shapes.str(shape) + ", strides "
                        + Shapes.str(strides) + "). Please clone() the tensor before performing the operation.");
            }
        }
    }

    /**
     * Runs {@code outOfPlace} on {@code self} (on a clone of it when {@code backwardReadsSelf} and grad mode is
     * on, so the node keeps the original values), writes the result into {@code self} and takes over its history.
     */
    public static Tensor apply(Tensor self, UnaryOperator<Tensor> outOfPlace, boolean backwardReadsSelf, String op) {
        checkAllowed(self, op);
        // The clone, the out-of-place result and the op's temporaries are freed here; self takes over the result's
        // node, and what that node saved (the clone, for mul_) moves to the caller's scope.
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor input = backwardReadsSelf && Autograd.isGradEnabled() ? Views.cloneTensor(self) : self;
            Tensor result = outOfPlace.apply(input);
            return write(self, result, op);
        }
    }

    private static Tensor write(Tensor self, Tensor result, String op) {
        if (!Arrays.equals(self.shape(), result.shape())) {
            result.close(); // refused: the out-of-place result never reaches self
            throw new IllegalArgumentException("output with shape " + Shapes.str(self.shape()) + " doesn't match the "
                    + "broadcast shape " + Shapes.str(result.shape()) + " (in " + op + ")");
        }
        Dispatch.on(result, self).pointwise().copy(result.arg(), self.arg());
        self.storage().bumpVersion();
        rebaseViewBase(self, result, op);
        if (result.gradFn() != null) {
            self.setGradFn(result.gradFn());
        }
        if (result != self && !result.isSavedForBackward()) {
            result.close(); // its values live on in self; its node (now self's) does not need it
        }
        return self;
    }

    /** When {@code self} is a view of a tensor in the graph (or now entering it), that base gets CopySlices. */
    private static void rebaseViewBase(Tensor self, Tensor result, String op) {
        Tensor base = self.viewBase();
        if (base != null && Autograd.isGradEnabled() && (base.requiresGrad() || result.requiresGrad())) {
            CopySlices.rebase(base, self, result, op);
        }
    }

    public static Tensor fill(Tensor self, double value) {
        checkAllowed(self, "fill_");
        Dispatch.on(self).pointwise().fill(self.arg(), value);
        self.storage().bumpVersion();
        Tensor base = self.viewBase();
        if (base != null && base.requiresGrad() && Autograd.isGradEnabled()) {
            try (Tensor constant = Kernels.emptyLike(self, self.dtype(), self.shape())) {
                CopySlices.rebase(base, self, constant, "fill_"); // the overwritten elements get no gradient
            }
        }
        if (self.gradFn() != null) {
            self.detach_(); // filled with a constant: no longer depends on its history
        }
        return self;
    }

    public static Tensor copy(Tensor self, Tensor src) {
        checkAllowed(self, "copy_");
        if (!src.device().equals(self.device())) { // copy_ is the one op that crosses devices, as in PyTorch
            try (TensorScope temps = TensorScope.openTemporaries()) {
                return copy(self, Views.to(src, self.device()));
            }
        }
        long[] shape = Shapes.broadcast(self.shape(), src.shape());
        if (!Arrays.equals(shape, self.shape())) {
            throw new IllegalArgumentException("copy_: source of shape " + Shapes.str(src.shape())
                    + " cannot be broadcast to destination of shape " + Shapes.str(self.shape()));
        }
        Tensor expanded = Kernels.broadcastTo(src, shape);
        try {
            Dispatch.on(expanded, self).pointwise().copy(expanded.arg(), self.arg());
        } finally {
            Kernels.release(expanded, src);
        }
        self.storage().bumpVersion();
        try (TensorScope temps = TensorScope.openTemporaries()) { // the expanded/converted source, viaGraph
            rebaseCopy(self, src, shape);
        }
        return self;
    }

    /** copy_'s history: self (and its view base) now come from src through the graph, or from a constant. */
    private static void rebaseCopy(Tensor self, Tensor src, long[] shape) {
        boolean tracked = src.requiresGrad() && Autograd.isGradEnabled();
        Tensor viaGraph = tracked ? Pointwise.add(Views.to(Views.expand(src, shape), self.dtype()), 0.0) : null;
        Tensor base = self.viewBase();
        if (base != null && Autograd.isGradEnabled() && (base.requiresGrad() || tracked)) {
            if (tracked) {
                CopySlices.rebase(base, self, viaGraph, "copy_");
            } else {
                try (Tensor constant = Kernels.emptyLike(self, self.dtype(), self.shape())) {
                    CopySlices.rebase(base, self, constant, "copy_");
                }
            }
        }
        if (tracked) {
            self.setGradFn(viaGraph.gradFn());
        } else if (self.gradFn() != null) {
            self.detach_(); // overwritten by a constant: no longer depends on its history
        }
    }
}
