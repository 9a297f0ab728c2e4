// Shared definitions of Kiln's CUDA kernels: the Layout kernel argument, the op codes (equal to the Java enum
// ordinals; PtxCatalogTest checks them against dev.kiln.backend.*), strided offsets, grid-stride loops, and the
// scalar conversions and min/max/sign rules of the JVM that the CPU kernels follow, so the GPU agrees with them.
#pragma once

#ifndef __CUDA_ARCH__
#include <cmath>
#include <cstring>
#endif

#define KILN_MAX_DIMS 8

// A strided view, passed BY VALUE (136 bytes, 8-byte aligned). Sizes and strides are in elements; entries at
// d >= ndim must be 0. contiguous = 1 means row-major contiguous, so the offset of linear index i is i.
// The data pointer passed next to a Layout already points at element [0, ..., 0].
struct __align__(8) Layout {
    long long size[KILN_MAX_DIMS];
    long long stride[KILN_MAX_DIMS];
    int ndim;
    int contiguous;
};
static_assert(sizeof(Layout) == 136, "Layout must be 136 bytes: the Java side packs it by hand");
static_assert(alignof(Layout) == 8, "Layout must be 8-byte aligned");

// dev.kiln.backend.UnaryOp ordinals.
enum KilnUnaryOp {
    KILN_NEG = 0, KILN_ABS = 1, KILN_EXP = 2, KILN_LOG = 3, KILN_SQRT = 4, KILN_RSQRT = 5, KILN_SIN = 6,
    KILN_COS = 7, KILN_TANH = 8, KILN_SIGMOID = 9, KILN_RELU = 10, KILN_ERF = 11, KILN_SIGN = 12,
    KILN_RECIPROCAL = 13, KILN_LOGICAL_NOT = 14
};

// dev.kiln.backend.BinaryOp ordinals.
enum KilnBinaryOp {
    KILN_ADD = 0, KILN_SUB = 1, KILN_MUL = 2, KILN_DIV = 3, KILN_POW = 4, KILN_MAXIMUM = 5, KILN_MINIMUM = 6,
    KILN_THRESHOLD_BACKWARD = 7, KILN_EQ = 8, KILN_NE = 9, KILN_LT = 10, KILN_LE = 11, KILN_GT = 12, KILN_GE = 13
};

// dev.kiln.backend.ReduceKernels.Op ordinals.
enum KilnReduceOp {
    KILN_SUM = 0, KILN_PROD = 1, KILN_MAX = 2, KILN_MIN = 3, KILN_ARGMAX = 4, KILN_ARGMIN = 5
};

// ------------------------------------------------------------------------------------------------ loops

// Grid-stride loop over [0, n): any grid size is correct; the Java side launches 256-thread blocks.
#define KILN_GRID_LOOP(i, n)                                                                         \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                    \
         i += (long long)blockDim.x * gridDim.x)

// Element offsets of linear (row-major) index i in N operands of one shape: the shape is taken from L[0], the
// coordinates are computed once and dotted with every operand's strides. I is unsigned (when every index fits 32
// bits: 32-bit division is several times cheaper than 64-bit) or unsigned long long. The loop is unrolled so that
// the Layout fields are read at constant offsets from the parameter space. `contiguous` is only a fast path:
// strides must be filled in any case.
template <int N, typename I>
__device__ __forceinline__ void kiln_offsets(const Layout* const (&L)[N], I i, long long (&off)[N]) {
    bool dense = true;
#pragma unroll
    for (int k = 0; k < N; ++k) {
        dense = dense && L[k]->contiguous;
    }
#pragma unroll
    for (int k = 0; k < N; ++k) {
        off[k] = dense ? (long long)i : 0;
    }
    if (dense) {
        return;
    }
    const Layout& shape = *L[0];
#pragma unroll
    for (int d = KILN_MAX_DIMS - 1; d >= 0; --d) {
        if (d < shape.ndim) {
            I s = (I)shape.size[d];
            I q = i / s;
            long long c = (long long)(i - q * s);
#pragma unroll
            for (int k = 0; k < N; ++k) {
                off[k] += c * L[k]->stride[d];
            }
            i = q;
        }
    }
}

// kiln_offsets with 32-bit index arithmetic when `small` (every linear index fits 32 bits, and then every size
// does too), 64-bit otherwise. `small` is uniform across the grid, so the branch costs nothing; keeping it inside
// (rather than instantiating whole kernels twice) keeps an op's body, e.g. an inlined exp, in the PTX once.
template <int N>
__device__ __forceinline__ void kiln_offsets(const Layout* const (&L)[N], long long i, bool small,
                                             long long (&off)[N]) {
    if (small) {
        kiln_offsets(L, (unsigned)i, off);
    } else {
        kiln_offsets(L, (unsigned long long)i, off);
    }
}

