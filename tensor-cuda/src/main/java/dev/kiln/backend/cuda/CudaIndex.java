package dev.kiln.backend.cuda;

import dev.kiln.backend.IndexKernels;
import dev.kiln.backend.KernelArg;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.lang.ref.Reference;
import java.util.function.Function;

/**
 * Gather/scatter kernels ({@code index.ptx}): one thread per position of the driving shape (the index's for
 * gather/scatter, the output's for indexSelect, the source's for indexAdd), every operand passed with its own
 * layout (a 0-d operand has no dims and zero strides, so it reads its one element everywhere, as on the CPU).
 *
 * <p>Accumulating kernels (scatter with accumulate, indexAdd) use atomics: floating sums over duplicate indices may
 * differ from the CPU's serial order in the last bits (PyTorch's CUDA {@code index_add_} is nondeterministic the
 * same way). Plain scatter with duplicate indices keeps one of the candidates, unspecified which (the CPU keeps
 * the last); PyTorch documents the same for CUDA.
 */
final class CudaIndex extends KernelFamily implements IndexKernels {

    CudaIndex() {
        this(GPUS);
    }

    CudaIndex(Function<Device, DeviceQueue> queues) {
        super(queues);
    }

    @Override
    public void gather(KernelArg in, int dim, KernelArg index, KernelArg out) {
        long n = index.numel();
        if (n == 0) {
            return;
        }
        requireIndex(index, "gather");
        requireSameDtype("gather", in, out);
        DeviceQueue d = queue(out);
        try {
            d.gridStride(KernelNames.gather(in.dtype()), n,
                    new Params().i64(n).tensor(in).i32(dim).tensor(index).tensor(out));
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(index);
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void scatter(KernelArg out, int dim, KernelArg index, KernelArg src, boolean accumulate) {
        long n = index.numel();
        if (n == 0) {
            return;
        }
        requireIndex(index, "scatter");
        requireSameDtype("scatter", src, out);
        DeviceQueue d = queue(out);
        try {
            d.gridStride(KernelNames.scatter(out.dtype()), n,
                    new Params().i64(n).tensor(out).i32(dim).tensor(index).tensor(src).i32(accumulate ? 1 : 0));
        } finally {
            Reference.reachabilityFence(out);
            Reference.reachabilityFence(index);
            Reference.reachabilityFence(src);
        }
    }

    @Override
    public void indexSelect(KernelArg in, int dim, KernelArg index, KernelArg out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        requireIndex(index, "index_select");
        requireSameDtype("index_select", in, out);
        DeviceQueue d = queue(out);
        try {
            d.gridStride(KernelNames.indexSelect(in.dtype()), n, new Params().i64(n).tensor(in).i32(dim)
                    .ptr(index.dataAddress()).i64(indexStride(index)).tensor(out));
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(index);
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void indexAdd(KernelArg out, int dim, KernelArg index, KernelArg src) {
        long n = src.numel();
        if (n == 0) {
            return;
        }
        requireIndex(index, "index_add");
        requireSameDtype("index_add", src, out);
        DeviceQueue d = queue(out);
        try {
            d.gridStride(KernelNames.indexAdd(out.dtype()), n, new Params().i64(n).tensor(out).i32(dim)
                    .ptr(index.dataAddress()).i64(indexStride(index)).tensor(src));
        } finally {
            Reference.reachabilityFence(out);
            Reference.reachabilityFence(index);
            Reference.reachabilityFence(src);
        }
    }

    /** A 1-d index's element stride; 0 for a 0-d index (its one element serves every position). */
    private static long indexStride(KernelArg index) {
        return index.dim() == 0 ? 0 : index.stride(0);
    }

    private static void requireIndex(KernelArg index, String op) {
        if (index.dtype() != DType.INT64) {
            throw new IllegalArgumentException(op + "(): Expected dtype int64 for index, got "
                    + index.dtype().torchName());
        }
    }

    private static void requireSameDtype(String op, KernelArg a, KernelArg b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + "(): Expected self.dtype to be equal to src.dtype, got "
                    + a.dtype().torchName() + " and " + b.dtype().torchName());
        }
    }
}
