package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.backend.Window2d;
import java.util.Arrays;
import jcuda.NativePointerObject;
import jcuda.Pointer;

/**
 * A kernel's parameter list for {@code cuLaunchKernel}, in declaration order: each entry points at the value's bytes
 * (a one-element Java array, or the packed {@link Layout}). Device pointers are passed as their 64-bit address, the
 * bytes a {@code T*} parameter holds. The driver copies every value at launch.
 */
final class Params {
    private NativePointerObject[] values = new NativePointerObject[12];
    private int size;

    private Params add(Pointer p) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = p;
        return this;
    }

    /** An {@code int}. */
    Params i32(int v) {
        return add(Pointer.to(new int[] {v}));
    }

    /** A {@code long long}. */
    Params i64(long v) {
        return add(Pointer.to(new long[] {v}));
    }

    /** A {@code double}. */
    Params f64(double v) {
        return add(Pointer.to(new double[] {v}));
    }

    /** A {@code float}. */
    Params f32(float v) {
        return add(Pointer.to(new float[] {v}));
    }

    /** A device pointer {@code T*} (0 for NULL). */
    Params ptr(long deviceAddress) {
        return i64(deviceAddress);
    }

    /** A {@code Layout} by value. */
    Params layout(KernelArg t) {
        return add(Pointer.to(Layout.of(t)));
    }

    /** {@code t}'s data pointer (element [0..0]) followed by its {@code Layout}: the usual operand pair. */
    Params tensor(KernelArg t) {
        return ptr(t.dataAddress()).layout(t);
    }

    /** A {@code Layout} given by hand (e.g. a contiguous view). */
    Params layout(byte[] packed) {
        return add(Pointer.to(packed));
    }

    /** {@code int N, int C, int H, int W} of a 4-d image. */
    Params dims(KernelArg image) {
        if (image.dim() != 4) {
            throw new IllegalArgumentException("expected a 4-d [N, C, H, W] image, got " + image);
        }
        for (int i = 0; i < 4; i++) {
            i32(CudaConv.toInt(image.size(i)));
        }
        return this;
    }

    /** A {@code Window2d}'s ten fields as ints, in record order. */
    Params window(Window2d w) {
        return i32(w.kh()).i32(w.kw()).i32(w.sh()).i32(w.sw()).i32(w.ph()).i32(w.pw()).i32(w.dh()).i32(w.dw())
                .i32(w.oh()).i32(w.ow());
    }

    int size() {
        return size;
    }

    Pointer build() {
        return Pointer.to(Arrays.copyOf(values, size));
    }
}
