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

    // Each family is wrapped so every kernel entry fences its tensors until it returns (see Fenced for why).
    private final PointwiseKernels pointwise = new Fenced.Pointwise(new CpuPointwise());
    private final ReduceKernels reduce = new Fenced.Reduce(new CpuReduce());
    private final IndexKernels index = new Fenced.Index(new CpuIndex());
    private final LinalgKernels linalg = new Fenced.Linalg(new CpuLinalg());
    private final ConvKernels conv = new Fenced.Conv(new CpuConv());

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
