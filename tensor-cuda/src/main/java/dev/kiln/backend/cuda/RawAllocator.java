package dev.kiln.backend.cuda;

/**
 * The device memory a {@link CudaCachingAllocator} draws from: {@code cuMemAlloc}/{@code cuMemFree} on a GPU
 * ({@link DriverAllocator}), a fake in tests. Kept this small so the caching logic is testable without a GPU.
 */
interface RawAllocator {
    /** A fresh allocation of exactly {@code bytes} (> 0) bytes, or 0 when the device is out of memory. */
    long malloc(long bytes);

    /** Returns an allocation made by {@link #malloc}. */
    void free(long address);

    /** Waits until no queued work can still touch memory (before cached blocks go back to the driver). */
    void synchronize();

    /** {@code {free, total}} bytes of the device, for the out-of-memory message; null if unknown. */
    long[] memInfo();
}
