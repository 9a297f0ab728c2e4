package dev.kiln.backend;

import dev.kiln.tensor.Tensor;

/** Gather/scatter style kernels; index tensors are INT64 and already bounds-checked by the op layer. */
public interface IndexKernels {
    /** {@code out[i][j][k] = in[i][index[i][j][k]][k]} for dim 1 (and likewise for other dims). */
    void gather(Tensor in, int dim, Tensor index, Tensor out);

    /** {@code out[...index[i][j][k]...] (+)= src[i][j][k]}; {@code out} already holds the base values. */
    void scatter(Tensor out, int dim, Tensor index, Tensor src, boolean accumulate);

    /** {@code out = in.indexSelect(dim, index)}. */
    void indexSelect(Tensor in, int dim, Tensor index, Tensor out);

    /** {@code out[...index[i]...] += src[...i...]} along dim: the adjoint of indexSelect. */
    void indexAdd(Tensor out, int dim, Tensor index, Tensor src);
}
