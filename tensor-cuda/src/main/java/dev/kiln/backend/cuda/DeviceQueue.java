package dev.kiln.backend.cuda;

import dev.kiln.tensor.Device;

/**
 * What a kernel family needs of a GPU: its allocator, and its stream to queue kernels, memsets and copies on.
 * {@link CudaDevice} is the real one; tests drive the families over a recording fake, which checks every launch's
 * parameters against the shipped PTX without a GPU.
 */
interface DeviceQueue {
    Device device();

    CudaCachingAllocator allocator();

    /**
     * Queues kernel {@code name} over {@code work} items with {@link KernelNames}' grid-stride geometry
     * ({@link KernelNames#THREADS} threads, up to {@link KernelNames#GRID_STRIDE_MAX_BLOCKS} blocks); nothing for
     * no work.
     */
    void gridStride(String name, long work, Params params);

    /** Queues kernel {@code name} with an explicit grid and block size. */
    void launch(String name, int gx, int gy, int gz, int threads, Params params);

    /** Queues setting {@code bytes} bytes at {@code address} to zero. */
    void memsetZero(long address, long bytes);

    /** Queues a copy of {@code bytes} bytes between two addresses of this device. */
    void copy(long dst, long src, long bytes);
}
