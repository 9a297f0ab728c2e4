package dev.kiln.memory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A debugging aid for the native memory Kiln's kernels write through raw addresses: with
 * {@code -Dkiln.debug.guardBytes=N} (a multiple of 64; default 0, off) every host block gets {@code N} bytes of a
 * known pattern before and after it, checked when the block is released. A kernel that writes past either end of a
 * tensor's buffer (which would otherwise corrupt malloc's bookkeeping and crash the JVM later, somewhere else) is
 * reported on stderr with the block's size and the first damaged offset, and counted in {@link #violations()}.
 *
 * <p>The guards cost two fills and two scans per block: for hunting a crash, not for production runs.
 */
public final class GuardBytes {
    static final long BYTES = guardSize(Long.getLong("kiln.debug.guardBytes", 0));
    private static final byte PATTERN = (byte) 0xA5;
    private static final AtomicLong VIOLATIONS = new AtomicLong();

    private GuardBytes() {
    }

    static long guardSize(long requested) {
        if (requested < 0 || requested % 64 != 0) {
            throw new IllegalArgumentException("kiln.debug.guardBytes must be a non-negative multiple of 64 (keeps "
                    + "blocks 64-byte aligned), got " + requested);
        }
        return requested;
    }

    /** Blocks released so far whose guards had been overwritten. */
    public static long violations() {
        return VIOLATIONS.get();
    }

    /** The raw allocation for a {@code size}-byte block: the block plus both guards. */
    static long rawSize(long size) {
        return size + 2 * BYTES;
    }

    /** Writes both guards around the block at {@code raw} and returns the block's address. */
    static long arm(long raw, long size) {
        return arm(raw, size, BYTES);
    }

    static long arm(long raw, long size, long guard) {
        if (guard == 0) {
            return raw;
        }
        Unsafe.setMemory(raw, guard, PATTERN);
        Unsafe.setMemory(raw + guard + size, guard, PATTERN);
        return raw + guard;
    }

    /** Checks both guards of the block at {@code address}; returns the raw address to free. */
    static long check(long address, long size) {
        return check(address, size, BYTES);
    }

    static long check(long address, long size, long guard) {
        if (guard == 0) {
            return address;
        }
        long raw = address - guard;
        long before = firstDamaged(raw, guard);
        long after = firstDamaged(address + size, guard);
        if (before >= 0 || after >= 0) {
            VIOLATIONS.incrementAndGet();
            System.err.println("Kiln: a kernel wrote outside a " + size + "-byte host block: "
                    + (before >= 0 ? "the guard before it is damaged at byte " + (before - guard) + " " : "")
                    + (after >= 0 ? "the guard after it is damaged at byte " + (size + after) : "")
                    + " (offsets relative to the block's start)");
            new Throwable("block released here").printStackTrace();
        }
        return raw;
    }

    private static long firstDamaged(long guard, long bytes) {
        for (long i = 0; i < bytes; i++) {
            if (Unsafe.getByte(guard + i) != PATTERN) {
                return i;
            }
        }
        return -1;
    }
}
