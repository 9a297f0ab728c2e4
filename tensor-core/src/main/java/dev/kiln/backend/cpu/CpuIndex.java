package dev.kiln.backend.cpu;

import dev.kiln.backend.IndexKernels;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.backend.KernelArg;

/**
 * Gather/scatter kernels over strided memory, for every dtype.
 *
 * <p>Each kernel walks the positions of one "driving" shape (the index's for gather/scatter, the slice's for
 * indexSelect/indexAdd) and keeps a byte offset per operand. An operand that is addressed through the index
 * along {@code dim} gets stride 0 there, so its walked offset covers the other dims and the kernel adds
 * {@code index * stride(dim)} itself. Indices are INT64 and were bounds-checked by the op layer.
 *
 * <p>Plain moves copy raw element bytes (exact for every dtype); accumulation adds in double for floating
 * types and in long for integers (exact for int64). Kernels that may write one element twice (scatter,
 * indexAdd) run serially so duplicate indices never race.
 */
final class CpuIndex implements IndexKernels {

    /** Called at each position with the byte offset of every operand from its data address. */
    @FunctionalInterface
    private interface Visit {
        void at(long[] offsets);
    }

    @Override
    public void gather(KernelArg in, int dim, KernelArg index, KernelArg out) {
        long inBase = in.dataAddress();
        long idxBase = index.dataAddress();
        long outBase = out.dataAddress();
        long dimStep = byteStride(in, dim);
        int bytes = in.dtype().byteSize();
        int rank = index.dim();
        long[][] strides = {byteStrides(index, -1, rank), byteStrides(out, -1, rank), byteStrides(in, dim, rank)};
        walk(index.shape(), strides, o -> {
            long i = Unsafe.getLong(idxBase + o[0]);
            copyElement(bytes, inBase + o[2] + i * dimStep, outBase + o[1]);
        });
    }

    @Override
    public void scatter(KernelArg out, int dim, KernelArg index, KernelArg src, boolean accumulate) {
        long outBase = out.dataAddress();
        long idxBase = index.dataAddress();
        long srcBase = src.dataAddress();
        long dimStep = byteStride(out, dim);
        DType type = out.dtype();
        int bytes = type.byteSize();
        int rank = index.dim();
        long[][] strides = {byteStrides(index, -1, rank), byteStrides(src, -1, rank), byteStrides(out, dim, rank)};
        walk(index.shape(), strides, o -> {
            long i = Unsafe.getLong(idxBase + o[0]);
            long target = outBase + o[2] + i * dimStep;
            if (accumulate) {
                addElement(type, srcBase + o[1], target);
            } else {
                copyElement(bytes, srcBase + o[1], target);
            }
        });
    }

    @Override
    public void indexSelect(KernelArg in, int dim, KernelArg index, KernelArg out) {
        long n = index.numel();
        long idxStep = index.dim() == 0 ? 0 : index.stride(0) * 8L;
        long idxBase = index.dataAddress();
        if (dim == 0 && rowsContiguous(in) && rowsContiguous(out)) {
            copyRows(in, index, out, n, idxBase, idxStep);
            return;
        }
        long[] sliceShape = dropDim(in.shape(), dim);
        long[][] strides = {dropDim(byteStrides(in, -1, in.dim()), dim), dropDim(byteStrides(out, -1, in.dim()), dim)};
        long inStep = byteStride(in, dim);
        long outStep = byteStride(out, dim);
        int bytes = in.dtype().byteSize();
        long inBase = in.dataAddress();
        long outBase = out.dataAddress();
        // Each output slice is written by exactly one k, so slices can be filled in parallel.
        Parallel.forRange(n, numel(sliceShape), (lo, hi) -> {
            for (long k = lo; k < hi; k++) {
                long from = inBase + Unsafe.getLong(idxBase + k * idxStep) * inStep;
                long to = outBase + k * outStep;
                walk(sliceShape, strides, o -> copyElement(bytes, from + o[0], to + o[1]));
            }
        });
    }

    /**
     * The embedding-lookup path: when each row (everything after dim 0) is one contiguous block in both tensors,
     * a selected row is a single memory copy.
     */
    private static void copyRows(KernelArg in, KernelArg index, KernelArg out, long n, long idxBase, long idxStep) {
        long rowBytes = rowElements(in) * in.dtype().byteSize();
        long inRowStep = byteStride(in, 0);
        long outRowStep = byteStride(out, 0);
        long inBase = in.dataAddress();
        long outBase = out.dataAddress();
        Parallel.forRange(n, rowElements(in), (lo, hi) -> {
            for (long k = lo; k < hi; k++) {
                long row = Unsafe.getLong(idxBase + k * idxStep);
                Unsafe.copyMemory(inBase + row * inRowStep, outBase + k * outRowStep, rowBytes);
            }
        });
    }

