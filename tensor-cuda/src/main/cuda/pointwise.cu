// Elementwise kernels over strided operands of one shape (the op layer expands broadcasts first, so a
// broadcast operand simply has stride 0). Semantics per element are in scalar_ops.cuh.
// The first Layout (the output's) gives the shape.
// Launch: 1-d grid-stride loops, 256 threads per block, any grid size (KernelNames.THREADS).
#include "scalar_ops.cuh"

template <typename K>
__device__ void unary_impl(int op, long long n, const typename K::S* in, const Layout& inL, typename K::S* out,
                           const Layout& outL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[2] = {&outL, &inL};
        long long o[2];
        kiln_offsets(L, i, small, o);
        out[o[0]] = unary_op<K>(op, in[o[1]]);
    }
}

template <typename K>
__device__ void logical_not_impl(long long n, const typename K::S* in, const Layout& inL, unsigned char* out,
                                 const Layout& outL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[2] = {&outL, &inL};
        long long o[2];
        kiln_offsets(L, i, small, o);
        out[o[0]] = in[o[1]] == 0 ? 1 : 0; // NaN != 0: not(NaN) = 0
    }
}

template <typename K>
__device__ void binary_impl(int op, long long n, const typename K::S* a, const Layout& aL, const typename K::S* b,
                            const Layout& bL, typename K::S* out, const Layout& outL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[3] = {&outL, &aL, &bL};
        long long o[3];
        kiln_offsets(L, i, small, o);
        out[o[0]] = binary_op<K>(op, a[o[1]], b[o[2]]);
    }
}

template <typename K>
__device__ void compare_impl(int op, long long n, const typename K::S* a, const Layout& aL, const typename K::S* b,
                             const Layout& bL, unsigned char* out, const Layout& outL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[3] = {&outL, &aL, &bL};
        long long o[3];
        kiln_offsets(L, i, small, o);
        out[o[0]] = compare_op<K>(op, a[o[1]], b[o[2]]);
    }
}

// out = cond ? a : b, copying the chosen element's bits.
template <typename K>
__device__ void where_impl(long long n, const unsigned char* cond, const Layout& cL, const typename K::S* a,
                           const Layout& aL, const typename K::S* b, const Layout& bL, typename K::S* out,
                           const Layout& outL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[4] = {&outL, &cL, &aL, &bL};
        long long o[4];
        kiln_offsets(L, i, small, o);
        out[o[0]] = cond[o[1]] != 0 ? a[o[2]] : b[o[3]];
    }
}

template <typename K>
__device__ void clamp_impl(long long n, const typename K::S* in, const Layout& inL, double lo, double hi,
                           typename K::S* out, const Layout& outL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[2] = {&outL, &inL};
        long long o[2];
        kiln_offsets(L, i, small, o);
        out[o[0]] = clamp_op<K>(in[o[1]], lo, hi);
    }
}

template <typename K>
__device__ void fill_impl(long long n, double v, typename K::S* out, const Layout& outL) {
    const typename K::S value = from_double<K>(v);
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[1] = {&outL};
        long long o[1];
        kiln_offsets(L, i, small, o);
        out[o[0]] = value;
    }
}

template <typename SK, typename DK>
__device__ void copy_impl(long long n, const typename SK::S* src, const Layout& sL, typename DK::S* dst,
                          const Layout& dL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[2] = {&dL, &sL};
        long long o[2];
        kiln_offsets(L, i, small, o);
        dst[o[0]] = convert<SK, DK>(src[o[1]]);
    }
}

// Same-dtype copies move bits (NaN payloads, and bool bytes, unchanged), as the CPU's raw copy does.
template <typename K>
__device__ void copy_same_impl(long long n, const typename K::S* src, const Layout& sL, typename K::S* dst,
                               const Layout& dL) {
    const bool small = kiln_small(n);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[2] = {&dL, &sL};
        long long o[2];
        kiln_offsets(L, i, small, o);
        dst[o[0]] = src[o[1]];
    }
}

// ------------------------------------------------------------------------------------------------ entry points

