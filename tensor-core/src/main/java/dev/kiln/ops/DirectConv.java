package dev.kiln.ops;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Graph;
import dev.kiln.backend.Window2d;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * The backend's direct 2-d convolution ({@link dev.kiln.backend.ConvKernels#conv2d}), tried by {@link Convolution}
 * before its im2col + GEMM path. Only float32 asks the backend (the CPU backend runs it through oneDNN when this
 * thread may use every core); anything else, and any shape the backend declines, returns null.
 */
final class DirectConv {
    private DirectConv() {
    }

    /**
     * {@code conv2d(x, w) + bias} for {@code x [N, C, H, W]}, {@code w [O, C/groups, kh, kw]}, or null when the
     * backend has no direct kernel for it (or a gradient is needed: the composed path records it).
     */
    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, Window2d win, long groups) {
        if (x.dtype() != DType.FLOAT32 || Graph.needsGrad(x, w, bias)) {
            return null;
        }
        Tensor out = Tensor.empty(x.dtype(), x.size(0), w.size(0), win.oh(), win.ow());
        boolean done;
        try (var g = Autograd.noGrad()) {
            Tensor xc = Views.contiguous(x);
            Tensor wc = Views.contiguous(w);
            Tensor bc = bias == null ? null : Views.contiguous(bias);
            done = Kernels.backend(x).conv().conv2d(xc, wc, bc, win, Math.toIntExact(groups), out);
            Kernels.release(xc, x);
            Kernels.release(wc, w);
            if (bc != null) {
                Kernels.release(bc, bias);
            }
        }
        if (!done) {
            out.close();
            return null;
        }
        return out;
    }
}
