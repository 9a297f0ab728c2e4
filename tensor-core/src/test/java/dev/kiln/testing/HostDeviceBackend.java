package dev.kiln.testing;

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
import dev.kiln.memory.DeviceBlock;
import dev.kiln.memory.Elements;
import dev.kiln.memory.Storage;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A stand-in GPU for tests of the device seam on machines without one: registers as the {@code cuda} backend, keeps
 * "device" memory in its own accounted native blocks (never Arrow's), and runs the CPU kernels on it. Everything
 * above the backends (allocation on the operand's device, transfers, element access, the same-device check,
 * {@code module.to}, losses, optimizers) then runs exactly as it would with a real GPU, and a forgotten host-address
 * use shows up as a wrong result or a mixed-device error. Use with try-with-resources: {@code install()} registers
 * it, {@code close()} unregisters it and checks that every device byte was freed.
 */
public final class HostDeviceBackend implements Backend, AutoCloseable {
    private final Backend cpu = Backends.of(Device.CPU);
    private final AtomicLong bytesInUse = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();
    private final Backend replaced;

    private HostDeviceBackend() {
        this.replaced = Backends.register(this);
    }

    /** Registers a fresh stand-in as the CUDA backend (one device, {@code cuda:0}). */
    public static HostDeviceBackend install() {
        return new HostDeviceBackend();
    }

    /** Bytes of "device" memory allocated and not yet freed. */
    public long bytesInUse() {
        return bytesInUse.get();
    }

    public long allocations() {
        return allocations.get();
    }

    @Override
    public void close() {
        Backends.unregister(this);
        if (replaced != null) {
            Backends.register(replaced);
        }
        if (bytesInUse.get() != 0) {
            throw new AssertionError("device memory leaked: " + bytesInUse.get() + " bytes still allocated");
        }
    }

    @Override
    public Device.Type deviceType() {
        return Device.Type.CUDA;
    }

    @Override
    public int deviceCount() {
        return 1;
    }

    @Override
    public PointwiseKernels pointwise() {
        return cpu.pointwise();
    }

    @Override
    public ReduceKernels reduce() {
        return cpu.reduce();
    }

    @Override
    public IndexKernels index() {
        return cpu.index();
    }

    @Override
    public LinalgKernels linalg() {
        return cpu.linalg();
    }

    @Override
    public ConvKernels conv() {
        return cpu.conv();
    }

    @Override
    public RandomKernels random() {
        return cpu.random();
    }

    @Override
    public MemoryKernels memory() {
        return memory;
    }

    private final MemoryKernels memory = new MemoryKernels() {
        @Override
        public Storage allocate(Device device, BufferAllocator hostAllocator, long byteSize, boolean zeroed) {
            if (!device.isCuda()) {
                throw new AssertionError("the stand-in device backend was asked for memory on " + device);
            }
            long address = Unsafe.allocateMemory(byteSize);
            if (zeroed) {
                Unsafe.setMemory(address, Math.max(byteSize, 1), (byte) 0);
            }
            bytesInUse.addAndGet(byteSize);
            allocations.incrementAndGet();
            return Storage.onDevice(new DeviceBlock() {
                @Override
                public Device device() {
                    return device;
                }

                @Override
                public long address() {
                    return address;
                }

                @Override
                public long byteSize() {
                    return byteSize;
                }

                @Override
                public void free() {
                    Unsafe.freeMemory(address);
                    bytesInUse.addAndGet(-byteSize);
                }
            });
        }

        @Override
        public void transfer(KernelArg src, KernelArg dst) {
            if (src.device().equals(dst.device())) {
                throw new AssertionError("transfer within one device: " + src + " -> " + dst);
            }
            Unsafe.copyMemory(src.dataAddress(), dst.dataAddress(), src.numel() * src.dtype().byteSize());
        }

        @Override
        public void write(Object javaArray, KernelArg dst) {
            if (javaArray instanceof double[] values && dst.dtype() != DType.FLOAT64) {
                for (int i = 0; i < values.length; i++) {
                    Elements.put(dst.dtype(), dst.dataAddress() + (long) i * dst.dtype().byteSize(), values[i]);
                }
                return;
            }
            Unsafe.copyArray(javaArray, dst.dataAddress(), dst.numel() * dst.dtype().byteSize(), false);
        }

        @Override
        public void read(KernelArg src, Object javaArray) {
            Unsafe.copyArray(javaArray, src.dataAddress(), src.numel() * src.dtype().byteSize(), true);
        }

        @Override
        public double getDouble(KernelArg t, long storageIndex) {
            return Elements.get(t.dtype(), t.storage().address() + storageIndex * t.dtype().byteSize());
        }

        @Override
        public long getLong(KernelArg t, long storageIndex) {
            return Elements.getLong(t.dtype(), t.storage().address() + storageIndex * t.dtype().byteSize());
        }

        @Override
        public void putDouble(KernelArg t, long storageIndex, double value) {
            Elements.put(t.dtype(), t.storage().address() + storageIndex * t.dtype().byteSize(), value);
        }

        @Override
        public void synchronize(Device device) {
        }
    };
}
