// Per-element semantics of the pointwise kernels, written once as __host__ __device__ functions so that
// src/test/cuda/host_semantics.cu can check them on the host against the CPU backend (CpuPointwise, Elements).
#pragma once
#include "kiln.cuh"

// ------------------------------------------------------------------------------------------------ dtypes

// Storage kinds. BOOL has its own kind where its semantics differ from UINT8 (stores normalise to 0/1, reads
// test != 0); both are one byte.
struct F32 { typedef float S; static const bool floating = true; };
struct F64 { typedef double S; static const bool floating = true; };
struct I64 { typedef long long S; static const bool floating = false; };
struct I32 { typedef int S; static const bool floating = false; };
struct U8 { typedef unsigned char S; static const bool floating = false; };
struct B8 { typedef unsigned char S; static const bool floating = false; };
// float16 (IEEE binary16) and bfloat16, stored as their 16-bit patterns. Only copies and fills touch them: every
// other kernel sees float32 (HalfAsFloat32 widens the operands and rounds the results on the host side of the SPI).
struct F16 { typedef unsigned short S; static const bool floating = true; };
struct BF16 { typedef unsigned short S; static const bool floating = true; };

// ------------------------------------------------------------------------------------------------ half bits
// Bit-exact with dev.kiln.memory.HalfFloats (PyTorch's rounding): to nearest, ties to even; float16 overflows to
// infinity and keeps subnormals; NaN becomes a quiet NaN of the same sign (bfloat16: the canonical 0x7FC0).

__host__ __device__ __forceinline__ unsigned kiln_f32_bits(float f) {
    unsigned u;
    memcpy(&u, &f, 4);
    return u;
}

