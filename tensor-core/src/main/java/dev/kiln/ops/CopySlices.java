package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Graph;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;

/**
 * PyTorch's {@code CopySlices}: after an in-place op wrote {@code result} through a view of {@code base}, the base's
 * history is rebased onto a node that treats the write as
 * <pre>
 * base_new = base_old with the view's elements replaced by result
 * d base_old = grad with the view's elements zeroed          (they were overwritten)
 * d result   = grad at the view's elements, shaped like the view
 * </pre>
 * so a later backward through {@code base} reaches both the old history and the op that made {@code result}.
 * Both formulas are differentiable ({@code scatter}, {@code gather} of the flat gradient), so double backward
 * works. The view's elements are located by their flat index in the base, computed once at forward time.
 */
final class CopySlices {
    private CopySlices() {
    }

    /** Rebases {@code base}'s history after {@code view} (a view of it) was overwritten with {@code result}. */
    static void rebase(Tensor base, Tensor view, Tensor result, String op) {
        if (!base.isContiguous()) {
            throw new UnsupportedOperationException("in-place " + op + " on a view (shape " + Shapes.str(view.shape())
                    + ") of a non-contiguous tensor that requires grad (shape " + Shapes.str(base.shape())
                    + ", strides " + Shapes.str(base.strides()) + ") is not supported; call contiguous() on it first");
        }
        Tensor index = indexOn(base, flatIndices(base, view));
        long[] baseShape = base.shape();
        long[] viewShape = view.shape();
        Graph.record(base, "CopySlices", inputs(base, result), saved(index), c -> {
            Tensor flat = Views.reshape(c.grad(), new long[] {-1});
            Tensor at = c.saved(0);
            Tensor gradBase = null;
            Tensor gradResult = null;
            if (c.needs(0)) {
                Tensor zeros = Tensor.zeros(flat.dtype(), flat.device(), at.numel());
                gradBase = Views.reshape(Indexing.scatter(flat, 0, at, zeros), baseShape);
            }
            if (c.needs(1)) {
                gradResult = Views.reshape(Indexing.gather(flat, 0, at), viewShape);
            }
            return new Tensor[] {gradBase, gradResult};
        });
    }

    /**
     * Replaces {@code view}'s node by {@code AsStridedBackward0} from its base: the gradient of the base is zeros
     * with the view's elements set to the incoming gradient (a {@code scatter}, differentiable).
     */
    static void regenerate(Tensor view) {
        Tensor base = view.viewBase();
        if (!base.requiresGrad()) {
            view.detach_(); // the base left the graph (filled or overwritten with constants): so does the view
            return;
        }
        if (!base.isContiguous()) {
            throw new UnsupportedOperationException("a view (shape " + Shapes.str(view.shape()) + ") of a "
                    + "non-contiguous tensor (shape " + Shapes.str(base.shape()) + ", strides "
                    + Shapes.str(base.strides()) + ") was modified in place through another view after it was "
                    + "made; its gradient cannot be regenerated. Make the view again after the in-place op");
        }
        Tensor index = indexOn(base, flatIndices(base, view));
        long[] baseShape = base.shape();
        long baseNumel = base.numel();
        try (var g = Autograd.enableGrad()) {
            view.setGradFn(null);
            Graph.record(view, "AsStridedBackward0", inputs(base), saved(index), c -> {
                Tensor zeros = Tensor.zeros(c.grad().dtype(), c.grad().device(), baseNumel);
                Tensor flat = Views.reshape(c.grad(), new long[] {-1});
                return new Tensor[] {Views.reshape(Indexing.scatter(zeros, 0, c.saved(0), flat), baseShape)};
            });
        }
    }

    /** Row-major over the view: each element's flat (row-major) index in the contiguous base. */
    private static long[] flatIndices(Tensor base, Tensor view) {
        long[] shape = view.shape();
        long[] strides = view.strides();
        long n = view.numel();
        long[] out = new long[Math.toIntExact(n)];
        long[] at = new long[shape.length];
        long start = view.storageOffset() - base.storageOffset();
        long pos = start;
        for (int i = 0; i < out.length; i++) {
            out[i] = pos;
            for (int d = shape.length - 1; d >= 0; d--) { // odometer step
                at[d]++;
                pos += strides[d];
                if (at[d] < shape[d]) {
                    break;
                }
                pos -= at[d] * strides[d];
                at[d] = 0;
            }
        }
        return out;
    }

    /** The flat storage positions as an int64 index on {@code like}'s device. */
    private static Tensor indexOn(Tensor like, long[] positions) {
        Tensor host = Tensor.of(positions);
        if (like.device() == dev.kiln.tensor.Device.CPU) {
            return host;
        }
        try (host) {
            return host.to(like.device());
        }
    }
}
