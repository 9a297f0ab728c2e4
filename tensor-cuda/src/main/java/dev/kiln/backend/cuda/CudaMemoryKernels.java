package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.MemoryKernels;
import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.lang.ref.Reference;
import jcuda.Pointer;
import jcuda.driver.JCudaDriver;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Device memory: blocks from the device's {@link CudaCachingAllocator}, copies on the device's stream.
 *
 * <p>Host memory is Arrow memory, copied straight from/to its native address ({@code cuMemcpyHtoDAsync} /
 * {@code cuMemcpyDtoHAsync} on the stream: ordered after the kernels that produced the data, and, for pageable
 * host memory, the driver stages the bytes and returns only when the host side may be reused). No size limit
 * applies (the driver takes a {@code size_t}), so nothing is chunked. Pinned staging buffers are not used: they
 * pay off only for overlapping copies with compute, which {@code Tensor.to} cannot (it returns a usable tensor),
 * and no GPU was at hand to measure the difference (see tensor-cuda/README.md).
 *
 * <p>Java arrays ({@link #write}, {@link #read}, single elements) go through the same asynchronous calls on the
 * stream. JCuda pins (or copies) an array only for the duration of the call, which is enough because an array is
 * pageable memory: the driver returns from a host-to-device copy once the bytes are staged, and from a
 * device-to-host copy once it is complete (CUDA's "API synchronization behavior" notes). The synchronous
 * {@code cuMemcpyHtoD} is not used: it runs on the legacy stream, which our non-blocking stream does not wait for,
 * and may return before its DMA has landed.
 */
final class CudaMemoryKernels implements MemoryKernels {

    @Override
    public Storage allocate(Device device, BufferAllocator hostAllocator, long byteSize, boolean zeroed) {
        CudaDevice d = CudaRuntime.device(device);
        Storage s = Storage.onDevice(d.allocator().allocate(byteSize));
        if (zeroed && byteSize > 0) {
            try {
                d.memsetZero(s.address(), byteSize);
            } catch (RuntimeException e) {
                s.release();
                throw e;
            }
        }
        return s;
    }

    @Override
    public void transfer(KernelArg src, KernelArg dst) {
        long bytes = src.numel() * src.dtype().byteSize();
        if (src.dtype() != dst.dtype() || src.numel() != dst.numel() || !src.isContiguous() || !dst.isContiguous()) {
            throw new IllegalArgumentException("transfer expects contiguous tensors of one dtype and size, got "
                    + src + " -> " + dst);
        }
        if (bytes == 0) {
            return;
        }
        try {
            Device from = src.device();
            Device to = dst.device();
            if (!from.isCuda()) {
                CudaDevice d = CudaRuntime.device(to);
                d.makeCurrent();
                Cu.check(JCudaDriver.cuMemcpyHtoDAsync(Cu.device(dst.dataAddress()), Cu.host(src.dataAddress()), bytes,
                        d.stream), "cuMemcpyHtoDAsync", d);
            } else if (!to.isCuda()) {
                CudaDevice d = CudaRuntime.device(from);
                d.makeCurrent();
                Cu.check(JCudaDriver.cuMemcpyDtoHAsync(Cu.host(dst.dataAddress()), Cu.device(src.dataAddress()), bytes,
                        d.stream), "cuMemcpyDtoHAsync", d);
                d.synchronize(); // the host reads dst next; returns at once when the driver already finished
            } else if (from.equals(to)) {
                CudaDevice d = CudaRuntime.device(to);
                d.makeCurrent();
                Cu.check(JCudaDriver.cuMemcpyDtoDAsync(Cu.device(dst.dataAddress()), Cu.device(src.dataAddress()),
                        bytes, d.stream), "cuMemcpyDtoDAsync", d);
            } else {
                peerCopy(CudaRuntime.device(from), src.dataAddress(), CudaRuntime.device(to), dst.dataAddress(), bytes);
            }
        } finally {
            Reference.reachabilityFence(src);
            Reference.reachabilityFence(dst);
        }
    }

    /**
     * Copies between two GPUs on the destination's stream. The two streams are not ordered with each other, so the
     * source's stream drains first (the data is complete) and the copy finishes before returning (the source block
     * may go back to its device's cache and be rewritten by that device's next kernel). The driver stages through
     * the host when peer access is not enabled. Rare enough (moving a model between GPUs) not to need events.
     */
    private static void peerCopy(CudaDevice from, long src, CudaDevice to, long dst, long bytes) {
        from.synchronize();
        to.makeCurrent();
        Cu.check(JCudaDriver.cuMemcpyPeerAsync(Cu.device(dst), to.context(), Cu.device(src), from.context(), bytes,
                to.stream), "cuMemcpyPeerAsync(" + from.device + " -> " + to.device + ")", to);
        to.synchronize();
    }

    @Override
    public void write(Object javaArray, KernelArg dst) {
        try {
            Object array = javaArray instanceof double[] values && dst.dtype() != DType.FLOAT64
                    ? HostElements.convert(values, dst.dtype()) : javaArray;
            long bytes = MemoryKernels.checkedBytes(array, dst);
            if (bytes == 0) {
                return;
            }
            CudaDevice d = CudaRuntime.device(dst);
            d.makeCurrent();
            Cu.check(JCudaDriver.cuMemcpyHtoDAsync(Cu.device(dst.dataAddress()), HostElements.pointerTo(array), bytes,
                    d.stream), "cuMemcpyHtoDAsync (from a Java array)", d);
        } finally {
            Reference.reachabilityFence(dst);
        }
    }

    @Override
    public void read(KernelArg src, Object javaArray) {
        try {
            long bytes = MemoryKernels.checkedBytes(javaArray, src);
            if (bytes == 0) {
                return;
            }
            CudaDevice d = CudaRuntime.device(src);
            d.makeCurrent();
            Cu.check(JCudaDriver.cuMemcpyDtoHAsync(HostElements.pointerTo(javaArray), Cu.device(src.dataAddress()),
                    bytes, d.stream), "cuMemcpyDtoHAsync (to a Java array)", d);
            d.synchronize(); // already complete for pageable memory; also surfaces an earlier kernel's error here
        } finally {
            Reference.reachabilityFence(src);
        }
    }

    @Override
    public double getDouble(KernelArg t, long storageIndex) {
        return HostElements.get(t.dtype(), readElement(t, storageIndex));
    }

    @Override
    public long getLong(KernelArg t, long storageIndex) {
        return HostElements.getLong(t.dtype(), readElement(t, storageIndex));
    }

    @Override
    public void putDouble(KernelArg t, long storageIndex, double value) {
        byte[] bytes = HostElements.encode(t.dtype(), value);
        try {
            CudaDevice d = CudaRuntime.device(t);
            d.makeCurrent();
            Cu.check(JCudaDriver.cuMemcpyHtoDAsync(Cu.device(elementAddress(t, storageIndex)), Pointer.to(bytes),
                    bytes.length, d.stream), "cuMemcpyHtoDAsync (one element)", d);
        } finally {
            Reference.reachabilityFence(t);
        }
    }

    /** The little-endian bytes of one element. */
    private static byte[] readElement(KernelArg t, long storageIndex) {
        byte[] bytes = new byte[t.dtype().byteSize()];
        try {
            CudaDevice d = CudaRuntime.device(t);
            d.makeCurrent();
            Cu.check(JCudaDriver.cuMemcpyDtoHAsync(Pointer.to(bytes), Cu.device(elementAddress(t, storageIndex)),
                    bytes.length, d.stream), "cuMemcpyDtoHAsync (one element)", d);
            d.synchronize();
        } finally {
            Reference.reachabilityFence(t);
        }
        return bytes;
    }

    private static long elementAddress(KernelArg t, long storageIndex) {
        long at = storageIndex * t.dtype().byteSize();
        if (storageIndex < 0 || at + t.dtype().byteSize() > t.storage().byteSize()) {
            throw new IndexOutOfBoundsException("element " + storageIndex + " is outside the storage of " + t + " ("
                    + t.storage().byteSize() + " bytes)");
        }
        return t.storage().address() + at;
    }

    @Override
    public void synchronize(Device device) {
        if (device.isCuda()) {
            CudaRuntime.device(device).synchronize();
        }
    }
}
