package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import java.util.function.Consumer;

/**
 * Temporary device tensors inside one kernel call (a contiguous copy for cuBLAS, an output in another dtype). They
 * come from the device's caching allocator and go back as soon as the work using them is queued: any later user of
 * the block queues its work after ours on the same stream.
 */
final class Scratch {
    private Scratch() {
    }

    /** A contiguous tensor of {@code dtype} and {@code shape} on {@code d}; give it back with {@link #release}. */
    static KernelArg allocate(DeviceQueue d, DType dtype, long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return KernelArg.contiguous(Storage.onDevice(d.allocator().allocate(n * dtype.byteSize())), dtype, shape);
    }

    static void release(KernelArg scratch) {
        scratch.storage().release();
    }

    /** A contiguous copy of {@code t} (same dtype) on {@code d}; give it back with {@link #release}. */
    static KernelArg contiguousCopy(DeviceQueue d, KernelArg t) {
        KernelArg copy = allocate(d, t.dtype(), t.shape());
        try {
            copier(d).copy(t, copy);
        } catch (RuntimeException | Error e) {
            release(copy);
            throw e;
        }
        return copy;
    }

    /** Runs {@code body} into a scratch tensor of {@code dtype} shaped like {@code out}, then copies it to out. */
    static void through(DeviceQueue d, KernelArg out, DType dtype, Consumer<KernelArg> body) {
        KernelArg tmp = allocate(d, dtype, out.shape());
        try {
            body.accept(tmp);
            copier(d).copy(tmp, out);
        } finally {
            release(tmp);
        }
    }

    /** Copies on {@code d} (the scratch tensors live there). */
    private static CudaPointwise copier(DeviceQueue d) {
        return new CudaPointwise(device -> d);
    }
}
