package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.tensor.Shapes;

/**
 * The {@code Layout} kernel argument of {@code kiln.cuh}, packed by hand:
 * <pre>
 * struct Layout { long long size[8]; long long stride[8]; int ndim; int contiguous; };   // 136 bytes, by value
 * </pre>
 * little-endian (every CUDA host is), sizes at byte 0, strides (in elements) at byte 64, {@code ndim} at 128,
 * {@code contiguous} at 132; entries past {@code ndim} are 0. A 0-d tensor has {@code ndim = 0} and one element.
 */
final class Layout {
    static final int MAX_DIMS = 8;
    static final int BYTES = 136;

    private Layout() {
    }

    /** {@code t}'s layout; throws for more than {@link #MAX_DIMS} dims. */
    static byte[] of(KernelArg t) {
        return pack(t.shape(), t.strides(), t.isContiguous(), t);
    }

    /** A layout for {@code shape}/{@code strides}; {@code what} names the tensor in errors. */
    static byte[] pack(long[] shape, long[] strides, boolean contiguous, Object what) {
        int nd = shape.length;
        if (nd > MAX_DIMS) {
            throw new IllegalArgumentException("CUDA kernels take tensors of at most " + MAX_DIMS + " dimensions, got "
                    + nd + " (" + what + " of shape " + Shapes.str(shape) + "); reshape or make it contiguous first");
        }
        byte[] b = new byte[BYTES];
        for (int d = 0; d < nd; d++) {
            putLong(b, 8 * d, shape[d]);
            putLong(b, 64 + 8 * d, strides[d]);
        }
        putInt(b, 128, nd);
        putInt(b, 132, contiguous ? 1 : 0);
        return b;
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
