package dev.kiln.memory;

/**
 * IEEE binary16 ({@code F16}) and bfloat16 ({@code BF16}) bit patterns to and from float, rounding as PyTorch's
 * {@code .half()} and {@code .bfloat16()} do: to nearest, ties to even; float16 overflows to infinity and keeps
 * subnormals; NaN becomes the canonical quiet NaN. A float64 is first rounded to float32, as ATen's casts do
 * (so a few doubles round twice, exactly as in PyTorch). Widening back to float is exact.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7F_FFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0)); // inf, or quiet NaN
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00); // too large: infinity
        }
        if (e <= 0) { // a half subnormal (or zero): value = m * 2^-24
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal
            }
            int m = mant | 0x80_0000;
            int shift = 14 - e;
            return (short) (sign | roundShift(m, shift));
        }
        // NOTE: a carry out of the mantissa correctly bumps the exponent (and 65520 up to infinity).
        return (short) (sign | ((e << 10) + roundShift(mant, 13)));
    }

    /** {@code m >> shift}, rounded to nearest with ties to even. */
    private static int roundShift(int m, int shift) {
        int kept = m >>> shift;
        int rem = m & ((1 << shift) - 1);
        int mid = 1 << (shift - 1);
        return rem > mid || (rem == mid && (kept & 1) == 1) ? kept + 1 : kept;
    }

    public static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero), exact
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    public static short floatToBfloat16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    public static float bfloat16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** {@code v} rounded to float16 or bfloat16 ({@code bfloat16} chooses) via float32, as ATen's casts do. */
    public static short fromDouble(double v, boolean bfloat16) {
        return bfloat16 ? floatToBfloat16((float) v) : floatToHalf((float) v);
    }

    /** The value of a float16 or bfloat16 bit pattern, exactly. */
    public static float toFloat(short bits, boolean bfloat16) {
        return bfloat16 ? bfloat16ToFloat(bits) : halfToFloat(bits);
    }
}
