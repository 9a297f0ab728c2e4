package dev.kiln.backend;

import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Memory of a backend's devices: allocation, transfers between the host and the device (and between devices), Java
 * array I/O, single-element access and synchronization. Everything in Kiln that touches a tensor's bytes outside a
 * kernel goes through here, so no code above the backends reads a host address.
 */
public interface MemoryKernels {
    /**
     * Fresh storage of {@code byteSize} bytes on {@code device}, zero-filled if asked. Host memory comes from
     * {@code hostAllocator} (the caller's scope); device memory from the backend's own accounted allocator.
     */
    Storage allocate(Device device, BufferAllocator hostAllocator, long byteSize, boolean zeroed);

    /**
     * Copies the bytes of contiguous {@code src} into contiguous {@code dst} (same dtype and element count), where
     * either side is on this backend's device and the other on the host or any device of this backend. Returns once
     * {@code dst} may be read by the host or by later work queued on its device.
     */
    void transfer(KernelArg src, KernelArg dst);

    /**
     * Writes a Java array into contiguous {@code dst} on this backend's device: {@code float[]}, {@code long[]},
     * {@code int[]}, {@code short[]} and {@code byte[]} must match {@code dst}'s storage type (float32, int64, int32,
     * float16/bfloat16 bit patterns, uint8/bool) and
     * are copied as is; a {@code double[]} is converted to any dtype as a C cast does.
     */
    void write(Object javaArray, KernelArg dst);

    /** Reads contiguous {@code src} into a Java array of the matching storage type ({@link #write}'s pairs, no conversion). */
    void read(KernelArg src, Object javaArray);

    /** The element at {@code storageIndex} (in elements, from the storage's start) of {@code t}'s storage, as a double. */
    double getDouble(KernelArg t, long storageIndex);

    /** As {@link #getDouble}, as a long (floating values truncate toward zero). */
    long getLong(KernelArg t, long storageIndex);

    /** Writes one element at {@code storageIndex}, converting {@code value} to {@code t}'s dtype. */
    void putDouble(KernelArg t, long storageIndex, double value);

    /** Waits until all work queued on {@code device} has finished (a no-op on the host). */
    void synchronize(Device device);

    /**
     * The byte count of a {@link #write}/{@link #read} pair, after checking that the Java array's type matches the
     * dtype's storage and its length the element count, and that the tensor is contiguous; for every backend.
     */
    static long checkedBytes(Object javaArray, KernelArg t) {
        DType d = t.dtype();
        int length = java.lang.reflect.Array.getLength(javaArray);
        boolean match = switch (d) {
            case FLOAT32 -> javaArray instanceof float[];
            case FLOAT64 -> javaArray instanceof double[];
            case INT64 -> javaArray instanceof long[];
            case INT32 -> javaArray instanceof int[];
            case UINT8, BOOL -> javaArray instanceof byte[];
            case FLOAT16, BFLOAT16 -> javaArray instanceof short[]; // the raw 16-bit patterns
        };
        if (!match || length != t.numel() || !(t.isContiguous() || length == 0)) {
            throw new IllegalArgumentException("cannot copy a " + javaArray.getClass().getSimpleName() + " of length "
                    + length + " to or from " + (t.isContiguous() ? "" : "non-contiguous ") + t);
        }
        return (long) length * d.byteSize();
    }
}
