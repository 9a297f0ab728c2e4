package dev.kiln.memory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A debugging aid for the native memory Kiln's kernels write through raw addresses: with
 * {@code -Dkiln.debug.guardBytes=N} (a multiple of 64; default 0, off) every host block gets {@code N} bytes of a
 * known pattern before and after it, checked when the block is released. A kernel that writes past either end of a
 * tensor's buffer (which would otherwise corrupt malloc's bookkeeping and crash the JVM later, somewhere else) is
 * reported on stderr with the block's size and the first damaged offset, and counted in {@link #violations()}.
 *
 * <p>Released blocks are also poisoned and held in a quarantine (up to {@code kiln.debug.quarantineBytes}, default
 * 256 MiB) before they go back to malloc; a block whose poison changed while quarantined was written after its
 * tensor released it (a kernel racing a release, or a missing reachability fence), reported the same way.
 *
 * <p>The guards cost fills and scans of every block: for hunting a crash, not for production runs.
 */
public final class GuardBytes {
    static final long BYTES = guardSize(Long.getLong("kiln.debug.guardBytes", 0));
    private static final byte PATTERN = (byte) 0xA5;
    private static final byte POISON = (byte) 0xDD;
    private static final AtomicLong VIOLATIONS = new AtomicLong();
    private static final long QUARANTINE_LIMIT = Long.getLong("kiln.debug.quarantineBytes", 256L << 20);
    private static final java.util.ArrayDeque<long[]> QUARANTINE = new java.util.ArrayDeque<>();
    private static long quarantined;

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
            new Throwable("block checked here").printStackTrace();
        }
        return raw;
    }

    /** Guards on: true when the block must not be freed or cached now ({@link #quarantine} took it). */
    static boolean enabled() {
        return BYTES > 0;
    }

    /**
     * Poisons the released block at {@code address} and queues it; returns the raw addresses of blocks that left the
     * quarantine (checked; the caller frees them).
     */
    static synchronized long[] quarantine(long address, long size) {
        check(address, size, BYTES); // at release, so the report's stack shows who released it
        poison(address, size);
        QUARANTINE.addLast(new long[] {address, size});
        quarantined += size;
        java.util.List<Long> out = new java.util.ArrayList<>();
        while (quarantined > QUARANTINE_LIMIT && !QUARANTINE.isEmpty()) {
            long[] b = QUARANTINE.pollFirst();
            quarantined -= b[1];
            out.add(checkPoison(b[0], b[1], BYTES));
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** Empties the quarantine (every block checked); returns the raw addresses to free. */
    static synchronized long[] drain() {
        long[] out = new long[QUARANTINE.size()];
        for (int i = 0; i < out.length; i++) {
            long[] b = QUARANTINE.pollFirst();
            out[i] = checkPoison(b[0], b[1], BYTES);
        }
        quarantined = 0;
        return out;
    }

    /** Checks a quarantined block's poison and guards; returns its raw address. */
    static long checkPoison(long address, long size, long guard) {
        long damaged = firstDamaged(address, size, POISON);
        if (damaged >= 0) {
            VIOLATIONS.incrementAndGet();
            System.err.println("Kiln: a " + size + "-byte host block was written after it was released, first at byte "
                    + damaged + " (a kernel still running on a released tensor)");
        }
        return check(address, size, guard);
    }

    /** Poisons a block as {@link #quarantine} does (for tests). */
    static void poison(long address, long size) {
        Unsafe.setMemory(address, size, POISON);
    }

    private static long firstDamaged(long guard, long bytes) {
        return firstDamaged(guard, bytes, PATTERN);
    }

    private static long firstDamaged(long guard, long bytes, byte pattern) {
        for (long i = 0; i < bytes; i++) {
            if (Unsafe.getByte(guard + i) != pattern) {
                return i;
            }
        }
        return -1;
    }
}
