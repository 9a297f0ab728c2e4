package dev.kiln.backend;


/** Gather/scatter style kernels; index tensors are INT64 and already bounds-checked by the op layer. */
public interface IndexKernels {
    /** {@code out[i][j][k] = in[i][index[i][j][k]][k]} for dim 1 (and likewise for other dims). */
    void gather(KernelArg in, int dim, KernelArg index, KernelArg out);

    /** {@code out[...index[i][j][k]...] (+)= src[i][j][k]}; {@code out} already holds the base values. */
    void scatter(KernelArg out, int dim, KernelArg index, KernelArg src, boolean accumulate);

    /** {@code out = in.indexSelect(dim, index)}. */
    void indexSelect(KernelArg in, int dim, KernelArg index, KernelArg out);

    /** {@code out[...index[i]...] += src[...i...]} along dim: the adjoint of indexSelect. */
    void indexAdd(KernelArg out, int dim, KernelArg index, KernelArg src);
}
