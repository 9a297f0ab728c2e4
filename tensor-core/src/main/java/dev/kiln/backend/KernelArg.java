package dev.kiln.backend;

import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;

/**
 * What a kernel sees of a tensor: its memory, dtype, shape, strides (in elements) and offset, and nothing of
 * autograd. The op layer passes one per operand ({@code Tensor.arg()}); kernels read geometry and the data
 * address from it and write through it.
 *
 * <p>Each argument keeps a reference to the object it describes (its tensor), so fencing the argument at the end
 * of a kernel keeps that tensor, and therefore its storage, from being released mid-kernel (see the CPU backend's
 * {@code Fenced}). Immutable; a tensor builds its argument once.
 */
public final class KernelArg {
    private final Storage storage;
    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final long offset;
    private final long dataAddress;
    private final long numel;
    private final boolean contiguous;
    @SuppressWarnings("unused") // read by reachability: keeps the owner alive while this argument is in use
    private final Object owner;

    /**
     * @param owner the object whose lifetime guards {@code storage} (a tensor); fenced with this argument
     * @param shape trusted, not copied: the caller hands over arrays it never mutates
     */
    public KernelArg(Object owner, Storage storage, DType dtype, long[] shape, long[] strides, long offset) {
        this.owner = owner;
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.dataAddress = storage.address() + offset * dtype.byteSize();
        long n = 1;
        boolean c = true;
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            n *= shape[i];
            if (shape[i] != 1 && strides[i] != expected) {
                c = false;
            }
            expected *= shape[i];
        }
        this.numel = n;
        this.contiguous = c;
    }

    /** A scratch argument over fresh storage, contiguous, owned by nothing but the storage itself. */
    public static KernelArg contiguous(Storage storage, DType dtype, long[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return new KernelArg(storage, storage, dtype, shape, strides, 0);
    }

    public Storage storage() {
        return storage;
    }

    public Device device() {
        return storage.device();
    }

    public DType dtype() {
        return dtype;
    }

    /** The shape; do not modify the returned array. */
    public long[] shape() {
        return shape;
    }

    /** Strides in elements; do not modify the returned array. */
    public long[] strides() {
        return strides;
    }

    /** Size of {@code dim}; negative dims count from the end. */
    public long size(int dim) {
        return shape[dim < 0 ? dim + shape.length : dim];
    }

    /** Stride of {@code dim} in elements; negative dims count from the end. */
    public long stride(int dim) {
        return strides[dim < 0 ? dim + strides.length : dim];
    }

    /**
     * The same memory with other geometry (a view: same storage, same owner), e.g. a kernel's look at the first
     * element of every row. The caller keeps it inside the storage.
     */
    public KernelArg view(long[] shape, long[] strides, long offset) {
        return new KernelArg(owner, storage, dtype, shape, strides, offset);
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    /** Offset of element {@code [0, ..., 0]} in the storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    /** Row-major contiguous (size-1 dims may have any stride). */
    public boolean isContiguous() {
        return contiguous;
    }

    /** Address of element {@code [0, ..., 0]} in the storage's address space (host, or the device's). */
    public long dataAddress() {
        return dataAddress;
    }

    @Override
    public String toString() {
        return dtype.torchName() + java.util.Arrays.toString(shape) + " on " + device();
    }
}