#define KILN_POINTWISE(SFX, K)                                                                                  \
    extern "C" __global__ void kiln_logical_not_##SFX(long long n, const K::S* in, Layout inL,                  \
                                                      unsigned char* out, Layout outL) {                        \
        logical_not_impl<K>(n, in, inL, out, outL);                                                            \
    }                                                                                                           \
    extern "C" __global__ void kiln_binary_##SFX(int op, long long n, const K::S* a, Layout aL, const K::S* b, \
                                                 Layout bL, K::S* out, Layout outL) {                          \
        binary_impl<K>(op, n, a, aL, b, bL, out, outL);                                                        \
    }                                                                                                           \
    extern "C" __global__ void kiln_compare_##SFX(int op, long long n, const K::S* a, Layout aL,                \
                                                  const K::S* b, Layout bL, unsigned char* out, Layout outL) { \
        compare_impl<K>(op, n, a, aL, b, bL, out, outL);                                                       \
    }                                                                                                           \
    extern "C" __global__ void kiln_where_##SFX(long long n, const unsigned char* cond, Layout condL,           \
                                                const K::S* a, Layout aL, const K::S* b, Layout bL,             \
                                                K::S* out, Layout outL) {                                       \
        where_impl<K>(n, cond, condL, a, aL, b, bL, out, outL);                                                \
    }

KILN_POINTWISE(f32, F32)
KILN_POINTWISE(f64, F64)
KILN_POINTWISE(i64, I64)
KILN_POINTWISE(i32, I32)
KILN_POINTWISE(u8, U8)

// unary and clamp also have a bool variant: results are stored as (value != 0), so neg(true) is true, as on the CPU.
#define KILN_UNARY_CLAMP(SFX, K)                                                                                 \
    extern "C" __global__ void kiln_unary_##SFX(int op, long long n, const K::S* in, Layout inL, K::S* out,    \
                                                Layout outL) {                                                \
        unary_impl<K>(op, n, in, inL, out, outL);                                                              \
    }                                                                                                           \
    extern "C" __global__ void kiln_clamp_##SFX(long long n, const K::S* in, Layout inL, double lo, double hi, \
                                                K::S* out, Layout outL) {                                       \
        clamp_impl<K>(n, in, inL, lo, hi, out, outL);                                                          \
    }

KILN_UNARY_CLAMP(f32, F32)
KILN_UNARY_CLAMP(f64, F64)
KILN_UNARY_CLAMP(i64, I64)
KILN_UNARY_CLAMP(i32, I32)
KILN_UNARY_CLAMP(u8, U8)
KILN_UNARY_CLAMP(b8, B8)

#define KILN_FILL(SFX, K)                                                                          \
    extern "C" __global__ void kiln_fill_##SFX(long long n, double v, K::S* out, Layout outL) { \
        fill_impl<K>(n, v, out, outL);                                                           \
    }

KILN_FILL(f32, F32)
KILN_FILL(f64, F64)
KILN_FILL(i64, I64)
KILN_FILL(i32, I32)
KILN_FILL(u8, U8)
KILN_FILL(b8, B8)
KILN_FILL(f16, F16)
KILN_FILL(bf16, BF16)

#define KILN_COPY_CONVERT(SS, SK, DS, DK)                                                             \
    extern "C" __global__ void kiln_copy_##SS##_##DS(long long n, const SK::S* src, Layout srcL,    \
                                                     DK::S* dst, Layout dstL) {                     \
        copy_impl<SK, DK>(n, src, srcL, dst, dstL);                                                 \
    }
#define KILN_COPY_SAME(SS, SK)                                                                        \
    extern "C" __global__ void kiln_copy_##SS##_##SS(long long n, const SK::S* src, Layout srcL,    \
                                                     SK::S* dst, Layout dstL) {                     \
        copy_same_impl<SK>(n, src, srcL, dst, dstL);                                                \
    }

// Every (source, destination) pair of the six original dtypes, one block per source.
KILN_COPY_SAME(f32, F32)
KILN_COPY_CONVERT(f32, F32, f64, F64)
KILN_COPY_CONVERT(f32, F32, i64, I64)
KILN_COPY_CONVERT(f32, F32, i32, I32)
KILN_COPY_CONVERT(f32, F32, u8, U8)
KILN_COPY_CONVERT(f32, F32, b8, B8)

