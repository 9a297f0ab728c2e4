package dev.kiln.backend.cpu;

import dev.kiln.backend.IndexKernels;
import dev.kiln.tensor.Tensor;

/** Gather/scatter kernels. */
final class CpuIndex implements IndexKernels {
    @Override
    public void gather(Tensor in, int dim, Tensor index, Tensor out) {
        throw new UnsupportedOperationException("gather: not implemented yet");
    }

    @Override
    public void scatter(Tensor out, int dim, Tensor index, Tensor src, boolean accumulate) {
        throw new UnsupportedOperationException("scatter: not implemented yet");
    }

    @Override
    public void indexSelect(Tensor in, int dim, Tensor index, Tensor out) {
        throw new UnsupportedOperationException("indexSelect: not implemented yet");
    }

    @Override
    public void indexAdd(Tensor out, int dim, Tensor index, Tensor src) {
        throw new UnsupportedOperationException("indexAdd: not implemented yet");
    }
}
