package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.lang.ref.Reference;
import java.util.function.Function;

/**
 * Reductions over the last dim ({@code reduce.ptx}). The input is viewed as {@code [rows, cols]} through its own
 * layout (any strides), the output is a contiguous {@code [rows]}. Two kernels: a block of
 * {@link KernelNames#REDUCE_THREADS} threads per row (a shared-memory tree: long rows), and a thread per row (the
 * CPU's sequential order: short rows, and rows whose elements are far apart in memory while neighbouring rows are
 * adjacent, e.g. the bias gradient's sum over the batch, where neighbouring threads then read neighbouring words).
 */
final class CudaReduce extends KernelFamily implements ReduceKernels {
    /** Rows up to this long are reduced by one thread each: a 256-thread block would idle most of its threads. */
    static final long THREAD_PER_ROW_MAX_COLS = 64;
    /** Enough rows to fill a GPU with one thread each (only then is the strided thread-per-row scan worth it). */
    static final long THREAD_PER_ROW_MIN_ROWS = 4096;

    CudaReduce() {
        this(GPUS);
    }

    CudaReduce(Function<Device, DeviceQueue> queues) {
        super(queues);
    }

    @Override
    public void reduceLastDim(Op op, KernelArg in, KernelArg out) {
        long rows = out.numel();
        long cols = in.dim() == 0 ? 1 : in.size(-1);
        if (rows == 0) {
            return;
        }
        DeviceQueue d = queue(out);
        try {
            DType produced = producedType(op, in.dtype());
            if (out.dtype() != produced || !out.isContiguous()) {
                Scratch.through(d, out, produced, tmp -> reduceLastDim(op, in, tmp));
                return;
            }
            if (cols == 0) {
                if (op != Op.SUM && op != Op.PROD) {
                    throw new IllegalArgumentException(op.name().toLowerCase() + "(): cannot reduce an empty last "
                            + "dimension of " + in);
                }
                new CudaPointwise(queues).fill(out, op == Op.SUM ? 0 : 1);
                return;
            }
            Params p = new Params().i32(KernelNames.opCode(op)).i64(rows).i64(cols).elements(in).ptr(out.dataAddress());
            if (threadPerRow(in, rows, cols)) {
                d.gridStride(KernelNames.reduceLastThread(in.dtype()), rows, p);
            } else {
                d.launch(KernelNames.reduceLast(in.dtype()), blocks(rows), 1, 1, KernelNames.REDUCE_THREADS, p);
            }
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(out);
        }
    }

    /** What the kernels write: int64 for arg-reductions and integer sums/products, else the input's dtype. */
    static DType producedType(Op op, DType in) {
        if (op == Op.ARGMAX || op == Op.ARGMIN) {
            return DType.INT64;
        }
        if ((op == Op.SUM || op == Op.PROD) && !in.isFloatingPoint()) {
            return DType.INT64;
        }
        return in;
    }

    /** Short rows, or many rows whose last-dim stride is not 1 while the rows themselves are adjacent. */
    static boolean threadPerRow(KernelArg in, long rows, long cols) {
        if (cols <= THREAD_PER_ROW_MAX_COLS) {
            return true;
        }
        return in.dim() >= 2 && in.stride(-1) != 1 && rows >= THREAD_PER_ROW_MIN_ROWS;
    }

    @Override
    public void softmaxLastDim(KernelArg in, KernelArg out, boolean log) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        if (in.dtype() != out.dtype() || !in.dtype().isFloatingPoint() || in.numel() != n) {
            throw new IllegalArgumentException("softmax kernel expects floating tensors of one dtype and size, got "
                    + in + " -> " + out);
        }
        long cols = in.dim() == 0 ? 1 : in.size(-1);
        long rows = n / cols;
        DeviceQueue d = queue(out);
        KernelArg src = in.isContiguous() ? in : Scratch.contiguousCopy(d, in);
        KernelArg dst = out.isContiguous() ? out : Scratch.allocate(d, out.dtype(), out.shape());
        try {
            d.launch(KernelNames.softmaxLast(in.dtype()), blocks(rows), 1, 1, KernelNames.REDUCE_THREADS,
                    new Params().i64(rows).i64(cols).ptr(src.dataAddress()).ptr(dst.dataAddress()).i32(log ? 1 : 0));
            if (dst != out) {
                new CudaPointwise(queues).copy(dst, out);
            }
        } finally {
            if (src != in) {
                Scratch.release(src);
            }
            if (dst != out) {
                Scratch.release(dst);
            }
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(out);
        }
    }

    /** Blocks for a block-per-row kernel: one per row, capped (blocks then loop over rows). */
    private static int blocks(long rows) {
        return (int) Math.min(rows, KernelNames.GRID_STRIDE_MAX_BLOCKS);
    }
}