    @Override
    public void indexAdd(KernelArg out, int dim, KernelArg index, KernelArg src) {
        long n = index.numel();
        long idxStep = index.dim() == 0 ? 0 : index.stride(0) * 8L;
        long idxBase = index.dataAddress();
        long[] sliceShape = dropDim(src.shape(), dim);
        long[][] strides = {dropDim(byteStrides(src, -1, src.dim()), dim),
            dropDim(byteStrides(out, -1, src.dim()), dim)};
        long srcStep = byteStride(src, dim);
        long outStep = byteStride(out, dim);
        DType type = out.dtype();
        for (long k = 0; k < n; k++) { // serial: repeated indices add into the same slice
            long from = src.dataAddress() + k * srcStep;
            long to = out.dataAddress() + Unsafe.getLong(idxBase + k * idxStep) * outStep;
            walk(sliceShape, strides, o -> addElement(type, from + o[0], to + o[1]));
        }
    }

    // -------------------------------------------------------------- element moves

    private static void copyElement(int bytes, long from, long to) {
        switch (bytes) {
            case 8 -> Unsafe.putLong(to, Unsafe.getLong(from));
            case 4 -> Unsafe.putInt(to, Unsafe.getInt(from));
            case 2 -> Unsafe.putShort(to, Unsafe.getShort(from));
            default -> Unsafe.putByte(to, Unsafe.getByte(from));
        }
    }

    /** {@code *to += *from} in the element type (bool adds as logical or, like PyTorch). */
    private static void addElement(DType type, long from, long to) {
        switch (type) {
            case FLOAT32 -> Unsafe.putFloat(to, Unsafe.getFloat(to) + Unsafe.getFloat(from));
            case FLOAT64 -> Unsafe.putDouble(to, Unsafe.getDouble(to) + Unsafe.getDouble(from));
            default -> Access.putLong(type, to, Access.getLong(type, to) + Access.getLong(type, from));
        }
    }

    // -------------------------------------------------------------- geometry

    /**
     * Visits every position of {@code shape} in row-major order, keeping one running byte offset per operand
     * ({@code strides[k]} are operand k's byte strides). A 0-d shape has one position.
     */
    private static void walk(long[] shape, long[][] strides, Visit body) {
        long numel = numel(shape);
        int nd = shape.length;
        long[] offsets = new long[strides.length];
        long[] position = new long[nd];
        for (long n = 0; n < numel; n++) {
            body.at(offsets);
            for (int d = nd - 1; d >= 0; d--) {
                position[d]++;
                for (int k = 0; k < offsets.length; k++) {
                    offsets[k] += strides[k][d];
                }
                if (position[d] < shape[d]) {
                    break;
                }
                for (int k = 0; k < offsets.length; k++) {
                    offsets[k] -= strides[k][d] * shape[d];
                }
                position[d] = 0;
            }
        }
    }

    /**
     * Byte strides of {@code t} for a walk over {@code rank} dims, with dim {@code zeroDim} (if in range) set to 0.
     * A 0-d tensor walked as 1-d (PyTorch treats it as size [1]) gets all-zero strides.
     */
    private static long[] byteStrides(KernelArg t, int zeroDim, int rank) {
        if (t.dim() != rank) {
            return new long[rank];
        }
        long[] s = t.strides().clone();
        for (int d = 0; d < s.length; d++) {
            s[d] = d == zeroDim ? 0 : s[d] * t.dtype().byteSize();
        }
        return s;
    }

    /** Byte stride of {@code dim}; 0 for a 0-d tensor, whose only valid index is 0. */
    private static long byteStride(KernelArg t, int dim) {
        return t.dim() == 0 ? 0 : t.stride(dim) * t.dtype().byteSize();
    }

    private static long[] dropDim(long[] a, int dim) {
        if (a.length == 0) {
            return a;
        }
        long[] out = new long[a.length - 1];
        for (int i = 0, j = 0; i < a.length; i++) {
            if (i != dim) {
                out[j++] = a[i];
            }
        }
        return out;
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    private static long rowElements(KernelArg t) {
        long n = 1;
        for (int d = 1; d < t.dim(); d++) {
            n *= t.size(d);
        }
        return n;
    }

    /** True if the elements after dim 0 form one contiguous block (row-major, unit innermost stride). */
    private static boolean rowsContiguous(KernelArg t) {
        if (t.dim() == 0) {
            return false;
        }
        long expected = 1;
        for (int d = t.dim() - 1; d >= 1; d--) {
            if (t.size(d) != 1 && t.stride(d) != expected) {
                return false;
            }
            expected *= t.size(d);
        }
        return true;
    }
}
