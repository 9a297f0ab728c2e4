// Gather/scatter kernels (CpuIndex on the GPU). Index tensors are int64, already bounds-checked by the op layer.
// One thread per position of the driving shape: the index's (gather, scatter), the output's (index_select), the
// source's (index_add). Every Layout of one launch has the driving rank: a 0-d operand is passed as ndim = 0
// with all-zero strides (the Layout rule: entries at d >= ndim are 0), so it reads its one element everywhere.
//
// Accumulation (scatter with accumulate, index_add) uses atomics: float32/float64 sums then depend on the order
// the hardware applies them (nondeterministic in the last bits, like PyTorch's CUDA index_add_); integer sums are
// exact. Plain scatter with duplicate indices stores one of the candidates (unspecified which; the CPU stores
// the last). uint8 and bool accumulate with a 32-bit atomic on the aligned word holding the byte, so a byte
// tensor's allocation must be padded to a multiple of 4 bytes (the caching allocator rounds sizes up).
// Launch: 1-d grid-stride, 256 threads.
#include "scalar_ops.cuh"

template <typename K> __device__ __forceinline__ void atomic_add(typename K::S* p, typename K::S v);
template <> __device__ __forceinline__ void atomic_add<F32>(float* p, float v) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_add<F64>(double* p, double v) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_add<I64>(long long* p, long long v) {
    atomicAdd((unsigned long long*)p, (unsigned long long)v); // two's complement: wraps like Java
}
template <> __device__ __forceinline__ void atomic_add<I32>(int* p, int v) { atomicAdd(p, v); }
template <> __device__ __forceinline__ void atomic_add<U8>(unsigned char* p, unsigned char v) {
    unsigned* word = (unsigned*)((size_t)p & ~(size_t)3);
    unsigned shift = (unsigned)((size_t)p & 3) * 8;
    unsigned old = *word;
    unsigned assumed;
    do {
        assumed = old;
        unsigned sum = ((assumed >> shift) + v) & 0xffu;
        old = atomicCAS(word, assumed, (assumed & ~(0xffu << shift)) | (sum << shift));
    } while (assumed != old);
}
// bool + bool is logical or (CpuIndex adds and stores != 0).
template <> __device__ __forceinline__ void atomic_add<B8>(unsigned char* p, unsigned char v) {
    if (v != 0) {
        unsigned* word = (unsigned*)((size_t)p & ~(size_t)3);
        atomicOr(word, 1u << ((unsigned)((size_t)p & 3) * 8));
    }
}

// out[pos] = in[pos with coordinate dim replaced by index[pos]]; driving shape: index's (= out's).
template <typename K>
__device__ void gather_impl(long long n, const typename K::S* in, const Layout& inL, int dim, const long long* index,
                            const Layout& indexL, typename K::S* out, const Layout& outL) {
    const bool small = kiln_small(n);
    const long long dimStride = kiln_stride_at(inL, dim);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[3] = {&indexL, &outL, &inL};
        long long o[3];
        long long c = kiln_offsets_coord(L, i, small, dim, o);
        long long k = index[o[0]];
        out[o[1]] = in[o[2] + (k - c) * dimStride];
    }
}

// out[pos with coordinate dim replaced by index[pos]] (+)= src[pos]; driving shape: index's.
template <typename K>
__device__ void scatter_impl(long long n, typename K::S* out, const Layout& outL, int dim, const long long* index,
                             const Layout& indexL, const typename K::S* src, const Layout& srcL, int accumulate) {
    const bool small = kiln_small(n);
    const long long dimStride = kiln_stride_at(outL, dim);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[3] = {&indexL, &srcL, &outL};
        long long o[3];
        long long c = kiln_offsets_coord(L, i, small, dim, o);
        long long k = index[o[0]];
        typename K::S* target = out + o[2] + (k - c) * dimStride;
        if (accumulate) {
            atomic_add<K>(target, src[o[1]]);
        } else {
            *target = src[o[1]];
        }
    }
}

// out[..., j, ...] = in[..., index[j], ...] along dim; driving shape: out's. index is 1-d (or 0-d: stride 0).
template <typename K>
__device__ void index_select_impl(long long n, const typename K::S* in, const Layout& inL, int dim,
                                  const long long* index, long long indexStride, typename K::S* out,
                                  const Layout& outL) {
    const bool small = kiln_small(n);
    const long long dimStride = kiln_stride_at(inL, dim);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[2] = {&outL, &inL};
        long long o[2];
        long long c = kiln_offsets_coord(L, i, small, dim, o);
        long long k = index[c * indexStride];
        out[o[0]] = in[o[1] + (k - c) * dimStride];
    }
}

// out[..., index[j], ...] += src[..., j, ...] along dim; driving shape: src's.
template <typename K>
__device__ void index_add_impl(long long n, typename K::S* out, const Layout& outL, int dim, const long long* index,
                               long long indexStride, const typename K::S* src, const Layout& srcL) {
    const bool small = kiln_small(n);
    const long long dimStride = kiln_stride_at(outL, dim);
    KILN_GRID_LOOP(i, n) {
        const Layout* L[2] = {&srcL, &outL};
        long long o[2];
        long long c = kiln_offsets_coord(L, i, small, dim, o);
        long long k = index[c * indexStride];
        atomic_add<K>(out + o[1] + (k - c) * dimStride, src[o[0]]);
    }
}

// ------------------------------------------------------------------------------------------------ entry points

#define KILN_INDEX(SFX, K)                                                                                         \
    extern "C" __global__ void kiln_gather_##SFX(long long n, const K::S* in, Layout inL, int dim,                 \
                                                 const long long* index, Layout indexL, K::S* out, Layout outL) { \
        gather_impl<K>(n, in, inL, dim, index, indexL, out, outL);                                                \
    }                                                                                                              \
    extern "C" __global__ void kiln_index_select_##SFX(long long n, const K::S* in, Layout inL, int dim,           \
                                                       const long long* index, long long indexStride, K::S* out,  \
                                                       Layout outL) {                                              \
        index_select_impl<K>(n, in, inL, dim, index, indexStride, out, outL);                                     \
    }

#define KILN_INDEX_ACC(SFX, K)                                                                                     \
    extern "C" __global__ void kiln_scatter_##SFX(long long n, K::S* out, Layout outL, int dim,                    \
                                                  const long long* index, Layout indexL, const K::S* src,          \
                                                  Layout srcL, int accumulate) {                                   \
        scatter_impl<K>(n, out, outL, dim, index, indexL, src, srcL, accumulate);                                 \
    }                                                                                                              \
    extern "C" __global__ void kiln_index_add_##SFX(long long n, K::S* out, Layout outL, int dim,                  \
                                                    const long long* index, long long indexStride,                 \
                                                    const K::S* src, Layout srcL) {                                \
        index_add_impl<K>(n, out, outL, dim, index, indexStride, src, srcL);                                      \
    }

KILN_INDEX(f32, F32)
KILN_INDEX(f64, F64)
KILN_INDEX(i64, I64)
KILN_INDEX(i32, I32)
KILN_INDEX(u8, U8)

KILN_INDEX_ACC(f32, F32)
KILN_INDEX_ACC(f64, F64)
KILN_INDEX_ACC(i64, I64)
KILN_INDEX_ACC(i32, I32)
KILN_INDEX_ACC(u8, U8)
KILN_INDEX_ACC(b8, B8)
