package dev.kiln.backend.cpu;

import dev.kiln.backend.KernelArg;
import dev.kiln.memory.HalfFloats;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;

/**
 * Conversions to and from float16/bfloat16, rounding to nearest even as PyTorch's {@code .half()} and
 * {@code .bfloat16()} do (NaN stays NaN, float16 overflows to infinity and keeps subnormals; wider types go through
 * float32 first, as ATen's casts do). float32 to and from either half type, the conversions every half-precision
 * kernel call makes ({@code HalfAsFloat32}), have their own loops; the rest go through a double.
 */
final class HalfCasts {
    private HalfCasts() {
    }

    /** {@code dst = src} converted, where at least one of them is float16 or bfloat16 and their dtypes differ. */
    static void copy(KernelArg src, KernelArg dst) {
        DType st = src.dtype();
        DType dt = dst.dtype();
        if (st == DType.FLOAT32 && dt.isHalf()) {
            boolean bf = dt == DType.BFLOAT16;
            StridedLoop.run((n, p, s) -> {
                long pa = p[0], po = p[1], sa = s[0], so = s[1];
                for (long i = 0; i < n; i++, pa += sa, po += so) {
                    float f = Unsafe.getFloat(pa);
                    Unsafe.putShort(po, bf ? HalfFloats.floatToBfloat16(f) : HalfFloats.floatToHalf(f));
                }
            }, src, dst);
        } else if (st.isHalf() && dt == DType.FLOAT32) {
            boolean bf = st == DType.BFLOAT16;
            StridedLoop.run((n, p, s) -> {
                long pa = p[0], po = p[1], sa = s[0], so = s[1];
                for (long i = 0; i < n; i++, pa += sa, po += so) {
                    Unsafe.putFloat(po, HalfFloats.toFloat(Unsafe.getShort(pa), bf));
                }
            }, src, dst);
        } else {
            StridedLoop.run((n, p, s) -> {
                for (long i = 0; i < n; i++) {
                    Access.put(dt, p[1] + i * s[1], Access.get(st, p[0] + i * s[0]));
                }
            }, src, dst);
        }
    }
}
