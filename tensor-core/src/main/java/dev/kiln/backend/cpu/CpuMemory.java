package dev.kiln.backend.cpu;

import dev.kiln.Kiln;
import dev.kiln.KilnContext;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.MemoryKernels;
import dev.kiln.memory.Elements;
import dev.kiln.memory.Storage;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.lang.ref.Reference;
import org.apache.arrow.memory.BufferAllocator;

/** Host memory: Arrow buffers from the caller's allocator; copies are memcpy; there is nothing to synchronize. */
final class CpuMemory implements MemoryKernels {

    /** Where the CPU backend's own scratch buffers come from: the running task's allocator, else the root. */
    static BufferAllocator scratchAllocator() {
        KilnContext ctx = KilnContext.current();
        return ctx == null ? Kiln.rootAllocator() : ctx.allocator();
    }

    @Override
    public Storage allocate(Device device, BufferAllocator hostAllocator, long byteSize, boolean zeroed) {
        requireHost(device);
        return Storage.allocate(hostAllocator, byteSize, zeroed);
    }

    @Override
    public void transfer(KernelArg src, KernelArg dst) {
        requireHost(src.device());
        requireHost(dst.device());
        try {
            Unsafe.copyMemory(src.dataAddress(), dst.dataAddress(), src.numel() * src.dtype().byteSize());
        } finally {
            Reference.reachabilityFence(src);
            Reference.reachabilityFence(dst);
        }
    }

    @Override
    public void write(Object javaArray, KernelArg dst) {
        try {
            if (javaArray instanceof double[] values && dst.dtype() != DType.FLOAT64) {
                int es = dst.dtype().byteSize();
                for (int i = 0; i < values.length; i++) {
                    Elements.put(dst.dtype(), dst.dataAddress() + (long) es * i, values[i]);
                }
                return;
            }
            Unsafe.copyArray(javaArray, dst.dataAddress(), MemoryKernels.checkedBytes(javaArray, dst), false);
        } finally {
            Reference.reachabilityFence(dst);
        }
    }

    @Override
    public void read(KernelArg src, Object javaArray) {
        try {
            Unsafe.copyArray(javaArray, src.dataAddress(), MemoryKernels.checkedBytes(javaArray, src), true);
        } finally {
            Reference.reachabilityFence(src);
        }
    }


    @Override
    public double getDouble(KernelArg t, long storageIndex) {
        try {
            return Elements.get(t.dtype(), t.storage().address() + storageIndex * t.dtype().byteSize());
        } finally {
            Reference.reachabilityFence(t);
        }
    }

    @Override
    public long getLong(KernelArg t, long storageIndex) {
        try {
            return Elements.getLong(t.dtype(), t.storage().address() + storageIndex * t.dtype().byteSize());
        } finally {
            Reference.reachabilityFence(t);
        }
    }

    @Override
    public void putDouble(KernelArg t, long storageIndex, double value) {
        try {
            Elements.put(t.dtype(), t.storage().address() + storageIndex * t.dtype().byteSize(), value);
        } finally {
            Reference.reachabilityFence(t);
        }
    }

    @Override
    public void synchronize(Device device) {
        requireHost(device);
    }

    private static void requireHost(Device device) {
        if (device.isCuda()) {
            throw new IllegalArgumentException("the CPU backend cannot reach memory on " + device);
        }
    }
}