// Offsets as kiln_offsets (no dense shortcut), also returning the coordinate along `dim` of L[0]'s shape: the
// index kernels replace that coordinate of one operand by an index value.
template <int N, typename I>
__device__ __forceinline__ long long kiln_offsets_coord(const Layout* const (&L)[N], I i, int dim,
                                                        long long (&off)[N]) {
#pragma unroll
    for (int k = 0; k < N; ++k) {
        off[k] = 0;
    }
    long long coord = 0;
    const Layout& shape = *L[0];
#pragma unroll
    for (int d = KILN_MAX_DIMS - 1; d >= 0; --d) {
        if (d < shape.ndim) {
            I s = (I)shape.size[d];
            I q = i / s;
            long long c = (long long)(i - q * s);
#pragma unroll
            for (int k = 0; k < N; ++k) {
                off[k] += c * L[k]->stride[d];
            }
            if (d == dim) coord = c;
            i = q;
        }
    }
    return coord;
}

template <int N>
__device__ __forceinline__ long long kiln_offsets_coord(const Layout* const (&L)[N], long long i, bool small,
                                                        int dim, long long (&off)[N]) {
    return small ? kiln_offsets_coord(L, (unsigned)i, dim, off)
                 : kiln_offsets_coord(L, (unsigned long long)i, dim, off);
}

// L.stride[d] for a run-time d, without indexing the parameter struct dynamically.
__device__ __forceinline__ long long kiln_stride_at(const Layout& L, int d) {
    long long s = 0;
#pragma unroll
    for (int k = 0; k < KILN_MAX_DIMS; ++k) {
        if (k == d) s = L.stride[k];
    }
    return s;
}

// True when every linear index below n fits 32 bits.
__device__ __forceinline__ bool kiln_small(long long n) {
    return n <= 0x7fffffffLL;
}

// ------------------------------------------------------------------------------------------------ windows

// dev.kiln.backend.Window2d, passed as ten int parameters in record order.
struct Win {
    int kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

#define KILN_WINDOW_PARAMS int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow
#define KILN_WINDOW_ARGS {kh, kw, sh, sw, ph, pw, dh, dw, oh, ow}

// ------------------------------------------------------------------------------------------------ JVM scalars
// __host__ __device__ so that src/test/cuda can check them on the host against the CPU backend.

__host__ __device__ __forceinline__ long long kiln_bits(double x) {
#ifdef __CUDA_ARCH__
    return __double_as_longlong(x);
#else
    long long r;
    memcpy(&r, &x, sizeof r);
    return r;
#endif
}

__host__ __device__ __forceinline__ double kiln_nan() {
#ifdef __CUDA_ARCH__
    return __longlong_as_double(0x7ff8000000000000LL);
#else
    return NAN;
#endif
}

// Java's (long) double: truncation, saturating, NaN -> 0.
__host__ __device__ __forceinline__ long long j_d2l(double d) {
    if (d != d) return 0;
    if (d >= 9223372036854775807.0) return 0x7fffffffffffffffLL;
    if (d <= -9223372036854775808.0) return (long long)0x8000000000000000ULL;
    return (long long)d;
}

// Java's (int) double: truncation, saturating, NaN -> 0.
__host__ __device__ __forceinline__ int j_d2i(double d) {
    if (d != d) return 0;
    if (d >= 2147483647.0) return 0x7fffffff;
    if (d <= -2147483648.0) return (int)0x80000000U;
    return (int)d;
}

// Java's Math.max(double, double): NaN wins, +0.0 is greater than -0.0.
__host__ __device__ __forceinline__ double j_max(double a, double b) {
    if (a != a) return a;
    if (a == 0.0 && b == 0.0 && kiln_bits(a) != 0) return b;
    return a >= b ? a : b;
}

// Java's Math.min(double, double): NaN wins, -0.0 is less than +0.0.
__host__ __device__ __forceinline__ double j_min(double a, double b) {
    if (a != a) return a;
    if (a == 0.0 && b == 0.0 && kiln_bits(b) != 0) return b;
    return a <= b ? a : b;
}

// Java's Math.signum: NaN and signed zeros are returned as they are.
__host__ __device__ __forceinline__ double j_signum(double x) {
    return (x == 0.0 || x != x) ? x : (x > 0.0 ? 1.0 : -1.0);
}

// Java's Math.pow, which differs from C's pow only where the exponent is NaN or infinite: pow(1, NaN) and
// pow(+-1, +-inf) are NaN in Java, 1 in C.
__host__ __device__ __forceinline__ double j_pow(double x, double y) {
    if (y == 0.0) return 1.0;
    if (y != y) return y;
    if ((x == 1.0 || x == -1.0) && (y > 1.7976931348623157e308 || y < -1.7976931348623157e308)) {
        return kiln_nan();
    }
    return pow(x, y);
}

// Wrapping 64-bit arithmetic (Java long semantics) without signed-overflow undefined behaviour.
__host__ __device__ __forceinline__ long long w_add(long long a, long long b) {
    return (long long)((unsigned long long)a + (unsigned long long)b);
}
__host__ __device__ __forceinline__ long long w_sub(long long a, long long b) {
    return (long long)((unsigned long long)a - (unsigned long long)b);
}
__host__ __device__ __forceinline__ long long w_mul(long long a, long long b) {
    return (long long)((unsigned long long)a * (unsigned long long)b);
}
