package dev.kiln.memory;

import dev.kiln.tensor.Device;

/**
 * One allocation of device (non-host) memory, as a backend's allocator hands it out: its address in the device's
 * address space, its size, and how to give it back. A {@link Storage} owns exactly one reference to a block and
 * calls {@link #free()} once, when its last view is released (the same contract as an Arrow buffer on the host).
 */
public interface DeviceBlock {
    Device device();

    /** Device address of byte 0. */
    long address();

    long byteSize();

    /** Returns the block to its allocator (which may cache it for reuse); called exactly once. */
    void free();
}
