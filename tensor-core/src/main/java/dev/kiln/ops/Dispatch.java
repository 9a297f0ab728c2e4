package dev.kiln.ops;

import dev.kiln.backend.Backend;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;

/**
 * Picks the backend for an op's operands after checking they share one device, with PyTorch's error. Fixed arities
 * keep the common calls free of a varargs array.
 */
public final class Dispatch {
    private Dispatch() {
    }

    public static Backend on(Tensor a) {
        return Backend.of(a.device());
    }

    public static Backend on(Tensor a, Tensor b) {
        Device d = a.device();
        same(d, b);
        return Backend.of(d);
    }

    public static Backend on(Tensor a, Tensor b, Tensor c) {
        Device d = a.device();
        same(d, b);
        same(d, c);
        return Backend.of(d);
    }

    public static Backend on(Tensor a, Tensor b, Tensor c, Tensor d) {
        Device dev = a.device();
        same(dev, b);
        same(dev, c);
        same(dev, d);
        return Backend.of(dev);
    }

    /** Throws unless {@code t} is on {@code device} ({@code t} may be null: an absent optional operand). */
    public static void same(Device device, Tensor t) {
        if (t != null && t.device() != device && !t.device().equals(device)) {
            throw new IllegalArgumentException("Expected all tensors to be on the same device, but found at least two "
                    + "devices, " + device + " and " + t.device() + "!");
        }
    }
}
