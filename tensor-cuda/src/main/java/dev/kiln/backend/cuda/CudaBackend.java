package dev.kiln.backend.cuda;

import dev.kiln.backend.Backend;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.HalfAsFloat32;
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
    // float16/bfloat16 arguments run the float32 kernels on widened device copies (HalfAsFloat32); the copy and
    // fill kernels handle the 16-bit types themselves.
    private final PointwiseKernels casts = new CudaPointwise();
    private final PointwiseKernels pointwise = new HalfAsFloat32.Pointwise(casts);
    private final ReduceKernels reduce = new HalfAsFloat32.Reduce(new CudaReduce(), casts);
    private final IndexKernels index = new HalfAsFloat32.Index(new CudaIndex(), casts);
    private final LinalgKernels linalg = new HalfAsFloat32.Linalg(new CudaLinalg(), casts);
    private final ConvKernels conv = new HalfAsFloat32.Conv(new CudaConv(), casts);
    private final MemoryKernels memory = new CudaMemoryKernels();
    private final RandomKernels random = new HalfAsFloat32.Random(new CudaRandom(), casts);

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
