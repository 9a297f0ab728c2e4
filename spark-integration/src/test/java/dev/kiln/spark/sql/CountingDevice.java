package dev.kiln.spark.sql;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Backends;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.IndexKernels;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.backend.MemoryKernels;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.RandomKernels;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.memory.Storage;
import dev.kiln.tensor.Device;
import dev.kiln.testing.HostDeviceBackend;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The stand-in GPU ({@link HostDeviceBackend}) with its memory traffic counted: transfers between host and device,
 * Java-array reads and writes, and single-element accesses. A scoring path that moved rows one by one across the
 * device boundary would show up here. {@link #close()} puts the stand-in back, then closes it (which checks that
 * every device byte was freed).
 */
final class CountingDevice implements Backend, AutoCloseable {
    final HostDeviceBackend device;
    final AtomicLong transfers = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong elements = new AtomicLong();
    private final MemoryKernels memory;

    private CountingDevice(HostDeviceBackend device) {
        this.device = device;
        MemoryKernels inner = device.memory();
        this.memory = new MemoryKernels() {
            @Override
            public Storage allocate(Device d, BufferAllocator hostAllocator, long byteSize, boolean zeroed) {
                return inner.allocate(d, hostAllocator, byteSize, zeroed);
            }

            @Override
            public void transfer(KernelArg src, KernelArg dst) {
                transfers.incrementAndGet();
                inner.transfer(src, dst);
            }

            @Override
            public void write(Object javaArray, KernelArg dst) {
                writes.incrementAndGet();
                inner.write(javaArray, dst);
            }

            @Override
            public void read(KernelArg src, Object javaArray) {
                reads.incrementAndGet();
                inner.read(src, javaArray);
            }

            @Override
            public double getDouble(KernelArg t, long storageIndex) {
                elements.incrementAndGet();
                return inner.getDouble(t, storageIndex);
            }

            @Override
            public long getLong(KernelArg t, long storageIndex) {
                elements.incrementAndGet();
                return inner.getLong(t, storageIndex);
            }

            @Override
            public void putDouble(KernelArg t, long storageIndex, double value) {
                elements.incrementAndGet();
                inner.putDouble(t, storageIndex, value);
            }

            @Override
            public void synchronize(Device d) {
                inner.synchronize(d);
            }
        };
    }

    /** Installs a fresh stand-in GPU ({@code cuda:0}) behind the counters. */
    static CountingDevice install() {
        CountingDevice c = new CountingDevice(HostDeviceBackend.install());
        Backends.register(c);
        return c;
    }

    /** Device bytes allocated and not yet freed. */
    long bytesInUse() {
        return device.bytesInUse();
    }

    @Override
    public void close() {
        Backends.unregister(this);
        Backends.register(device);
        device.close();
    }

    @Override
    public Device.Type deviceType() {
        return Device.Type.CUDA;
    }

    @Override
    public int deviceCount() {
        return device.deviceCount();
    }

    @Override
    public PointwiseKernels pointwise() {
        return device.pointwise();
    }

    @Override
    public ReduceKernels reduce() {
        return device.reduce();
    }

    @Override
    public IndexKernels index() {
        return device.index();
    }

    @Override
    public LinalgKernels linalg() {
        return device.linalg();
    }

    @Override
    public ConvKernels conv() {
        return device.conv();
    }

    @Override
    public RandomKernels random() {
        return device.random();
    }

    @Override
    public MemoryKernels memory() {
        return memory;
    }
}
