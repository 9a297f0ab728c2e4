package dev.kiln.backend;


/**
 * Sliding-window kernels behind convolution and pooling. Images are contiguous {@code [N, C, H, W]} tensors of
 * one floating dtype (float32 or float64); the op layer validates shapes and allocates every output. The GEMM of
 * a convolution is not here: it goes through {@link LinalgKernels#bmm} on the im2col matrix.
 */
public interface ConvKernels {
    /**
     * im2col: {@code cols[n, (c*kh + ki)*kw + kj, oy*ow + ox] = in[n, c, oy*sh - ph + ki*dh, ox*sw - pw + kj*dw]},
     * 0 where that lands in the padding. {@code cols} is {@code [N, C*kh*kw, oh*ow]} with unit stride in its last dim
     * (its batch and row strides are free, so the batch may be the middle dim in memory).
     */
    void im2col(KernelArg in, Window2d w, KernelArg cols);

    /**
     * col2im, the adjoint of {@link #im2col} ({@code cols} strided as there): {@code out} (contiguous
     * {@code [N, C, H, W]}) is overwritten with the
     * sum, per input element, of every column entry im2col would have copied from it.
     */
    void col2im(KernelArg cols, Window2d w, KernelArg out);

    /**
     * Direct convolution, {@code out[n, o] = bias[o] + sum over o's group of weight[o, c] (x) in[n, c]} with window
     * {@code w}, on contiguous {@code in [N, C, H, W]}, {@code weight [O, C/groups, kh, kw]}, {@code bias [O]} (or
     * null), {@code out [N, O, oh, ow]}. Returns false, writing nothing, where the backend has no such kernel (the op
     * layer then runs im2col + GEMM).
     */
    default boolean conv2d(KernelArg in, KernelArg weight, KernelArg bias, Window2d w, int groups, KernelArg out) {
        return false;
    }

    /** {@link #conv2d}'s input gradient: {@code gradIn} (overwritten) = the adjoint applied to {@code grad}; or false. */
    default boolean conv2dBackwardData(KernelArg grad, KernelArg weight, Window2d w, int groups, KernelArg gradIn) {
        return false;
    }

    /**
     * {@link #conv2d}'s weight gradient {@code gradWeight[o, c, i, j] = sum_{n,y,x} grad[n, o, y, x] in[n, c, ...]}
     * and, unless null, {@code gradBias[o] = sum_{n,y,x} grad[n, o, y, x]} (both overwritten); or false.
     */
    default boolean conv2dBackwardWeights(KernelArg in, KernelArg grad, Window2d w, int groups, KernelArg gradWeight,
                                          KernelArg gradBias) {
        return false;
    }

    /**
     * Max pooling: {@code out[n, c, oy, ox]} is the max over the window (padding never wins; NaN propagates), and
     * {@code indices} (int64, same shape) holds its flat position {@code iy * W + ix} in the input plane.
     */
    void maxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg indices);

    /**
     * {@link #maxPool2d}'s values alone, for passes that need no gradient (inference never reads the argmax, and
     * computing it costs more than the maximum); false when this backend has no such kernel, and the caller then
     * runs {@link #maxPool2d} with indices.
     */
    default boolean maxPool2dValues(KernelArg in, Window2d w, KernelArg out) {
        return false;
    }

    /**
     * {@code gradIn} (overwritten) = each {@code grad} element added at its saved argmax in the input plane. The
     * window is the forward's: a backend may use it to gather, per input element, from the windows that cover it
     * (deterministic, no atomics) instead of scattering.
     */
    void maxPool2dBackward(KernelArg grad, KernelArg indices, Window2d w, KernelArg gradIn);

    /**
     * {@code out = maxPool2d(relu(in))} in one pass, without writing {@code relu(in)} (the block a CNN repeats after
     * each convolution); false, nothing written, when this backend has no fused kernel for {@code in}'s dtype and
     * this window (the caller then runs ReLU and {@link #maxPool2d}). Unless null, {@code codes} (uint8, the
     * output's shape) receives per window the cell its gradient goes to, row-major within the window, or 255 when
     * none does: exactly the cell where the unfused pair's gradient (pooling's argmax, then ReLU's
     * {@code threshold_backward}) would land. Values, ties and NaN/±0 follow the unfused pair bit for bit.
     */
    default boolean reluMaxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg codes) {
        return false;
    }

    /**
     * {@code gradIn} (overwritten) = each {@code grad} element at the cell its code names, 0 elsewhere. Only called
     * with codes this backend's {@link #reluMaxPool2d} wrote, so a backend implementing that must implement this.
     */
    default void reluMaxPool2dBackward(KernelArg grad, KernelArg codes, Window2d w, KernelArg gradIn) {
        throw new UnsupportedOperationException("reluMaxPool2dBackward without reluMaxPool2d");
    }

    /**
     * Average pooling (dilation 1). The divisor is the window's area clipped to the padded input when
     * {@code countIncludePad}, else to the input itself (PyTorch's {@code avg_pool2d} semantics, ceil-mode windows
     * included).
     */
    void avgPool2d(KernelArg in, Window2d w, boolean countIncludePad, KernelArg out);

    /** Adjoint of {@link #avgPool2d}: {@code gradIn} is overwritten. */
    void avgPool2dBackward(KernelArg grad, Window2d w, boolean countIncludePad, KernelArg gradIn);

    /**
     * Adaptive average pooling to {@code out}'s {@code [oh, ow]}: output row {@code i} averages input rows
     * {@code floor(i*H/oh)} to {@code ceil((i+1)*H/oh)} (exclusive), likewise for columns.
     */
    void adaptiveAvgPool2d(KernelArg in, KernelArg out);

    /** Adjoint of {@link #adaptiveAvgPool2d}: {@code gradIn} is overwritten. */
    void adaptiveAvgPool2dBackward(KernelArg grad, KernelArg gradIn);
}
