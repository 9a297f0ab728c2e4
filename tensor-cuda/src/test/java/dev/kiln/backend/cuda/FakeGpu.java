package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A GPU that only records: kernel launches (name, grid, parameters), memsets and copies, with a real caching
 * allocator over {@link FakeRawAllocator}. The kernel families run their Java side against it unchanged, so tests
 * see exactly what would be queued on a device.
 */
final class FakeGpu implements DeviceQueue {
    /** One queued operation. */
    record Op(String name, long work, int gx, int gy, int gz, int threads, Params params) {
        @Override
        public String toString() {
            return name + (params == null ? "" : " (" + params.size() + " params)");
        }
    }

    final Device device = Device.cuda(0);
    final FakeRawAllocator raw = new FakeRawAllocator(1L << 40);
    final CudaCachingAllocator allocator = new CudaCachingAllocator(device, raw);
    final List<Op> ops = new ArrayList<>();

    /** The resolver the kernel families take: every device is this one. */
    Function<Device, DeviceQueue> queues() {
        return d -> this;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public CudaCachingAllocator allocator() {
        return allocator;
    }

    @Override
    public void gridStride(String name, long work, Params params) {
        if (work <= 0) {
            return;
        }
        long blocks = Math.min((work + KernelNames.THREADS - 1) / KernelNames.THREADS,
                KernelNames.GRID_STRIDE_MAX_BLOCKS);
        ops.add(new Op(name, work, (int) blocks, 1, 1, KernelNames.THREADS, params));
    }

    @Override
    public void launch(String name, int gx, int gy, int gz, int threads, Params params) {
        ops.add(new Op(name, -1, gx, gy, gz, threads, params));
    }

    @Override
    public void memsetZero(long address, long bytes) {
        ops.add(new Op("memset", bytes, 0, 0, 0, 0, null));
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        ops.add(new Op("copy", bytes, 0, 0, 0, 0, null));
    }

    /** A contiguous tensor on this fake device; release with {@link #release}. */
    KernelArg tensor(DType dtype, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return KernelArg.contiguous(Storage.onDevice(allocator.allocate(n * dtype.byteSize())), dtype, shape);
    }

    static void release(KernelArg... args) {
        for (KernelArg a : args) {
            a.storage().release();
        }
    }

    /** The names of the recorded operations, in order. */
    List<String> names() {
        return ops.stream().map(Op::name).toList();
    }

    Op last() {
        return ops.get(ops.size() - 1);
    }
}
