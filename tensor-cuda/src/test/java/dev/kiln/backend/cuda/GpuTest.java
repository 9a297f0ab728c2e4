package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.Backends;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.Arrays;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base of the tests that use a GPU: those that need one call {@link #assumeGpu()} and skip with a visible reason
 * where there is none. Every test is a device leak test on top of {@link KilnTest}'s host one: after the test (and
 * after KilnTest's scope has closed its tensors), cuda:0 must hold exactly the blocks it held before.
 */
abstract class GpuTest extends KilnTest {
    static final Device CUDA = Device.cuda(0);

    @RegisterExtension
    final DeviceLeakCheck deviceLeaks = new DeviceLeakCheck();

    static void assumeGpu() {
        assumeTrue(Device.cudaIsAvailable(), () -> "no CUDA device: "
                + Backends.find(Device.Type.CUDA).unavailableReason());
    }

    /** Runs after every {@code @AfterEach} (so after KilnTest closed the test's scope). */
    static final class DeviceLeakCheck implements BeforeEachCallback, AfterEachCallback {
        private CudaMemoryStats before;

        @Override
        public void beforeEach(ExtensionContext context) {
            before = Device.cudaIsAvailable() ? CudaMemory.stats(CUDA) : null;
        }

        @Override
        public void afterEach(ExtensionContext context) {
            if (before == null) {
                return;
            }
            CudaMemoryStats after = CudaMemory.stats(CUDA);
            if (after.activeBlocks() != before.activeBlocks() || after.allocatedBytes() != before.allocatedBytes()) {
                throw new AssertionError("device memory leaked on " + CUDA + ": " + after.activeBlocks() + " blocks / "
                        + after.allocatedBytes() + " bytes in use after the test, " + before.activeBlocks() + " / "
                        + before.allocatedBytes() + " before");
            }
        }
    }

    /** {@code |got - expected| <= tol * max(1, |expected|)} elementwise (NaN only where NaN), naming the element. */
    static void assertClose(String what, double[] expected, double[] got, double tol) {
        if (expected.length != got.length) {
            throw new AssertionError(what + ": " + got.length + " elements, expected " + expected.length);
        }
        for (int i = 0; i < got.length; i++) {
            double e = expected[i];
            boolean ok = Double.isNaN(e) ? Double.isNaN(got[i])
                    : got[i] == e || Math.abs(got[i] - e) <= tol * Math.max(1, Math.abs(e));
            if (!ok) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + e + " (tolerance "
                        + tol + ")");
            }
        }
    }

    /** A GPU tensor's values and shape against a CPU tensor's. */
    static void assertClose(String what, Tensor expectedCpu, Tensor gotGpu, double tol) {
        if (!Arrays.equals(expectedCpu.shape(), gotGpu.shape())) {
            throw new AssertionError(what + ": shape " + Arrays.toString(gotGpu.shape()) + ", expected "
                    + Arrays.toString(expectedCpu.shape()));
        }
        assertClose(what, expectedCpu.contiguous().toDoubleArray(), gotGpu.to(Device.CPU).contiguous().toDoubleArray(),
                tol);
    }
}
