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
    /** What a parameter is, for checks against the PTX's declarations. */
    enum Kind { I32, I64, F32, F64, POINTER, LAYOUT }

    private NativePointerObject[] values = new NativePointerObject[12];
    private Kind[] kinds = new Kind[12];
    private long[] scalars = new long[12]; // the value's bits (the address for pointers), for tests
    private int size;

    private Params add(Pointer p, Kind kind, long bits) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
            kinds = Arrays.copyOf(kinds, size * 2);
            scalars = Arrays.copyOf(scalars, size * 2);
        }
        values[size] = p;
        kinds[size] = kind;
        scalars[size] = bits;
        size++;
        return this;
    }

    /** An {@code int}. */
    Params i32(int v) {
        return add(Pointer.to(new int[] {v}), Kind.I32, v);
    }

    /** A {@code long long}. */
    Params i64(long v) {
        return add(Pointer.to(new long[] {v}), Kind.I64, v);
    }

    /** A {@code double}. */
    Params f64(double v) {
        return add(Pointer.to(new double[] {v}), Kind.F64, Double.doubleToRawLongBits(v));
    }

    /** A {@code float}. */
    Params f32(float v) {
        return add(Pointer.to(new float[] {v}), Kind.F32, Float.floatToRawIntBits(v));
    }

    /** A device pointer {@code T*} (0 for NULL), passed as its 64-bit address. */
    Params ptr(long deviceAddress) {
        return add(Pointer.to(new long[] {deviceAddress}), Kind.POINTER, deviceAddress);
    }

    /** A {@code Layout} by value. */
    Params layout(KernelArg t) {
        return layout(Layout.of(t));
    }

    /** {@code t}'s data pointer (element [0..0]) followed by its {@code Layout}: the usual operand pair. */
    Params tensor(KernelArg t) {
        return ptr(t.dataAddress()).layout(t);
    }

    /**
     * As {@link #tensor}, for kernels that only walk elements in row-major order (pointwise, the input of a
     * reduction): a contiguous tensor of more than {@link Layout#MAX_DIMS} dims is passed as its 1-d flattening,
     * which walks the same elements in the same order.
     */
    Params elements(KernelArg t) {
        if (t.dim() > Layout.MAX_DIMS && t.isContiguous()) {
            return ptr(t.dataAddress()).layout(Layout.pack(new long[] {t.numel()}, new long[] {1}, true, t));
        }
        return tensor(t);
    }

    /** A {@code Layout} packed by {@link Layout}. */
    Params layout(byte[] packed) {
        return add(Pointer.to(packed), Kind.LAYOUT, 0);
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

    /** Parameter {@code i}'s kind. */
    Kind kind(int i) {
        return kinds[i];
    }

    /** Parameter {@code i}'s bits: the value of an integer, the raw bits of a floating value, a pointer's address. */
    long bits(int i) {
        return scalars[i];
    }

    Pointer build() {
        return Pointer.to(Arrays.copyOf(values, size));
    }
}
