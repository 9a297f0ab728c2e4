package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.BackwardContext;
import dev.kiln.autograd.Graph;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.Window2d;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * conv2d as ONE autograd node ({@code ConvolutionBackward0}, PyTorch's name) whose value and gradients come from
 * the backend's direct convolution kernels ({@link ConvKernels#conv2d} and its two backward kernels; the CPU runs
 * them through oneDNN for float32 when the thread may use every core). {@link Convolution} tries this first.
 *
 * <p>Gradients, for {@code y = conv(x, W) + b} with {@code cols = unfold(x)} and {@code G = dL/dy}:
 * {@code dx = fold(W^T G)}, {@code dW = sum_n G[n] cols[n]^T} (per group), {@code db = sum_{n,y,x} G}. Backward runs
 * the backend's kernels; with {@code create_graph} (or where a kernel declines) it runs these formulas as
 * differentiable ops, so double backward works.
 *
 * <p>Which inputs take this path: float32 whenever the backend's forward kernel runs; other dtypes only when a
 * gradient is needed, with the value from {@code composed} (im2col + GEMM) under no-grad: that makes float64,
 * where the op table's gradcheck and gradgradcheck run, check this node's formulas. float32 without a direct kernel
 * returns null and keeps the composed graph, whose backward reuses the forward's columns.
 */
final class DirectConv {
    /** The im2col + GEMM convolution ({@code Convolution.gemm}): {@code [N, O, oh, ow]}. */
    @FunctionalInterface
    interface Composed {
        Tensor apply(Tensor x, Tensor w, Tensor bias, Window2d win, long groups);
    }

    private DirectConv() {
    }

    /**
     * {@code conv2d(x, w) + bias} for {@code x [N, C, H, W]}, {@code w [O, C/groups, kh, kw]}, or null where the
     * caller's composed path should run it (see the class comment).
     */
    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Window2d win, long groups, Composed composed) {
        boolean grad = Graph.needsGrad(x, w, bias);
        boolean f32 = x.dtype() == DType.FLOAT32;
        if (!f32 && !grad) {
            return null;
        }
        int g = Math.toIntExact(groups);
        Tensor out = f32 ? forward(x, w, bias, win, g) : null;
        if (out == null) {
            if (f32) {
                return null;
            }
            try (var ng = Autograd.noGrad()) {
                out = composed.apply(x, w, bias, win, groups);
            }
        }
        boolean hasBias = bias != null;
        return Graph.record(out, "ConvolutionBackward0", inputs(x, w, bias), saved(x, w),
                c -> backward(c, win, g, hasBias));
    }

    /** The backend's forward kernel into a new tensor, or null if it declines. */
    private static Tensor forward(Tensor x, Tensor w, Tensor bias, Window2d win, int groups) {
        Tensor out = Kernels.emptyLike(x, x.dtype(), x.size(0), w.size(0), win.oh(), win.ow());
        boolean done = false;
        try (var ng = Autograd.noGrad()) {
            Tensor xc = Views.contiguous(x);
            Tensor wc = Views.contiguous(w);
            Tensor bc = bias == null ? null : Views.contiguous(bias);
            done = Dispatch.on(xc, wc, bc, out).conv().conv2d(xc.arg(), wc.arg(), bc == null ? null : bc.arg(), win,
                    groups, out.arg());
            Kernels.release(xc, x);
            Kernels.release(wc, w);
            if (bc != null) {
                Kernels.release(bc, bias);
            }
        } finally {
            if (!done) {
                out.close();
            }
        }
        return done ? out : null;
    }

    private static Tensor[] backward(BackwardContext c, Window2d win, int groups, boolean hasBias) {
        Tensor x = c.saved(0);
        Tensor w = c.saved(1);
        if (!Autograd.isGradEnabled()) { // no create_graph: the kernels need not be differentiable
            Tensor[] r = kernels(c, x, w, win, groups);
            if (r != null) {
                return r;
            }
        }
        return formulas(c, x, w, win, groups, hasBias);
    }

    /** The backend's backward kernels, or null (nothing left open) if one declines. */
    private static Tensor[] kernels(BackwardContext c, Tensor x, Tensor w, Window2d win, int groups) {
        ConvKernels k = Dispatch.on(x, w, c.grad()).conv();
        Tensor g = Views.contiguous(c.grad());
        Tensor xc = Views.contiguous(x);
        Tensor wc = Views.contiguous(w);
        Tensor dx = c.needs(0) ? Kernels.emptyLike(x, x.dtype(), x.shape()) : null;
        Tensor dw = c.needs(1) || c.needs(2) ? Kernels.emptyLike(w, w.dtype(), w.shape()) : null;
        Tensor db = c.needs(2) ? Kernels.emptyLike(w, w.dtype(), w.size(0)) : null;
        boolean done = (dx == null || k.conv2dBackwardData(g.arg(), wc.arg(), win, groups, dx.arg()))
                && (dw == null || k.conv2dBackwardWeights(xc.arg(), g.arg(), win, groups, dw.arg(),
                        db == null ? null : db.arg()));
        Kernels.release(g, c.grad());
        Kernels.release(xc, x);
        Kernels.release(wc, w);
        if (!done || !c.needs(1)) {
            closeAll(done ? null : dx, dw, done ? null : db);
        }
        return done ? new Tensor[] {dx, c.needs(1) ? dw : null, db} : null;
    }

    /** The gradients as differentiable ops (the class comment's formulas), grouped {@code [N, groups, ...]}. */
    private static Tensor[] formulas(BackwardContext c, Tensor x, Tensor w, Window2d win, int groups,
                                     boolean hasBias) {
        Tensor g = c.grad();
        long n = x.size(0);
        long og = w.size(0) / groups;
        long rows = w.size(1) * win.taps(); // C/groups * kh * kw
        long p = win.outPlane();
        Tensor g4 = Views.reshape(g, new long[] {n, groups, og, p});
        Tensor dx = null;
        Tensor dw = null;
        if (c.needs(0)) {
            Tensor wg = Views.reshape(w, new long[] {groups, og, rows});
            Tensor cols = Linalg.matmul(Views.transpose(wg, 1, 2), g4); // [N, groups, rows, P]
            dx = Im2Col.fold(Views.reshape(cols, new long[] {n, groups * rows, p}), win, x.size(2), x.size(3));
        }
        if (c.needs(1)) {
            Tensor cols = Views.reshape(Im2Col.unfold(x, win), new long[] {n, groups, rows, p});
            Tensor perImage = Linalg.matmul(g4, Views.transpose(cols, 2, 3)); // [N, groups, og, rows]
            dw = Views.reshape(Reductions.sum(perImage, new long[] {0}, false), w.shape());
        }
        Tensor db = hasBias && c.needs(2) ? Reductions.sum(g, new long[] {0, 2, 3}, false) : null;
        return new Tensor[] {dx, dw, db};
    }

    private static void closeAll(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }
}
