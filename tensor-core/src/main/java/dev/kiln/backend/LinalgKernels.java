package dev.kiln.backend;


/** Matrix products. */
public interface LinalgKernels {
    /**
     * Batched matrix product {@code out[b] = a[b] @ b[b]} for 3-d operands {@code [B, M, K]} x {@code [B, K, N]}
     * with any strides (transposed views are passed to BLAS without copying where the layout allows);
     * {@code out} is a contiguous {@code [B, M, N]} of the same floating dtype.
     */
    void bmm(KernelArg a, KernelArg b, KernelArg out);
}
