package dev.kiln.spark.train;

import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * An Arrow buffer of 4- or 8-byte numbers that doubles when full, for reading a partition whose row count is
 * unknown until its iterator ends. Doubling keeps the total copying below one extra pass over the data.
 */
final class GrowableBuffer implements AutoCloseable {
    private final BufferAllocator allocator;
    private final int elementBytes;
    private ArrowBuf buf;
    private long count;

    GrowableBuffer(BufferAllocator allocator, int elementBytes, long initialElements) {
        this.allocator = allocator;
        this.elementBytes = elementBytes;
        this.buf = allocator.buffer(Math.max(64, initialElements * elementBytes));
    }

    /** Makes room for {@code more} elements past the current count. */
    void reserve(long more) {
        long needed = (count + more) * elementBytes;
        if (needed <= buf.capacity()) {
            return;
        }
        long capacity = buf.capacity();
        while (capacity < needed) {
            capacity *= 2;
        }
        ArrowBuf bigger = allocator.buffer(capacity);
        bigger.setBytes(0, buf, 0, count * elementBytes);
        buf.close();
        buf = bigger;
    }

    void putFloat(float v) {
        buf.setFloat(count * 4, v);
        count++;
    }

    void putLong(long v) {
        buf.setLong(count * 8, v);
        count++;
    }

    /** Appends {@code values} with one bulk copy. */
    void putFloats(float[] values) {
        reserve(values.length);
        buf.nioBuffer(count * 4, values.length * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        count += values.length;
    }

    long count() {
        return count;
    }

    ArrowBuf buffer() {
        return buf;
    }

    @Override
    public void close() {
        buf.close();
    }
}
