package dev.kiln.backend;


/** Reductions over the last dimension of a strided tensor: out has shape {@code in.shape[:-1]}. */
public interface ReduceKernels {
    enum Op { SUM, PROD, MAX, MIN, ARGMAX, ARGMIN }

    /** Reduces the last dim of {@code in} into {@code out} (ARGMAX/ARGMIN write INT64). */
    void reduceLastDim(Op op, KernelArg in, KernelArg out);

    /** Softmax (or log-softmax) along the last dim of a contiguous tensor. */
    void softmaxLastDim(KernelArg in, KernelArg out, boolean log);
}
