package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Graph;
import dev.kiln.backend.Window2d;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;

/**
 * The two differentiable primitives convolution is built from, like {@code F.unfold} and {@code F.fold}:
 * {@link #unfold} (im2col) copies every sliding window of an image into a column, and {@link #fold} (col2im)
 * sums columns back into an image. They are each other's adjoint, so each one's gradient is the other:
 * {@code d unfold / dx = fold(grad)} and {@code d fold / dcols = unfold(grad)}. With these, a convolution is one
 * matmul and autograd derives its gradients: {@code grad_input = fold(W^T G)}, {@code grad_weight = G cols^T}.
 */
public final class Im2Col {
    private Im2Col() {
    }

    /** {@code x [N, C, H, W]} to {@code cols [N, C*kh*kw, oh*ow]} (see {@code ConvKernels.im2col}). */
    public static Tensor unfold(Tensor x, Window2d w) {
        checkFloating(x, "im2col");
        Tensor cols = Kernels.emptyLike(x, x.dtype(), x.size(0), x.size(1) * w.taps(), w.outPlane());
        try (var g = Autograd.noGrad()) {
            Tensor xc = Views.contiguous(x);
            Dispatch.on(xc, cols).conv().im2col(xc.arg(), w, cols.arg());
            Kernels.release(xc, x);
        }
        long h = x.size(2);
        long wd = x.size(3);
        return Graph.record(cols, "Im2ColBackward0", inputs(x), Graph.NONE, c -> new Tensor[] {
            fold(c.grad(), w, h, wd)});
    }

    /**
     * im2col with the batch inside the rows: {@code x [N, C, H, W]} to {@code cols [C*kh*kw, N*oh*ow]}, so a
     * convolution over the whole batch is one GEMM {@code W [O, C*kh*kw] x cols}. Same values as {@link #unfold},
     * laid out {@code [rows, N, P]}; its gradient folds the matching strided view back.
     */
    public static Tensor unfoldBatchInner(Tensor x, Window2d w) {
        checkFloating(x, "im2col");
        long n = x.size(0);
        long rows = x.size(1) * w.taps();
        long p = w.outPlane();
        Tensor buf = Kernels.emptyLike(x, x.dtype(), rows, n, p);
        try (var g = Autograd.noGrad()) {
            Tensor xc = Views.contiguous(x);
            Tensor batchFirst = Views.permute(buf, new long[] {1, 0, 2});
            Dispatch.on(xc, batchFirst).conv().im2col(xc.arg(), w, batchFirst.arg());
            batchFirst.close();
            Kernels.release(xc, x);
        }
        Tensor cols = Views.view(buf, new long[] {rows, n * p});
        buf.close(); // the view keeps the storage
        long h = x.size(2);
        long wd = x.size(3);
        return Graph.record(cols, "Im2ColBackward0", inputs(x), Graph.NONE, c -> new Tensor[] {
            fold(Views.permute(Views.view(c.grad(), new long[] {rows, n, p}), new long[] {1, 0, 2}), w, h, wd)});
    }

    /** {@code cols [N, C*kh*kw, oh*ow]} to the {@code [N, C, h, wd]} image whose unfold they would be, summing overlaps. */
    public static Tensor fold(Tensor cols, Window2d w, long h, long wd) {
        checkFloating(cols, "col2im");
        if (cols.dim() != 3 || cols.size(1) % w.taps() != 0 || cols.size(2) != w.outPlane()) {
            throw new IllegalArgumentException("col2im: expected cols of shape [N, C*" + w.taps() + ", " + w.outPlane()
                    + "], but got " + Shapes.str(cols.shape()));
        }
        Tensor out = Kernels.emptyLike(cols, cols.dtype(), cols.size(0), cols.size(1) / w.taps(), h, wd);
        try (var g = Autograd.noGrad()) {
            Tensor cc = cols.stride(2) == 1 ? cols : Views.contiguous(cols); // batch/row strides are free
            Dispatch.on(cc, out).conv().col2im(cc.arg(), w, out.arg());
            Kernels.release(cc, cols);
        }
        return Graph.record(out, "Col2ImBackward0", inputs(cols), Graph.NONE, c -> new Tensor[] {
            unfold(c.grad(), w)});
    }

    static void checkFloating(Tensor t, String op) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("\"" + op + "\" not implemented for '" + t.dtype().scalarTypeName() + "'");
        }
    }
}
