package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.Kiln;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.function.BooleanSupplier;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;

/**
 * oneDNN stays out of the way of JFR's execution sampler (README, "Profiling with JFR"): a running recording with
 * {@code jdk.ExecutionSample} turns {@link DnnlGemm#use()} off, products still come out right (OpenBLAS), and oneDNN is
 * used again when the recording stops; recordings that do not sample execution change nothing.
 */
class JfrSamplingTest extends KilnTest {

    @Test
    void anExecutionSamplingRecordingKeepsOneDnnOffUntilItStops() {
        assumeOneDnnInUse();
        Tensor a = Tensor.randn(new long[] {96, 80}, DType.FLOAT32, new Generator(1));
        Tensor b = Tensor.randn(new long[] {80, 70}, DType.FLOAT32, new Generator(2));
        double[] withOneDnn = a.matmul(b).toDoubleArray();
        try (Recording r = new Recording()) {
            r.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(10));
            r.start();
            awaitTrue(JfrSampling::active, "the guard sees the sampling recording");
            assertFalse(DnnlGemm.use(), "no oneDNN while execution is sampled");
            assertArrayEquals(withOneDnn, a.matmul(b).toDoubleArray(), 1e-4, "OpenBLAS computes the same product");
            r.stop();
            awaitTrue(() -> !JfrSampling.active(), "the guard sees the recording stop");
        }
        assertTrue(DnnlGemm.use(), "oneDNN again once no recording samples execution");
    }

    @Test
    void aRecordingWithoutExecutionSamplesChangesNothing() {
        assumeOneDnnInUse();
        try (Recording r = new Recording()) {
            r.enable("jdk.GarbageCollection");
            r.disable("jdk.ExecutionSample");
            r.start();
            assertFalse(JfrSampling.active());
            assertTrue(DnnlGemm.use());
            r.stop();
        }
        assertEquals(false, JfrSampling.active());
    }

    private static void assumeOneDnnInUse() {
        assumeTrue(Kiln.numThreads() >= Runtime.getRuntime().availableProcessors() && DnnlGemm.use(),
                "oneDNN is not in use here (not loaded, or this thread has a share of the cores)");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out after 10 s waiting until " + what);
            Thread.onSpinWait();
        }
    }
}
