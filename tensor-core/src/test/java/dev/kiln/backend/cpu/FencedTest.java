package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.IndexKernels;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/**
 * The kernel-entry fences: every SPI method is wrapped, and a wrapped kernel's tensor argument stays alive through
 * a GC that happens after the kernel's last Java use of it (while an unwrapped one, on this JVM, does not).
 */
class FencedTest extends KilnTest {

    @Test
    void everyKernelMethodIsFenced() throws NoSuchMethodException {
        check(PointwiseKernels.class, Fenced.Pointwise.class);
        check(ReduceKernels.class, Fenced.Reduce.class);
        check(IndexKernels.class, Fenced.Index.class);
        check(LinalgKernels.class, Fenced.Linalg.class);
        check(ConvKernels.class, Fenced.Conv.class);
        Backend cpu = Backend.of(Device.CPU);
        assertTrue(cpu.pointwise() instanceof Fenced.Pointwise && cpu.reduce() instanceof Fenced.Reduce
                && cpu.index() instanceof Fenced.Index && cpu.linalg() instanceof Fenced.Linalg
                && cpu.conv() instanceof Fenced.Conv, "CpuBackend must hand out the fenced families");
    }

    /** Default methods too: a missing override would silently run the interface default, not the CPU kernel. */
    private static void check(Class<?> spi, Class<?> fenced) throws NoSuchMethodException {
        for (Method m : spi.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            Method impl = fenced.getMethod(m.getName(), m.getParameterTypes());
            assertEquals(fenced, impl.getDeclaringClass(), fenced.getSimpleName() + " does not fence " + m);
        }
    }

    /**
     * A kernel that drops its input after taking the address, then lets a GC (and the Cleaner) run, as a long
     * native loop would. Records whether the input's storage was released while the "kernel" still ran.
     */
    private static final class DroppingKernel implements PointwiseKernels {
        boolean gc;
        int releasedMidKernel;

        @Override
        public void copy(KernelArg src, KernelArg dst) {
            Storage storage = src.storage(); // holds the Storage, not the Tensor: the Cleaner can still run
            long address = src.dataAddress(); // the last use of src
            if (gc && address != 0) {
                System.gc();
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(30);
                while (!storage.isReleased() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                if (storage.isReleased()) {
                    releasedMidKernel++;
                }
            }
        }

        @Override
        public void unary(UnaryOp op, KernelArg in, KernelArg out) {
        }

        @Override
        public void binary(BinaryOp op, KernelArg a, KernelArg b, KernelArg out) {
        }

        @Override
        public void where(KernelArg cond, KernelArg a, KernelArg b, KernelArg out) {
        }

        @Override
        public void clamp(KernelArg in, double min, double max, KernelArg out) {
        }

        @Override
        public void fill(KernelArg dst, double value) {
        }
    }

    /** Calls {@code k.copy(fresh, dst)} where the fresh tensor's only reference is the argument. */
    private static int run(PointwiseKernels k, DroppingKernel inner, BufferAllocator alloc, Tensor dst) {
        inner.gc = false;
        for (int i = 0; i < 30_000; i++) { // warm up: the hazard exists only in JIT-compiled frames
            k.copy(Tensor.allocate(alloc, DType.FLOAT32, new long[] {4}, false).arg(), dst.arg());
        }
        inner.gc = true;
        inner.releasedMidKernel = 0;
        for (int i = 0; i < 30; i++) {
            k.copy(Tensor.allocate(alloc, DType.FLOAT32, new long[] {4}, false).arg(), dst.arg());
        }
        return inner.releasedMidKernel;
    }

    @Test
    void aFencedKernelsInputSurvivesAGcAfterItsLastUse() throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor(); // no TensorScope holds the tensors there
        try (BufferAllocator alloc = allocator.newChildAllocator("fence", 0, Long.MAX_VALUE)) {
            int[] released = thread.submit(() -> {
                try (Tensor dst = Tensor.allocate(alloc, DType.FLOAT32, new long[] {4}, false)) {
                    DroppingKernel bare = new DroppingKernel();
                    int unfenced = run(bare, bare, alloc, dst);
                    DroppingKernel inner = new DroppingKernel();
                    int fenced = run(new Fenced.Pointwise(inner), inner, alloc, dst);
                    return new int[] {unfenced, fenced};
                }
            }).get(120, TimeUnit.SECONDS);
            System.out.println("FencedTest: input released mid-kernel in " + released[0] + "/30 unfenced calls, "
                    + released[1] + "/30 fenced calls");
            assertEquals(0, released[1], "a fenced kernel's input was freed while the kernel ran");
            for (int i = 0; i < 100 && alloc.getAllocatedMemory() > 0; i++) {
                System.gc();
                Thread.sleep(10);
            }
            assertEquals(0, alloc.getAllocatedMemory());
            // Proves the harness can see the hazard on this JVM (an interpreter or debugger keeps dead locals).
            assumeTrue(released[0] > 0, "this JVM kept the unfenced input alive; the hazard was not observable");
        } finally {
            thread.shutdownNow();
        }
    }
}
