package dev.kiln.backend.cpu;

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
 * The host backend: Java kernels over Arrow memory, plus OpenBLAS (or oneDNN) for matrix products. Registered in
 * {@code META-INF/services/dev.kiln.backend.Backend}; reach it with {@code Backend.of(Device.CPU)}.
 */
public final class CpuBackend implements Backend {

    // Each family is wrapped so every kernel entry fences its tensors until it returns (see Fenced for why), and
    // so float16/bfloat16 arguments run the float32 kernels on widened copies (HalfAsFloat32; CpuPointwise's copy
    // does the conversions).
    private final MemoryKernels memory = new CpuMemory(); // fences inline: few entry points, each its own shape
    private final PointwiseKernels casts = new Fenced.Pointwise(new CpuPointwise());
    private final PointwiseKernels pointwise = new Fenced.Pointwise(new HalfAsFloat32.Pointwise(casts));
    private final ReduceKernels reduce = new Fenced.Reduce(new HalfAsFloat32.Reduce(new CpuReduce(), casts));
    private final IndexKernels index = new Fenced.Index(new HalfAsFloat32.Index(new CpuIndex(), casts));
    private final LinalgKernels linalg = new Fenced.Linalg(new HalfAsFloat32.Linalg(new CpuLinalg(), casts));
    private final ConvKernels conv = new Fenced.Conv(new HalfAsFloat32.Conv(new CpuConv(), casts));
    private final RandomKernels random = new HalfAsFloat32.Random(new CpuRandom(), casts);

    /** For {@code ServiceLoader}; loads no native library (OpenBLAS and oneDNN load on first use). */
    public CpuBackend() {
    }

    @Override
    public Device.Type deviceType() {
        return Device.Type.CPU;
    }

    @Override
    public int deviceCount() {
        return 1;
    }

    @Override
    public MemoryKernels memory() {
        return memory;
    }

    @Override
    public RandomKernels random() {
        return random;
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
