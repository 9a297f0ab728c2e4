package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.RandomKernels;
import dev.kiln.backend.RandomSource;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.lang.ref.Reference;
import java.util.function.Function;

/**
 * Random fills with the Philox4x32-10 counter-based generator ({@code random.ptx}): each launch takes one
 * {@code source.nextLong()} as its key (seed) and starts at counter offset 0, so the values depend only on the
 * generator's state when the call is made (the same seed gives the same tensor), never on thread timing. The
 * streams differ from the CPU backend's (as PyTorch's CUDA and CPU generators differ); the distributions agree.
 * Outputs must be contiguous: a strided output is filled through a contiguous scratch tensor.
 */
final class CudaRandom extends KernelFamily implements RandomKernels {

    CudaRandom() {
        this(GPUS);
    }

    CudaRandom(Function<Device, DeviceQueue> queues) {
        super(queues);
    }

    @Override
    public void uniform(KernelArg out, RandomSource source) {
        fill(out, source, Kind.UNIFORM, 0, 1);
    }

    @Override
    public void normal(KernelArg out, RandomSource source) {
        fill(out, source, Kind.NORMAL, 0, 1);
    }

    @Override
    public void randint(KernelArg out, long low, long high, RandomSource source) {
        if (out.dtype() != DType.INT64) {
            throw new IllegalArgumentException("randint kernel writes int64, got " + out);
        }
        if (high <= low) {
            throw new IllegalArgumentException("random_ expects 'from' to be less than 'to', but got from=" + low
                    + " >= to=" + high);
        }
        long n = out.numel();
        if (n == 0) {
            return;
        }
        DeviceQueue d = queue(out);
        if (!out.isContiguous()) {
            Scratch.through(d, out, DType.INT64, tmp -> randint(tmp, low, high, source));
            return;
        }
        try {
            d.gridStride(KernelNames.RANDINT_I64, KernelNames.philoxBlocks(n, KernelNames.RANDINT_I64_PER_BLOCK),
                    new Params().i64(n).i64(source.nextLong()).i64(0).i64(low).i64(high).ptr(out.dataAddress()));
        } finally {
            Reference.reachabilityFence(out);
        }
    }

    private enum Kind { UNIFORM, NORMAL }

    private void fill(KernelArg out, RandomSource source, Kind kind, double a, double b) {
        DType t = out.dtype();
        if (!t.isFloatingPoint()) {
            throw new IllegalArgumentException((kind == Kind.UNIFORM ? "uniform_" : "normal_")
                    + " expects a floating point tensor, got " + out);
        }
        long n = out.numel();
        if (n == 0) {
            return;
        }
        DeviceQueue d = queue(out);
        if (!out.isContiguous()) {
            Scratch.through(d, out, t, tmp -> fill(tmp, source, kind, a, b));
            return;
        }
        boolean f32 = t == DType.FLOAT32;
        int perBlock = kind == Kind.UNIFORM
                ? (f32 ? KernelNames.UNIFORM_F32_PER_BLOCK : KernelNames.UNIFORM_F64_PER_BLOCK)
                : (f32 ? KernelNames.NORMAL_F32_PER_BLOCK : KernelNames.NORMAL_F64_PER_BLOCK);
        String kernel = kind == Kind.UNIFORM ? KernelNames.uniform(t) : KernelNames.normal(t);
        try {
            d.gridStride(kernel, KernelNames.philoxBlocks(n, perBlock),
                    new Params().i64(n).i64(source.nextLong()).i64(0).f64(a).f64(b).ptr(out.dataAddress()));
        } finally {
            Reference.reachabilityFence(out);
        }
    }
}
