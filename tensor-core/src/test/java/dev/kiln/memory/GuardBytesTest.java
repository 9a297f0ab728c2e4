package dev.kiln.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/** The debugging guards around host blocks: intact guards pass silently, a write past either end is counted. */
class GuardBytesTest extends KilnTest {
    private static final long GUARD = 64;

    @Test
    void writesInsideTheBlockPassAndWritesPastEitherEndAreReported() {
        for (long offset : new long[] {-1, 100, 0, 99}) {
            long raw = Unsafe.allocateMemory(100 + 2 * GUARD);
            try {
                long block = GuardBytes.arm(raw, 100, GUARD);
                assertEquals(raw + GUARD, block);
                long before = GuardBytes.violations();
                Unsafe.putByte(block + offset, (byte) 1);
                assertEquals(raw, GuardBytes.check(block, 100, GUARD));
                boolean outside = offset < 0 || offset >= 100;
                assertEquals(before + (outside ? 1 : 0), GuardBytes.violations(), "write at " + offset);
            } finally {
                Unsafe.freeMemory(raw);
            }
        }
    }

    @Test
    void guardSizeMustKeepBlocksAligned() {
        assertEquals(0, GuardBytes.guardSize(0));
        assertEquals(128, GuardBytes.guardSize(128));
        assertThrows(IllegalArgumentException.class, () -> GuardBytes.guardSize(10));
    }

    @Test
    void aWriteAfterReleaseIsFoundWhenTheBlockLeavesTheQuarantine() {
        for (boolean writeAfterRelease : new boolean[] {false, true}) {
            long raw = Unsafe.allocateMemory(100 + 2 * GUARD);
            try {
                long block = GuardBytes.arm(raw, 100, GUARD);
                GuardBytes.poison(block, 100); // released
                if (writeAfterRelease) {
                    Unsafe.putFloat(block + 40, 1f);
                }
                long before = GuardBytes.violations();
                assertEquals(raw, GuardBytes.checkPoison(block, 100, GUARD));
                assertEquals(before + (writeAfterRelease ? 1 : 0), GuardBytes.violations());
            } finally {
                Unsafe.freeMemory(raw);
            }
        }
    }
}
