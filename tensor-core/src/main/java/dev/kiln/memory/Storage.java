package dev.kiln.memory;

import dev.kiln.tensor.Device;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The bytes behind one or more tensors: host memory as an Arrow {@link ArrowBuf}, or device memory as a backend's
 * {@link DeviceBlock}, plus a reference count shared by every view, and the version counter autograd uses to detect
 * in-place edits of saved tensors.
 *
 * <p>Ownership follows Arrow's rules: a storage made by {@link #allocate} owns one reference to its buffer; one
 * made by {@link #wrap} retains the caller's buffer (zero copy) and releases that reference when the last view
 * goes away; one made by {@link #onDevice} owns its device block the same way. Whoever calls {@link #retain()} must
 * call {@link #release()} exactly once.
 */
public final class Storage {
    private final ArrowBuf buffer; // host memory, else null
    private final DeviceBlock block; // device memory, else null
    private final Device device;
    private final long address;
    private final long byteSize;
    private final AtomicInteger refCount = new AtomicInteger(1);
    private volatile int version;

    private Storage(ArrowBuf buffer, long byteSize) {
        this.buffer = buffer;
        this.block = null;
        this.device = Device.CPU;
        this.address = buffer.memoryAddress();
        this.byteSize = byteSize;
    }

    private Storage(DeviceBlock block) {
        this.buffer = null;
        this.block = block;
        this.device = block.device();
        this.address = block.address();
        this.byteSize = block.byteSize();
    }

    /** Takes ownership of a device allocation; {@link DeviceBlock#free()} runs when the last view is released. */
    public static Storage onDevice(DeviceBlock block) {
        return new Storage(block);
    }

    /** Allocates {@code byteSize} bytes from {@code allocator}; contents are undefined unless {@code zeroed}. */
    public static Storage allocate(BufferAllocator allocator, long byteSize, boolean zeroed) {
        GcPressure.onAllocate(allocator, byteSize);
        ArrowBuf buf = allocator.buffer(Math.max(byteSize, 1));
        if (zeroed) {
            buf.setZero(0, buf.capacity());
        }
        return new Storage(buf, byteSize);
    }

    /** Shares an existing Arrow buffer without copying; retains it until the last view is released. */
    public static Storage wrap(ArrowBuf buffer, long byteSize) {
        if (byteSize > buffer.capacity()) {
            throw new IllegalArgumentException("Arrow buffer of " + buffer.capacity() + " bytes is too small for "
                    + byteSize + " bytes of tensor data");
        }
        buffer.getReferenceManager().retain();
        return new Storage(buffer, byteSize);
    }

    /** Where the bytes live. */
    public Device device() {
        return device;
    }

    /** Address of byte 0: a native host address for CPU storage, a device address otherwise. */
    public long address() {
        return address;
    }

    public long byteSize() {
        return byteSize;
    }

    /** The Arrow buffer holding the bytes (for zero-copy export); only host storage has one. */
    public ArrowBuf arrowBuf() {
        requireHost("its Arrow buffer");
        return buffer;
    }

    /** The Arrow allocator that accounts host storage. */
    public BufferAllocator allocator() {
        requireHost("its Arrow allocator");
        return buffer.getReferenceManager().getAllocator();
    }

    private void requireHost(String what) {
        if (buffer == null) {
            throw new IllegalStateException("Storage on " + device + " has no host memory (asked for " + what
                    + "); copy the tensor to the CPU first with .to(Device.CPU) or .cpu()");
        }
    }

    public boolean isReleased() {
        return refCount.get() <= 0;
    }

    public Storage retain() {
        int before;
        do {
            before = refCount.get();
            if (before <= 0) {
                throw new IllegalStateException("Storage was already released");
            }
        } while (!refCount.compareAndSet(before, before + 1));
        return this;
    }

    /** Drops one reference; the Arrow buffer goes back to its allocator when the last one is dropped. */
    public void release() {
        int after = refCount.decrementAndGet();
        if (after == 0) {
            if (buffer != null) {
                buffer.getReferenceManager().release();
            } else {
                block.free();
            }
        } else if (after < 0) {
            throw new IllegalStateException("Storage released more times than it was retained");
        }
    }

    /** Autograd's version counter: bumped by every in-place write to any view of this storage. */
    public int version() {
        return version;
    }

    public void bumpVersion() {
        version++;
    }
}
