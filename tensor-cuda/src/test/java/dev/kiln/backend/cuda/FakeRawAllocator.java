package dev.kiln.backend.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A device memory stand-in for the caching allocator's tests: hands out fake 512-aligned addresses, refuses
 * allocations beyond {@code capacity} (the driver's out-of-memory), and records every call.
 */
final class FakeRawAllocator implements RawAllocator {
    final long capacity;
    final Map<Long, Long> live = new HashMap<>(); // address -> bytes
    final List<String> calls = new ArrayList<>();
    long used;
    long next = 0x7f00_0000_0000L;
    int mallocs;
    int frees;
    int syncs;

    FakeRawAllocator(long capacity) {
        this.capacity = capacity;
    }

    @Override
    public long malloc(long bytes) {
        if (used + bytes > capacity) {
            calls.add("malloc " + bytes + " -> out of memory");
            return 0;
        }
        long address = next;
        next += (bytes + 511) / 512 * 512 + 512;
        live.put(address, bytes);
        used += bytes;
        mallocs++;
        calls.add("malloc " + bytes);
        return address;
    }

    @Override
    public void free(long address) {
        Long bytes = live.remove(address);
        if (bytes == null) {
            throw new AssertionError("free of an address never allocated or already freed: " + Long.toHexString(address));
        }
        if (syncs == 0) {
            throw new AssertionError("cuMemFree before the stream was synchronized");
        }
        used -= bytes;
        frees++;
        calls.add("free " + bytes);
    }

    @Override
    public void synchronize() {
        syncs++;
        calls.add("sync");
    }

    @Override
    public long[] memInfo() {
        return new long[] {capacity - used, capacity};
    }
}