KILN_COPY_CONVERT(f64, F64, f32, F32)
KILN_COPY_SAME(f64, F64)
KILN_COPY_CONVERT(f64, F64, i64, I64)
KILN_COPY_CONVERT(f64, F64, i32, I32)
KILN_COPY_CONVERT(f64, F64, u8, U8)
KILN_COPY_CONVERT(f64, F64, b8, B8)

KILN_COPY_CONVERT(i64, I64, f32, F32)
KILN_COPY_CONVERT(i64, I64, f64, F64)
KILN_COPY_SAME(i64, I64)
KILN_COPY_CONVERT(i64, I64, i32, I32)
KILN_COPY_CONVERT(i64, I64, u8, U8)
KILN_COPY_CONVERT(i64, I64, b8, B8)

KILN_COPY_CONVERT(i32, I32, f32, F32)
KILN_COPY_CONVERT(i32, I32, f64, F64)
KILN_COPY_CONVERT(i32, I32, i64, I64)
KILN_COPY_SAME(i32, I32)
KILN_COPY_CONVERT(i32, I32, u8, U8)
KILN_COPY_CONVERT(i32, I32, b8, B8)

KILN_COPY_CONVERT(u8, U8, f32, F32)
KILN_COPY_CONVERT(u8, U8, f64, F64)
KILN_COPY_CONVERT(u8, U8, i64, I64)
KILN_COPY_CONVERT(u8, U8, i32, I32)
KILN_COPY_SAME(u8, U8)
KILN_COPY_CONVERT(u8, U8, b8, B8)

KILN_COPY_CONVERT(b8, B8, f32, F32)
KILN_COPY_CONVERT(b8, B8, f64, F64)
KILN_COPY_CONVERT(b8, B8, i64, I64)
KILN_COPY_CONVERT(b8, B8, i32, I32)
KILN_COPY_CONVERT(b8, B8, u8, U8)
KILN_COPY_SAME(b8, B8)

// float16 and bfloat16 to and from every dtype (and each other), through float32 exactly as the CPU's HalfCasts and
// Elements do: the only kernels that see the 16-bit types.
KILN_COPY_SAME(f16, F16)
KILN_COPY_CONVERT(f16, F16, f32, F32)
KILN_COPY_CONVERT(f32, F32, f16, F16)
KILN_COPY_CONVERT(f16, F16, f64, F64)
KILN_COPY_CONVERT(f64, F64, f16, F16)
KILN_COPY_CONVERT(f16, F16, i64, I64)
KILN_COPY_CONVERT(i64, I64, f16, F16)
KILN_COPY_CONVERT(f16, F16, i32, I32)
KILN_COPY_CONVERT(i32, I32, f16, F16)
KILN_COPY_CONVERT(f16, F16, u8, U8)
KILN_COPY_CONVERT(u8, U8, f16, F16)
KILN_COPY_CONVERT(f16, F16, b8, B8)
KILN_COPY_CONVERT(b8, B8, f16, F16)
KILN_COPY_SAME(bf16, BF16)
KILN_COPY_CONVERT(bf16, BF16, f32, F32)
KILN_COPY_CONVERT(f32, F32, bf16, BF16)
KILN_COPY_CONVERT(bf16, BF16, f64, F64)
KILN_COPY_CONVERT(f64, F64, bf16, BF16)
KILN_COPY_CONVERT(bf16, BF16, i64, I64)
KILN_COPY_CONVERT(i64, I64, bf16, BF16)
KILN_COPY_CONVERT(bf16, BF16, i32, I32)
KILN_COPY_CONVERT(i32, I32, bf16, BF16)
KILN_COPY_CONVERT(bf16, BF16, u8, U8)
KILN_COPY_CONVERT(u8, U8, bf16, BF16)
KILN_COPY_CONVERT(bf16, BF16, b8, B8)
KILN_COPY_CONVERT(b8, B8, bf16, BF16)
KILN_COPY_CONVERT(f16, F16, bf16, BF16)
KILN_COPY_CONVERT(bf16, BF16, f16, F16)
