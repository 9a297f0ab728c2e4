package dev.kiln.backend;


/** Matrix products. */
public interface LinalgKernels {
    /**
     * Batched matrix product {@code out[b] = a[b] @ b[b]} for 3-d operands {@code [B, M, K]} x {@code [B, K, N]}
     * with any strides (transposed views are passed to BLAS without copying where the layout allows);
     * {@code out} is a contiguous {@code [B, M, N]} of the same floating dtype.
     */
    void bmm(KernelArg a, KernelArg b, KernelArg out);

    /**
     * The linear layer in one kernel: {@code out = x @ weight^T + bias}, then {@code max(out, 0)} when {@code relu}
     * (NaN propagates, as in {@code torch.relu}). {@code x} is {@code [M, K]} and {@code weight} {@code [N, K]}, both
     * with any strides; {@code bias} is {@code [N]} or null; {@code out} is a contiguous {@code [M, N]}; all of one
     * floating dtype. The bias is added to each finished dot product (so results equal the unfused
     * {@code (x @ w.t()).add(bias)} up to the GEMM's own float rounding).
     *
     * <p>Optional: the default returns false ("not handled", nothing written), and the op layer then composes
     * {@code matmul}, {@code add} and {@code relu} as separate kernels. A backend may also return false for cases it
     * does not fuse (a dtype, a layout).
     *
     * @return true when {@code out} was written
     */
    default boolean linear(KernelArg x, KernelArg weight, KernelArg bias, boolean relu, KernelArg out) {
        return false;
    }
}