__host__ __device__ __forceinline__ float kiln_bits_f32(unsigned u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

// m >> shift, rounded to nearest with ties to even (1 <= shift <= 24).
__host__ __device__ __forceinline__ unsigned kiln_round_shift(unsigned m, int shift) {
    unsigned kept = m >> shift;
    unsigned rem = m & ((1u << shift) - 1u);
    unsigned mid = 1u << (shift - 1);
    return (rem > mid || (rem == mid && (kept & 1u))) ? kept + 1u : kept;
}

__host__ __device__ __forceinline__ unsigned short kiln_float_to_half(float f) {
    unsigned bits = kiln_f32_bits(f);
    unsigned sign = (bits >> 16) & 0x8000u;
    int exp = (int)((bits >> 23) & 0xFFu);
    unsigned mant = bits & 0x7FFFFFu;
    if (exp == 0xFF) {
        return (unsigned short)(sign | 0x7C00u | (mant != 0 ? 0x200u : 0u)); // inf, or quiet NaN
    }
    int e = exp - 127 + 15;
    if (e >= 0x1F) {
        return (unsigned short)(sign | 0x7C00u); // too large: infinity
    }
    if (e <= 0) { // a half subnormal (or zero): value = m * 2^-24
        if (e < -10) {
            return (unsigned short)sign;
        }
        return (unsigned short)(sign | kiln_round_shift(mant | 0x800000u, 14 - e));
    }
    // NOTE: a carry out of the mantissa correctly bumps the exponent (and 65520 up to infinity).
    return (unsigned short)(sign | (((unsigned)e << 10) + kiln_round_shift(mant, 13)));
}

__host__ __device__ __forceinline__ float kiln_half_to_float(unsigned short h) {
    unsigned sign = ((unsigned)h & 0x8000u) << 16;
    unsigned exp = ((unsigned)h >> 10) & 0x1Fu;
    unsigned mant = (unsigned)h & 0x3FFu;
    if (exp == 0x1F) {
        return kiln_bits_f32(sign | 0x7F800000u | (mant << 13));
    }
    if (exp == 0) {
        float v = (float)mant * 5.9604644775390625e-8f; // mant * 2^-24: subnormal (or zero), exact
        return sign != 0 ? -v : v;
    }
    return kiln_bits_f32(sign | ((exp - 15u + 127u) << 23) | (mant << 13));
}

__host__ __device__ __forceinline__ unsigned short kiln_float_to_bfloat16(float f) {
    if (f != f) {
        return 0x7FC0;
    }
    unsigned bits = kiln_f32_bits(f);
    return (unsigned short)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

__host__ __device__ __forceinline__ float kiln_bfloat16_to_float(unsigned short b) {
    return kiln_bits_f32((unsigned)b << 16);
}

// Reads as Java's Elements.get / getLong do: UINT8 is unsigned, BOOL is (byte != 0).
template <typename K> __host__ __device__ __forceinline__ double to_double(typename K::S x) { return (double)x; }
template <> __host__ __device__ __forceinline__ double to_double<B8>(unsigned char x) { return x != 0 ? 1.0 : 0.0; }
template <> __host__ __device__ __forceinline__ double to_double<F16>(unsigned short x) {
    return (double)kiln_half_to_float(x);
}
template <> __host__ __device__ __forceinline__ double to_double<BF16>(unsigned short x) {
    return (double)kiln_bfloat16_to_float(x);
}

template <typename K> __host__ __device__ __forceinline__ long long to_long(typename K::S x) { return (long long)x; }
template <> __host__ __device__ __forceinline__ long long to_long<B8>(unsigned char x) { return x != 0 ? 1 : 0; }
template <> __host__ __device__ __forceinline__ long long to_long<F16>(unsigned short x) {
    return j_d2l(to_double<F16>(x));
}
template <> __host__ __device__ __forceinline__ long long to_long<BF16>(unsigned short x) {
    return j_d2l(to_double<BF16>(x));
}

// Writes as Elements.put (from double) and Elements.putLong (from long) do.
template <typename K> __host__ __device__ __forceinline__ typename K::S from_double(double v);
template <> __host__ __device__ __forceinline__ float from_double<F32>(double v) { return (float)v; }
template <> __host__ __device__ __forceinline__ double from_double<F64>(double v) { return v; }
template <> __host__ __device__ __forceinline__ long long from_double<I64>(double v) { return j_d2l(v); }
template <> __host__ __device__ __forceinline__ int from_double<I32>(double v) { return j_d2i(v); }
template <> __host__ __device__ __forceinline__ unsigned char from_double<U8>(double v) {
    return (unsigned char)j_d2l(v); // (byte) (long) v
}
template <> __host__ __device__ __forceinline__ unsigned char from_double<B8>(double v) { return v != 0.0 ? 1 : 0; }
// Through float32 first, as ATen's casts (and Elements.put) do: a few doubles round twice, exactly as in PyTorch.
template <> __host__ __device__ __forceinline__ unsigned short from_double<F16>(double v) {
    return kiln_float_to_half((float)v);
}
template <> __host__ __device__ __forceinline__ unsigned short from_double<BF16>(double v) {
    return kiln_float_to_bfloat16((float)v);
}

// Narrowing keeps the low bits, as Java's (int) and (byte) casts of a long do.
template <typename K> __host__ __device__ __forceinline__ typename K::S from_long(long long v) {
    return (typename K::S)v;
}
template <> __host__ __device__ __forceinline__ unsigned char from_long<B8>(long long v) { return v != 0 ? 1 : 0; }

// CpuPointwise.copy: same dtype copies bits; integral to integral goes through long; anything involving a
// floating type goes through double (so int64 -> float32 rounds twice, exactly as on the CPU).
template <typename SK, typename DK>
__host__ __device__ __forceinline__ typename DK::S convert(typename SK::S x) {
    if (!SK::floating && !DK::floating) {
        return from_long<DK>(to_long<SK>(x));
    }
    return from_double<DK>(to_double<SK>(x));
}

// ------------------------------------------------------------------------------------------------ unary

// Numerically stable logistic, CpuPointwise.sigmoid.
__host__ __device__ __forceinline__ double kiln_sigmoid(double x) {
    if (x >= 0) {
        return 1 / (1 + exp(-x));
    }
    double e = exp(x);
    return e / (1 + e);
}

// Floating unary ops in double, rounded once to the storage type (float32 too, as CpuPointwise does).
__host__ __device__ __forceinline__ double unary_double(int op, double x) {
    switch (op) {
        case KILN_NEG: return -x;
        case KILN_ABS: return fabs(x);
        case KILN_EXP: return exp(x);
        case KILN_LOG: return log(x);
        case KILN_SQRT: return sqrt(x);
        case KILN_RSQRT: return 1 / sqrt(x); // a true division: not rsqrt(), which is approximate
        case KILN_SIN: return sin(x);
        case KILN_COS: return cos(x);
        case KILN_TANH: return tanh(x);
        case KILN_SIGMOID: return kiln_sigmoid(x);
        case KILN_RELU: return x > 0 ? x : (x != x ? x : 0.0); // -0 -> +0, NaN stays
        case KILN_ERF: return erf(x);
        case KILN_SIGN: return j_signum(x);
        case KILN_RECIPROCAL: return 1 / x;
        default: return kiln_nan();
    }
}

// Integer unary ops (NEG, ABS, SIGN, RELU) in wrapping 64-bit arithmetic; other op codes give 0 (the op layer
// casts integer inputs of floating ops to float32 first).
__host__ __device__ __forceinline__ long long unary_long(int op, long long v) {
    switch (op) {
        case KILN_NEG: return w_sub(0, v);
        case KILN_ABS: return v < 0 ? w_sub(0, v) : v; // abs(Long.MIN_VALUE) == Long.MIN_VALUE, as in Java
        case KILN_SIGN: return (v > 0) - (v < 0);
        case KILN_RELU: return v > 0 ? v : 0;
        default: return 0;
    }
}

template <typename K>
__host__ __device__ __forceinline__ typename K::S unary_op(int op, typename K::S x) {
    if (K::floating) {
        return from_double<K>(unary_double(op, to_double<K>(x)));
    }
    return from_long<K>(unary_long(op, to_long<K>(x)));
}

// ------------------------------------------------------------------------------------------------ binary

// Math.floorDiv; x / 0 gives 0 here (the CPU throws ZeroDivisionError: the op layer never divides integers,
// DIV of integers promotes to float32).
__host__ __device__ __forceinline__ long long floor_div(long long x, long long y) {
    if (y == 0) return 0;
    if (y == -1) return w_sub(0, x); // Long.MIN_VALUE / -1 wraps, as in Java
    long long q = x / y;
    if ((x % y != 0) && ((x ^ y) < 0)) q--;
    return q;
}

// (long) Math.pow(x, y): exact by repeated squaring while the result fits a double's 53-bit mantissa (Java's
// pow is exact there), the double pow with Java's saturating cast beyond. Exponents beyond 2^53 take the double
// path too: the CPU converts them to double, which can change their parity (pow(-1, Long.MAX_VALUE) is 1 there).
__host__ __device__ __forceinline__ long long pow_long(long long x, long long y) {
    if (y >= 0 && y <= (1LL << 53)) {
        const long long limit = 1LL << 53;
        long long result = 1;
        long long base = x;
        long long e = y;
        bool exact = true;
        while (e > 0 && exact) {
            if (e & 1) {
                double r = (double)result * (double)base;
                if (r > (double)limit || r < -(double)limit) { exact = false; break; }
                result *= base;
            }
            e >>= 1;
            if (e > 0) {
                double b = (double)base * (double)base;
                if (b > (double)limit) { exact = false; break; }
                base *= base;
            }
        }
        if (exact) return result;
    }
    return j_d2l(j_pow((double)x, (double)y));
}

__host__ __device__ __forceinline__ double binary_double(int op, double x, double y) {
    switch (op) {
        case KILN_ADD: return x + y;
        case KILN_SUB: return x - y;
        case KILN_MUL: return x * y;
        case KILN_DIV: return x / y;
        case KILN_POW: return j_pow(x, y);
        case KILN_MAXIMUM: return (x != x || y != y) ? kiln_nan() : j_max(x, y);
        case KILN_MINIMUM: return (x != x || y != y) ? kiln_nan() : j_min(x, y);
        case KILN_THRESHOLD_BACKWARD: return y <= 0 ? 0.0 : x; // a NaN y passes x on (PyTorch)
        default: return kiln_nan();
    }
}

__host__ __device__ __forceinline__ long long binary_long(int op, long long x, long long y) {
    switch (op) {
        case KILN_ADD: return w_add(x, y);
        case KILN_SUB: return w_sub(x, y);
        case KILN_MUL: return w_mul(x, y);
        case KILN_DIV: return floor_div(x, y);
        case KILN_POW: return pow_long(x, y);
        case KILN_MAXIMUM: return x > y ? x : y;
        case KILN_MINIMUM: return x < y ? x : y;
        case KILN_THRESHOLD_BACKWARD: return y <= 0 ? 0 : x;
        default: return 0;
    }
}

// float32 ADD/SUB/MUL/DIV in float (F32Loops), the rest in double and rounded once (CpuPointwise.applyBinary);
// both are the same IEEE result, float is just cheaper.
template <typename K>
__host__ __device__ __forceinline__ typename K::S binary_op(int op, typename K::S x, typename K::S y) {
    if (K::floating) {
        switch (op) {
            case KILN_ADD: return x + y;
            case KILN_SUB: return x - y;
            case KILN_MUL: return x * y;
            case KILN_DIV: return x / y;
            default: return from_double<K>(binary_double(op, to_double<K>(x), to_double<K>(y)));
        }
    }
    return from_long<K>(binary_long(op, to_long<K>(x), to_long<K>(y)));
}

// Comparisons on the values (integers exactly, floats as IEEE: NaN compares unequal to everything).
template <typename K>
__host__ __device__ __forceinline__ unsigned char compare_op(int op, typename K::S x, typename K::S y) {
    bool r;
    switch (op) {
        case KILN_EQ: r = x == y; break;
        case KILN_NE: r = x != y; break;
        case KILN_LT: r = x < y; break;
        case KILN_LE: r = x <= y; break;
        case KILN_GT: r = x > y; break;
        case KILN_GE: r = x >= y; break;
        default: r = false;
    }
    return r ? 1 : 0;
}

// CpuPointwise.clamp: NaN stays, min(max(v, lo), hi) with Java's max/min. Integers keep their exact value when
// no bound applies (the CPU goes through double, which only differs beyond 2^53).
template <typename K>
__host__ __device__ __forceinline__ typename K::S clamp_op(typename K::S x, double lo, double hi) {
    double v = to_double<K>(x);
    if (v != v) {
        return x;
    }
    double r = j_min(j_max(v, lo), hi);
    if (!K::floating && r == v) {
        return x;
    }
    return from_double<K>(r);
}
