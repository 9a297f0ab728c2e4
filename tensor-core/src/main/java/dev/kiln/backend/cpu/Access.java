package dev.kiln.backend.cpu;

import dev.kiln.memory.Elements;
import dev.kiln.tensor.DType;

/** Short local names for {@link Elements} in the CPU kernels. */
final class Access {
    private Access() {
    }

    static double get(DType t, long addr) {
        return Elements.get(t, addr);
    }

    static void put(DType t, long addr, double v) {
        Elements.put(t, addr, v);
    }

    static long getLong(DType t, long addr) {
        return Elements.getLong(t, addr);
    }

    static void putLong(DType t, long addr, long v) {
        Elements.putLong(t, addr, v);
    }
}
