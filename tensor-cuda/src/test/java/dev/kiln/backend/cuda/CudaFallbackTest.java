package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.kiln.backend.Backend;
import dev.kiln.backend.Backends;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * With this jar on the classpath and no usable GPU (no NVIDIA driver here: JCuda's driver library cannot load
 * {@code libcuda.so.1}), Kiln finds the CUDA backend, reports no device with the reason, refuses to move anything
 * to the GPU with an error naming the device and the reason, and keeps working on the CPU. The tests that need the
 * fallback skip themselves where a GPU is present.
 */
class CudaFallbackTest extends KilnTest {
    private static final Device CUDA = Device.cuda(0);

    private static void assumeNoGpu() {
        assumeFalse(Device.cudaIsAvailable(), "a CUDA device is present: the no-driver path is not taken here");
    }

    @Test
    void serviceLoaderFindsBothBackendsAndTheRegistryPicksTheCudaOne() {
        Set<Device.Type> types = ServiceLoader.load(Backend.class).stream()
                .map(p -> p.get().deviceType()).collect(Collectors.toSet());
        assertEquals(Set.of(Device.Type.CPU, Device.Type.CUDA), types);
        assertInstanceOf(CudaBackend.class, Backends.find(Device.Type.CUDA));
    }

    @Test
    void reportsNoDeviceWithTheReasonAndNeverThrows() {
        assumeNoGpu();
        Backend cuda = Backends.find(Device.Type.CUDA);
        assertEquals(0, cuda.deviceCount());
        assertEquals(0, cuda.deviceCount(), "the probe's answer is cached, and a second call does not throw");
        String reason = cuda.unavailableReason();
        assertTrue(reason.contains("libcuda.so.1") || reason.contains("cuInit") || reason.contains("no CUDA device"),
                "the reason names the missing driver library (or the driver's own answer): " + reason);
        assertFalse(reason.contains("\n"), "one line: " + reason);
        assertFalse(Device.cudaIsAvailable());
        assertEquals(0, Device.cudaDeviceCount());
        assertFalse(Backends.isAvailable(Device.Type.CUDA));
    }

    @Test
    void movingATensorToTheGpuFailsNamingTheDeviceAndTheReason() {
        assumeNoGpu();
        Tensor t = Tensor.ones(2);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> t.to(CUDA));
        assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
        assertTrue(e.getMessage().contains(Backends.find(Device.Type.CUDA).unavailableReason()), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> Tensor.empty(CUDA, dev.kiln.tensor.DType.FLOAT32, 3));
    }

    @Test
    void movingAModuleToTheGpuFailsAndLeavesItUsableOnTheCpu() {
        assumeNoGpu();
        try (Sequential model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2))) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> model.to(CUDA));
            assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
            Tensor y = model.forward(Tensor.ones(5, 3));
            assertArrayEquals(new long[] {5, 2}, y.shape());
            assertEquals(Device.CPU, y.device());
        }
    }

    @Test
    void cpuOpsStillWork() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        Tensor y = x.mul(x).sum();
        y.backward();
        assertEquals(14.0, y.item(), 0);
        assertArrayEquals(new double[] {2, 4, 6}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void memoryStatsAreZeroAndEmptyCacheIsANoOpWithoutAGpu() {
        assumeNoGpu();
        assertEquals(new CudaMemoryStats(0, 0, 0, 0, 0, 0), CudaMemory.stats(CUDA));
        assertEquals(0, CudaMemory.emptyCache());
    }

    @Test
    void theBackendsKernelsRefuseHostMemoryAndMissingDevices() {
        assumeNoGpu();
        Backend cuda = Backends.find(Device.Type.CUDA);
        Tensor t = Tensor.ones(2);
        IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
                () -> cuda.pointwise().fill(t.arg(), 1));
        assertTrue(host.getMessage().contains("cpu"), host.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> cuda.memory().synchronize(CUDA));
    }

    /** The probe names the shipped PTX's ISA version when a driver cannot load it. */
    @Test
    void readsTheShippedPtxIsaVersion() {
        assertTrue(CudaDevice.ptxIsaVersion(KernelNames.Family.GEMM).matches("\\d+\\.\\d+"),
                CudaDevice.ptxIsaVersion(KernelNames.Family.GEMM));
        byte[] ptx = CudaDevice.readPtx(KernelNames.Family.POINTWISE);
        assertEquals(0, ptx[ptx.length - 1], "NUL-terminated for cuModuleLoadData");
    }

    /** The one-line reason is cut out of JCuda's multi-line loader error (its text as seen on a driverless host). */
    @Test
    void describesJCudasLoaderErrorInOneLine() {
        String jcuda = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Operating system name: Linux\n---(start of nested stack traces)---\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot "
                + "open shared object file: No such file or directory\n---(end of nested stack traces)---\n";
        assertEquals("the NVIDIA driver library is missing (libcuda.so.1: cannot open shared object file: No such "
                + "file or directory): no NVIDIA driver on this machine",
                CudaRuntime.describe(new UnsatisfiedLinkError(jcuda)));
        assertTrue(CudaRuntime.describe(new NoClassDefFoundError("Could not initialize class jcuda.driver.JCudaDriver"))
                .contains("failed to load earlier"));
        assertEquals("JCuda's driver bindings failed: IllegalStateException: first line",
                CudaRuntime.describe(new IllegalStateException("first line\nsecond")));
    }
}
