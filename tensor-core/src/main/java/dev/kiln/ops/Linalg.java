package dev.kiln.ops;

import dev.kiln.amp.Autocast;
import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * Matrix products with PyTorch's {@code matmul} dispatch: 1-d vectors get a dim added and removed, batch dims
 * broadcast, and everything lands in one batched kernel call.
 */
public final class Linalg {
    private Linalg() {
    }

    public static Tensor matmul(Tensor a, Tensor b) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("matmul", c -> matmul(c[0], c[1]), a, b);
            if (cast != null) {
                return cast;
            }
        }
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException("both arguments to matmul need to be at least 1D, but they are "
                    + a.dim() + "D and " + b.dim() + "D");
        }
        try (TensorScope temps = TensorScope.openTemporaries()) { // the unsqueezed views and unsqueezed product
            Tensor a2 = a.dim() == 1 ? Views.unsqueeze(a, 0) : a;
            Tensor b2 = b.dim() == 1 ? Views.unsqueeze(b, 1) : b;
            Tensor out = batchedMatmul(a2, b2, a, b);
            if (a.dim() == 1) {
                out = Views.squeeze(out, -2);
            }
            if (b.dim() == 1) {
                out = Views.squeeze(out, -1);
            }
            return temps.handOut(out);
        }
    }

    public static Tensor mm(Tensor a, Tensor b) {
        if (a.dim() != 2 || b.dim() != 2) {
            throw new IllegalArgumentException("mm: both arguments must be 2D, got " + Shapes.str(a.shape()) + " and "
                    + Shapes.str(b.shape()));
        }
        return matmul(a, b);
    }

    public static Tensor bmm(Tensor a, Tensor b) {
        if (a.dim() != 3 || b.dim() != 3 || a.size(0) != b.size(0)) {
            throw new IllegalArgumentException("bmm: expected two 3D tensors with equal batch size, got "
                    + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        }
        return matmul(a, b);
    }

    /**
     * {@code torch.nn.functional.linear}: {@code x @ weight^T + bias} for {@code x} of shape {@code [*, K]},
     * {@code weight [N, K]} and {@code bias [N]} (or null), giving {@code [*, N]}.
     *
     * <p>Where the backend fuses it ({@link dev.kiln.backend.LinalgKernels#linear}), one kernel writes the product
     * with the bias added, and autograd records one node as PyTorch does ({@code AddmmBackward0}, or
     * {@code MmBackward0} without a bias; inputs of more than 2 dims are viewed as {@code [M, K]} and back). Otherwise,
     * and for mixed dtypes, 1-d inputs or non-contiguous N-d inputs that need a gradient, it is
     * {@code matmul(x, weight.t())} then {@code add(bias)}.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("linear", c -> linear(c[0], c[1], c[2]), x, weight, bias);
            if (cast != null) {
                return cast;
            }
        }
        return linear(x, weight, bias, false);
    }

    /**
     * {@code relu(linear(x, weight, bias))} with the ReLU applied in the same pass as the bias, for inference (what
     * {@code nn.Sequential} runs for a {@code Linear} followed by a {@code ReLU} when no gradient is needed). When any
     * input needs a gradient it records the two ops as usual, so it is always safe to call.
     */
    public static Tensor linearRelu(Tensor x, Tensor weight, Tensor bias) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("linear", c -> linearRelu(c[0], c[1], c[2]), x, weight, bias);
            if (cast != null) {
                return cast;
            }
        }
        if (Graph.needsGrad(x, weight, bias)) {
            try (TensorScope temps = TensorScope.openTemporaries()) { // the pre-activation, saved by nothing
                return temps.handOut(Pointwise.relu(linear(x, weight, bias, false)));
            }
        }
        return linear(x, weight, bias, true);
    }

    private static Tensor linear(Tensor x, Tensor weight, Tensor bias, boolean relu) {
        if (x.dim() == 0 || weight.dim() == 0 || x.size(-1) != weight.size(-1)) {
            long cols = x.dim() == 0 ? 1 : x.size(-1);
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + x.numel() / Math.max(cols,
                    1) + "x" + cols + " and " + (weight.dim() == 0 ? 1 : weight.size(-1)) + "x"
                    + (weight.dim() == 0 ? 1 : weight.size(0)) + ")");
        }
        // The fused kernel takes a [N, K] weight and a [N] bias of the input's floating dtype; anything else (a
        // broadcast bias, mixed dtypes that promote, a 1-d weight) keeps the composed ops and their semantics.
        boolean fusable = weight.dim() == 2 && (bias == null || (bias.dim() == 1 && bias.size(0) == weight.size(0)))
                && x.dtype().isFloatingPoint() && x.dtype() == weight.dtype()
                && (bias == null || bias.dtype() == x.dtype());
        if (fusable && x.dim() == 2) {
            Tensor out = fusedLinear(x, weight, bias, relu);
            if (out != null) {
                // The caller's result, as the composed path's handOut makes it (Sequential passes it on untouched).
                return LeakTracking.handedOut(out);
            }
        } else if (fusable && x.dim() > 2 && (x.isContiguous() || !Graph.needsGrad(x, weight, bias))) {
            Tensor out = fusedLinearNd(x, weight, bias, relu);
            if (out != null) {
                return out;
            }
        }
        try (TensorScope temps = TensorScope.openTemporaries()) { // W^T view and the product before the bias
            Tensor y = matmul(x, weight.t());
            y = bias == null ? y : Pointwise.add(y, bias);
            return temps.handOut(relu ? Pointwise.relu(y) : y);
        }
    }

    /** {@code [*, K]} viewed (or, without grad, reshaped) as {@code [M, K]}, the 2-d kernel, and back. */
    private static Tensor fusedLinearNd(Tensor x, Tensor weight, Tensor bias, boolean relu) {
        long[] outShape = x.shape();
        outShape[outShape.length - 1] = weight.size(0);
        try (TensorScope temps = TensorScope.openTemporaries()) { // the flattened input and output views
            Tensor out2 = fusedLinear(Views.reshape(x, new long[] {-1, x.size(-1)}), weight, bias, relu);
            return out2 == null ? null : temps.handOut(Views.view(out2, outShape));
        }
    }

    /** The backend's fused kernel on a 2-d input, or null when it does not handle this case. */
    private static Tensor fusedLinear(Tensor x, Tensor weight, Tensor bias, boolean relu) {
        var backend = bias == null ? Dispatch.on(x, weight) : Dispatch.on(x, weight, bias);
        Tensor out = Kernels.emptyLike(x, x.dtype(), x.size(0), weight.size(0));
        boolean done;
        try {
            done = backend.linalg().linear(x.arg(), weight.arg(), bias == null ? null : bias.arg(), relu, out.arg());
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
        if (!done) {
            out.close();
            return null;
        }
        if (relu) { // only reached without grad (linearRelu records the ops separately otherwise)
            return out;
        }
        // PyTorch's addmm formulas: dx = G @ W, dW = G^T @ x, db = G summed over rows.
        return Graph.record(out, bias == null ? "MmBackward0" : "AddmmBackward0", inputs(x, weight, bias),
                saved(x, weight), c -> new Tensor[] {
                    c.needs(0) ? matmul(c.grad(), c.saved(1)) : null,
                    c.needs(1) ? matmul(Views.transpose(c.grad(), 0, 1), c.saved(0)) : null,
                    c.needs(2) ? Reductions.sumTo(c.grad(), c.inputShape(2)) : null});
    }

    /** {@code a [..., M, K] @ b [..., K, N]} with broadcast batch dims. */
    private static Tensor batchedMatmul(Tensor a, Tensor b, Tensor origA, Tensor origB) {
        long m = a.size(-2);
        long k = a.size(-1);
        long n = b.size(-1);
        if (b.size(-2) != k) {
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + shapeDesc(a) + " and "
                    + shapeDesc(b) + ")" + (origA != a || origB != b ? " (inputs " + Shapes.str(origA.shape()) + " @ "
                    + Shapes.str(origB.shape()) + ")" : ""));
        }
        DType t = DType.promote(a.dtype(), b.dtype());
        if (!t.isFloatingPoint()) {
            t = DType.INT64;
        }
        long[] batchA = java.util.Arrays.copyOf(a.shape(), a.dim() - 2);
        long[] batchB = java.util.Arrays.copyOf(b.shape(), b.dim() - 2);
        long[] batch = Shapes.broadcast(batchA, batchB);
        long batchCount = Shapes.numel(batch);
        Tensor out;
        // Graph-free: the casts, broadcast views and [B, M, K] reshapes are temporaries (the kernel fences them).
        try (var g = Autograd.noGrad(); TensorScope temps = TensorScope.openTemporaries()) {
            Tensor a3 = Views.reshape(Kernels.broadcastTo(Kernels.cast(a, t), concat(batch, m, k)),
                    new long[] {batchCount, m, k});
            Tensor b3 = Views.reshape(Kernels.broadcastTo(Kernels.cast(b, t), concat(batch, k, n)),
                    new long[] {batchCount, k, n});
            Tensor o3 = Kernels.emptyLike(a3, t, batchCount, m, n);
            Dispatch.on(a3, b3, o3).linalg().bmm(a3.arg(), b3.arg(), o3.arg());
            out = temps.handOut(Views.view(o3, concat(batch, m, n)));
        }
        // d(A@B)/dA = G @ B^T, d/dB = A^T @ G; summed back over broadcast batch dims.
        return Graph.record(out, "MmBackward0", inputs(a, b), saved(a, b), c -> new Tensor[] {
            c.needs(0) ? Reductions.sumTo(matmul(c.grad(), Views.transpose(c.saved(1), -1, -2)), c.inputShape(0)) : null,
            c.needs(1) ? Reductions.sumTo(matmul(Views.transpose(c.saved(0), -1, -2), c.grad()), c.inputShape(1)) : null});
    }

    private static String shapeDesc(Tensor t) {
        long[] s = t.shape();
        long rows = Shapes.numel(java.util.Arrays.copyOf(s, s.length - 1));
        return rows + "x" + s[s.length - 1];
    }

    private static long[] concat(long[] batch, long x, long y) {
        long[] r = java.util.Arrays.copyOf(batch, batch.length + 2);
        r[batch.length] = x;
        r[batch.length + 1] = y;
        return r;
    }
}
