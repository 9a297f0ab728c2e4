package dev.kiln.backend;

import dev.kiln.tensor.Device;

/**
 * The primitives a device must implement; everything else (autograd, shapes, broadcasting, dtype promotion,
 * composite ops) is written once above this line. Kernels never allocate tensors: the op layer passes outputs in,
 * already shaped and typed, as {@link KernelArg}s. Grouped by family so each stays small.
 *
 * <p>Backends are found with {@link java.util.ServiceLoader} (one per {@link Device.Type}; see {@link Backends}), so a
 * GPU backend is a jar on the classpath, not a compile-time dependency. Implementations must have a public no-arg
 * constructor that touches no native library: probing happens in {@link #deviceCount()}.
 */
public interface Backend {
    /** The kind of device this backend runs. */
    Device.Type deviceType();

    /**
     * How many devices of this type can be used now (the host backend: 1). Probes natives and driver on first call,
     * caches the answer, and returns 0 (never throws) when they are missing.
     */
    int deviceCount();

    /** Why {@link #deviceCount()} is 0 (missing natives, no driver, no device), for error messages; else empty. */
    default String unavailableReason() {
        return "";
    }

    PointwiseKernels pointwise();

    ReduceKernels reduce();

    IndexKernels index();

    LinalgKernels linalg();

    /** im2col/col2im and pooling. */
    ConvKernels conv();

    /** Allocation, host/device transfers, element access, synchronize. */
    MemoryKernels memory();

    /** Random fills. */
    RandomKernels random();

    /** The backend for {@code device}; throws PyTorch-worded errors when it is missing or the device is not there. */
    static Backend of(Device device) {
        return Backends.of(device);
    }
}
