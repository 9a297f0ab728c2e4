package dev.kiln.memory;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The bytes behind one or more tensors: an Arrow {@link ArrowBuf} plus a reference count shared by every view,
 * and the version counter autograd uses to detect in-place edits of saved tensors.
 *
 * <p>Ownership follows Arrow's rules: a storage made by {@link #allocate} owns one reference to its buffer; one
 * made by {@link #wrap} retains the caller's buffer (zero copy) and releases that reference when the last view
 * goes away. Whoever calls {@link #retain()} must call {@link #release()} exactly once.
 */
public final class Storage {
    private final ArrowBuf buffer;
    private final long address;
    private final long byteSize;
    private final AtomicInteger refCount = new AtomicInteger(1);
    private volatile int version;

    private Storage(ArrowBuf buffer, long byteSize) {
        this.buffer = buffer;
        this.address = buffer.memoryAddress();
        this.byteSize = byteSize;
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

    /** Native address of byte 0. */
    public long address() {
        return address;
    }

    public long byteSize() {
        return byteSize;
    }

    /** The Arrow buffer holding the bytes (for zero-copy export). */
    public ArrowBuf arrowBuf() {
        return buffer;
    }

    public BufferAllocator allocator() {
        return buffer.getReferenceManager().getAllocator();
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
            buffer.getReferenceManager().release();
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
