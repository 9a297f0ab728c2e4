package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Graph;
import dev.kiln.tensor.DType;
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
