package dev.kiln.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.Kiln;
import dev.kiln.testing.KilnTest;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@link Parallel#forRange} returns only after every chunk has finished, also when a chunk throws. */
class ParallelTest extends KilnTest {
    /** Work above {@link OpenMpSpin#SMALL_WORK}, so the range is split even right after a oneDNN call. */
    private static final long COST = OpenMpSpin.SMALL_WORK;

    @Test
    void aThrowingCallerChunkStillWaitsForThePoolChunks() {
        assumeTrue(Kiln.numThreads() >= 2 && Runtime.getRuntime().availableProcessors() >= 2, "needs two threads");
        AtomicBoolean poolChunkDone = new AtomicBoolean();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(2, COST,
                (lo, hi) -> {
                    if (lo == 0) { // the pool's chunk: still "writing" when the caller's chunk fails
                        sleep(300);
                        poolChunkDone.set(true);
                    } else {
                        throw new IllegalStateException("caller's chunk failed");
                    }
                }));
        assertEquals("caller's chunk failed", e.getMessage());
        // Before the fix forRange threw at once, while the pool chunk still ran: a kernel's fence on its tensors ends
        // when forRange returns, so such a chunk could write a block that was already released and reused.
        assertTrue(poolChunkDone.get(), "forRange returned while a pool chunk was still running");
    }

    @Test
    void failuresOfSeveralChunksAreAllReported() {
        assumeTrue(Kiln.numThreads() >= 2 && Runtime.getRuntime().availableProcessors() >= 2, "needs two threads");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(2, COST,
                (lo, hi) -> {
                    throw new IllegalStateException("chunk " + lo);
                }));
        assertEquals("chunk 1", e.getMessage(), "the caller's own chunk is reported first");
        assertEquals(1, e.getSuppressed().length);
        assertTrue(e.getSuppressed()[0].getMessage().contains("chunk 0"), e.getSuppressed()[0].toString());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
