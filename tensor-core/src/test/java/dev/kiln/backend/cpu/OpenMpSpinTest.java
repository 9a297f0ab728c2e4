package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** When Kiln keeps a kernel on the calling thread because oneDNN's OpenMP workers may still be spinning. */
class OpenMpSpinTest extends KilnTest {
    @Test
    void libgompSpinsUnlessPassiveOrZeroSpinCount() {
        assertTrue(OpenMpSpin.spinsByDefault(null, null));
        assertTrue(OpenMpSpin.spinsByDefault("ACTIVE", null));
        assertFalse(OpenMpSpin.spinsByDefault("PASSIVE", null));
        assertFalse(OpenMpSpin.spinsByDefault(" passive ", "300000"));
        assertFalse(OpenMpSpin.spinsByDefault(null, "0"));
    }

    @Test
    void smallWorkRightAfterARegionStaysOnTheCallerOnlyWhereOpenMpSpins() {
        boolean spins = OpenMpSpin.spinsByDefault(System.getenv("OMP_WAIT_POLICY"), System.getenv("GOMP_SPINCOUNT"));
        OpenMpSpin.regionEnded();
        assertEquals(spins, OpenMpSpin.keepOnCaller(Parallel.GRAIN));
        assertFalse(OpenMpSpin.keepOnCaller(OpenMpSpin.SMALL_WORK), "large work is always shared");
        System.setProperty("kiln.ompSpinAware", "false");
        try {
            assertFalse(OpenMpSpin.keepOnCaller(Parallel.GRAIN), "switched off");
        } finally {
            System.clearProperty("kiln.ompSpinAware");
        }
    }

    @Test
    void keptWorkStillCoversTheWholeRangeOnce() {
        OpenMpSpin.regionEnded();
        AtomicInteger covered = new AtomicInteger();
        Parallel.forRange(1 << 18, 1, (lo, hi) -> covered.addAndGet((int) (hi - lo)));
        assertEquals(1 << 18, covered.get());
    }
}
