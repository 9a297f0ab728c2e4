package dev.kiln.backend;

import dev.kiln.backend.cpu.CpuBackend;
import dev.kiln.tensor.Device;

/**
 * The primitives a device must implement; everything else (autograd, shapes, broadcasting, dtype promotion,
 * composite ops) is written once above this line. Kernels never allocate tensors: the op layer passes outputs in,
 * already shaped and typed. Grouped by family so each stays small.
 */
public interface Backend {
    PointwiseKernels pointwise();

    ReduceKernels reduce();

    IndexKernels index();

    LinalgKernels linalg();

    /** im2col/col2im and pooling. */
    ConvKernels conv();

    /** The backend for a device; CUDA falls back to an error naming the missing driver/natives. */
    static Backend of(Device device) {
        if (!device.isCuda()) {
            return CpuBackend.INSTANCE;
        }
        throw new UnsupportedOperationException("No CUDA backend is available for " + device
                + ": tensors can only be created on the CPU in this build");
    }
}
