package dev.kiln.backend.cpu;

import dev.kiln.backend.Backend;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.IndexKernels;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.ReduceKernels;

/** The host backend: Java kernels over Arrow memory, plus OpenBLAS for matrix products. */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    private final PointwiseKernels pointwise = new CpuPointwise();
    private final ReduceKernels reduce = new CpuReduce();
    private final IndexKernels index = new CpuIndex();
    private final LinalgKernels linalg = new CpuLinalg();
    private final ConvKernels conv = new CpuConv();

    private CpuBackend() {
    }

    @Override
    public PointwiseKernels pointwise() {
        return pointwise;
    }

    @Override
    public ReduceKernels reduce() {
        return reduce;
    }

    @Override
    public IndexKernels index() {
        return index;
    }

    @Override
    public LinalgKernels linalg() {
        return linalg;
    }

    @Override
    public ConvKernels conv() {
        return conv;
    }
}
