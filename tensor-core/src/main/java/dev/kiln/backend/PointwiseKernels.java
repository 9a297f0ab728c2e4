package dev.kiln.backend;

import dev.kiln.tensor.Tensor;

/** Elementwise kernels over strided tensors of identical shape (the op layer expands broadcasts first). */
public interface PointwiseKernels {
    /** {@code out = op(in)}; {@code in} and {@code out} have the same shape and dtype. */
    void unary(UnaryOp op, Tensor in, Tensor out);

    /** {@code out = op(a, b)}; a, b same dtype; out has their dtype, or BOOL for comparisons. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** {@code out = cond ? a : b}; cond is BOOL, a/b/out share a dtype. */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out);

    /** {@code out = clamp(in, min, max)}. */
    void clamp(Tensor in, double min, double max, Tensor out);

    /** Copies {@code src} into {@code dst} (same shape, any strides), converting dtype. */
    void copy(Tensor src, Tensor dst);

    /** Sets every element of {@code dst} to {@code value}. */
    void fill(Tensor dst, double value);

    /**
     * Adam's hyper-parameters for one step of one parameter; the update rule is in {@code dev.kiln.optim.Adam}.
     * {@code biasCorrection1 = 1 - beta1^t}, {@code biasCorrection2Sqrt = sqrt(1 - beta2^t)}.
     */
    record AdamHyper(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled,
                     boolean maximize, double biasCorrection1, double biasCorrection2Sqrt) {
    }

    /** SGD's hyper-parameters for one step; {@code initBuffer}: the momentum buffer is new and becomes {@code g}. */
    record SgdHyper(double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
                    boolean maximize, boolean initBuffer) {
    }

    /**
     * Fused Adam/AdamW step: updates {@code p}, {@code m}, {@code v} (and {@code vMax} with amsgrad, else null)
     * in one pass over their memory, with exactly the per-element arithmetic, rounding and order of the composed
     * ops in {@code Adam.update}. Returns false, touching nothing, where the backend has no fused kernel for these
     * tensors (the optimizer then composes the update from ops).
     */
    default boolean adamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor vMax, AdamHyper h) {
        return false;
    }

    /** Fused SGD step over {@code p} and the momentum buffer ({@code buf}, null without momentum); as {@link #adamStep}. */
    default boolean sgdStep(Tensor p, Tensor grad, Tensor buf, SgdHyper h) {
        return false;
    }
}
