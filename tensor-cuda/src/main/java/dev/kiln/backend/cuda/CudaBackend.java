package dev.kiln.backend.cuda;

import dev.kiln.backend.Backend;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.IndexKernels;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.backend.MemoryKernels;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.RandomKernels;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.tensor.Device;

/**
 * The CUDA backend: JCuda's driver API over the PTX kernels shipped in this jar, cuBLAS for matrix products where
 * it loads. Registered in {@code META-INF/services/dev.kiln.backend.Backend}, so putting kiln-tensor-cuda on the
 * classpath is all it takes; {@code Device.cudaIsAvailable()} then says whether a GPU is usable.
 *
 * <p>Constructing it touches no native code; {@link #deviceCount()} probes the driver once per process (see
 * {@link CudaRuntime}) and is 0, with {@link #unavailableReason()} saying why, when JCuda's natives, the driver or a
 * GPU are missing. Device state (contexts, streams, allocators) is process-wide and shared by every instance.
 */
public final class CudaBackend implements Backend {
    private final PointwiseKernels pointwise = new CudaPointwise();
    private final ReduceKernels reduce = new CudaReduce();
    private final IndexKernels index = new CudaIndex();
    private final LinalgKernels linalg = new CudaLinalg();
    private final ConvKernels conv = new CudaConv();
    private final MemoryKernels memory = new CudaMemoryKernels();
    private final RandomKernels random = new CudaRandom();

    /** For {@code ServiceLoader}; loads no native library. */
    public CudaBackend() {
    }

    @Override
    public Device.Type deviceType() {
        return Device.Type.CUDA;
    }

    @Override
    public int deviceCount() {
        return CudaRuntime.deviceCount();
    }

    @Override
    public String unavailableReason() {
        return CudaRuntime.unavailableReason();
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

    @Override
    public MemoryKernels memory() {
        return memory;
    }

    @Override
    public RandomKernels random() {
        return random;
    }
}
