package dev.kiln.backend;


/** Elementwise kernels over strided tensors of identical shape (the op layer expands broadcasts first). */
public interface PointwiseKernels {
    /** {@code out = op(in)}; {@code in} and {@code out} have the same shape and dtype. */
    void unary(UnaryOp op, KernelArg in, KernelArg out);

    /** {@code out = op(a, b)}; a, b same dtype; out has their dtype, or BOOL for comparisons. */
    void binary(BinaryOp op, KernelArg a, KernelArg b, KernelArg out);

    /** {@code out = cond ? a : b}; cond is BOOL, a/b/out share a dtype. */
    void where(KernelArg cond, KernelArg a, KernelArg b, KernelArg out);

    /** {@code out = clamp(in, min, max)}. */
    void clamp(KernelArg in, double min, double max, KernelArg out);

    /** Copies {@code src} into {@code dst} (same shape, any strides), converting dtype. */
    void copy(KernelArg src, KernelArg dst);

    /** Sets every element of {@code dst} to {@code value}. */
    void fill(KernelArg dst, double value);

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
    default boolean adamStep(KernelArg p, KernelArg grad, KernelArg m, KernelArg v, KernelArg vMax, AdamHyper h) {
        return false;
    }

    /** Fused SGD step over {@code p} and the momentum buffer ({@code buf}, null without momentum); as {@link #adamStep}. */
    default boolean sgdStep(KernelArg p, KernelArg grad, KernelArg buf, SgdHyper h) {
        return false;
    }
}
