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
}
