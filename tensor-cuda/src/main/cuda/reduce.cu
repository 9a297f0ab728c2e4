// Reductions over the last dim of a strided tensor viewed as [rows, cols] (rows = numel / cols), and softmax.
// Deterministic: no atomics; a fixed per-thread stride pattern and a fixed shared-memory tree, so a result only
// depends on the inputs and blockDim.x (the Java side always launches 256).
//
// Output dtype (void* out, contiguous [rows]): ARGMAX/ARGMIN write int64; SUM/PROD of an integer dtype write
// int64 (the op layer's rule: sum of ints is int64); everything else writes the input dtype.
// Floating SUM/PROD accumulate in double (as CpuReduce does), integers in wrapping int64.
#include "scalar_ops.cuh"

#define KILN_REDUCE_MAX_THREADS 256

// Accumulators: identity and an associative combine.
struct SumD { typedef double A; static __device__ double init() { return 0.0; }
    template <typename K> static __device__ double load(typename K::S x) { return to_double<K>(x); }
    static __device__ double combine(double a, double b) { return a + b; } };
struct ProdD { typedef double A; static __device__ double init() { return 1.0; }
    template <typename K> static __device__ double load(typename K::S x) { return to_double<K>(x); }
    static __device__ double combine(double a, double b) { return a * b; } };
struct SumL { typedef long long A; static __device__ long long init() { return 0; }
    template <typename K> static __device__ long long load(typename K::S x) { return to_long<K>(x); }
    static __device__ long long combine(long long a, long long b) { return w_add(a, b); } };
struct ProdL { typedef long long A; static __device__ long long init() { return 1; }
    template <typename K> static __device__ long long load(typename K::S x) { return to_long<K>(x); }
    static __device__ long long combine(long long a, long long b) { return w_mul(a, b); } };

template <typename K> struct AccOf { typedef SumL Sum; typedef ProdL Prod; typedef long long Out; };
template <> struct AccOf<F32> { typedef SumD Sum; typedef ProdD Prod; typedef float Out; };
template <> struct AccOf<F64> { typedef SumD Sum; typedef ProdD Prod; typedef double Out; };

// Whether candidate (v, i) beats (bv, bi) for max (or min): the first NaN wins, else the larger (smaller) value,
// else the lower index. This combine is associative, so the tree gives what CpuReduce's scan gives: the first NaN
// if any, else the first occurrence of the extremum.
template <typename T>
__device__ __forceinline__ bool beats(bool max, T v, long long i, T bv, long long bi) {
    bool vn = v != v;
    bool bn = bv != bv;
    if (vn || bn) {
        return vn && bn ? i < bi : vn;
    }
    if (v == bv) {
        return i < bi;
    }
    return max ? v > bv : v < bv;
}

// Stride of the last dim, and the offset of the first element of `row`.
__device__ __forceinline__ long long last_stride(const Layout& L) {
    long long s = 0;
#pragma unroll
    for (int d = 0; d < KILN_MAX_DIMS; ++d) {
        if (d == L.ndim - 1) s = L.stride[d];
    }
    return s;
}

__device__ __forceinline__ long long row_base(const Layout& L, long long row, long long cols, bool small) {
    const Layout* Ls[1] = {&L};
    long long o[1];
    kiln_offsets(Ls, row * cols, small, o);
    return o[0];
}

// ------------------------------------------------------------------------------------------------ block per row

template <typename K, typename Op>
__device__ void accumulate_block(long long rows, long long cols, const typename K::S* in, const Layout& inL,
                                 typename AccOf<K>::Out* out) {
    __shared__ typename Op::A part[KILN_REDUCE_MAX_THREADS];
    const bool small = kiln_small(rows * cols);
    const long long step = last_stride(inL);
    const unsigned t = threadIdx.x;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const typename K::S* p = in + row_base(inL, row, cols, small);
        typename Op::A acc = Op::init();
        for (long long j = t; j < cols; j += blockDim.x) {
            acc = Op::combine(acc, Op::template load<K>(p[j * step]));
        }
        part[t] = acc;
        __syncthreads();
        for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
            if (t < s) part[t] = Op::combine(part[t], part[t + s]);
            __syncthreads();
        }
        if (t == 0) out[row] = (typename AccOf<K>::Out)part[0];
        __syncthreads(); // part[0] is read before the next row overwrites it
    }
}

template <typename K>
__device__ void extremum_block(bool max, bool arg, long long rows, long long cols, const typename K::S* in,
                               const Layout& inL, void* out) {
    typedef typename K::S T;
    __shared__ T val[KILN_REDUCE_MAX_THREADS];
    __shared__ long long idx[KILN_REDUCE_MAX_THREADS];
    const bool small = kiln_small(rows * cols);
    const long long step = last_stride(inL);
    const unsigned t = threadIdx.x;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* p = in + row_base(inL, row, cols, small);
        T bv = p[0];
        long long bi = 0;
        for (long long j = t; j < cols; j += blockDim.x) {
            T v = p[j * step];
            if (beats(max, v, j, bv, bi)) { bv = v; bi = j; }
        }
        val[t] = bv;
        idx[t] = bi;
        __syncthreads();
        for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
            if (t < s && beats(max, val[t + s], idx[t + s], val[t], idx[t])) {
                val[t] = val[t + s];
                idx[t] = idx[t + s];
            }
            __syncthreads();
        }
        if (t == 0) {
            if (arg) ((long long*)out)[row] = idx[0];
            else ((T*)out)[row] = val[0];
        }
        __syncthreads();
    }
}

template <typename K>
__device__ void reduce_block(int op, long long rows, long long cols, const typename K::S* in, const Layout& inL,
                             void* out) {
    typedef typename AccOf<K>::Out O;
    switch (op) {
        case KILN_SUM: accumulate_block<K, typename AccOf<K>::Sum>(rows, cols, in, inL, (O*)out); break;
        case KILN_PROD: accumulate_block<K, typename AccOf<K>::Prod>(rows, cols, in, inL, (O*)out); break;
        case KILN_MAX: extremum_block<K>(true, false, rows, cols, in, inL, out); break;
        case KILN_MIN: extremum_block<K>(false, false, rows, cols, in, inL, out); break;
        case KILN_ARGMAX: extremum_block<K>(true, true, rows, cols, in, inL, out); break;
        case KILN_ARGMIN: extremum_block<K>(false, true, rows, cols, in, inL, out); break;
        default: break;
    }
}

// ------------------------------------------------------------------------------------------------ thread per row

// One thread scans one row in order, exactly as CpuReduce's loop (so float64 sums round identically). Neighbouring
// threads read neighbouring rows, which is coalesced when the reduced dim is the outer one in memory (a bias
// gradient: the sum over the batch of [N, M]); also the better choice for short rows.
template <typename K>
__device__ void reduce_thread(int op, long long rows, long long cols, const typename K::S* in, const Layout& inL,
                              void* out) {
    typedef typename K::S T;
    typedef typename AccOf<K>::Out O;
    const bool small = kiln_small(rows * cols);
    const long long step = last_stride(inL);
    KILN_GRID_LOOP(row, rows) {
        const T* p = in + row_base(inL, row, cols, small);
        if (op == KILN_SUM || op == KILN_PROD) {
            bool sum = op == KILN_SUM;
            if (K::floating) {
                double acc = sum ? 0.0 : 1.0;
                for (long long j = 0; j < cols; ++j) {
                    double v = to_double<K>(p[j * step]);
                    acc = sum ? acc + v : acc * v;
                }
                ((O*)out)[row] = (O)acc;
            } else {
                long long acc = sum ? 0 : 1;
                for (long long j = 0; j < cols; ++j) {
                    long long v = to_long<K>(p[j * step]);
                    acc = sum ? w_add(acc, v) : w_mul(acc, v);
                }
                ((O*)out)[row] = (O)acc;
            }
        } else {
            bool max = op == KILN_MAX || op == KILN_ARGMAX;
            T bv = p[0];
            long long bi = 0;
            for (long long j = 1; j < cols && bv == bv; ++j) { // stops at the first NaN, like CpuReduce
                T v = p[j * step];
                if (v != v || (max ? v > bv : v < bv)) { bv = v; bi = j; }
            }
            if (op == KILN_ARGMAX || op == KILN_ARGMIN) ((long long*)out)[row] = bi;
            else ((T*)out)[row] = bv;
        }
    }
}

// ------------------------------------------------------------------------------------------------ softmax

// Block-wide tree over part[] (blockDim.x entries, a power of two); returns the combined value to every thread.
template <typename F>
__device__ __forceinline__ double block_tree(double* part, double v, F combine) {
    const unsigned t = threadIdx.x;
    part[t] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) part[t] = combine(part[t], part[t + s]);
        __syncthreads();
    }
    double r = part[0];
    __syncthreads();
    return r;
}

struct MaxJ { __device__ double operator()(double a, double b) const { return j_max(a, b); } };
struct AddD { __device__ double operator()(double a, double b) const { return a + b; } };

// CpuReduce.softmaxLastDim over contiguous rows: max (NaN propagates), the sum of exp(x - max), and
// log ? x - max - log(sum) : exp(x - max) / sum, all in double and rounded once to T. The sum is a tree, so
// float64 results may differ from the CPU's sequential sum in the last bit.
template <typename T>
__device__ void softmax_block(long long rows, long long cols, const T* in, T* out, int logSoftmax) {
    __shared__ double part[KILN_REDUCE_MAX_THREADS];
    const unsigned t = threadIdx.x;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* a = in + row * cols;
        T* o = out + row * cols;
        double m = -INFINITY;
        for (long long j = t; j < cols; j += blockDim.x) m = j_max(m, (double)a[j]);
        m = block_tree(part, m, MaxJ());
        double s = 0.0;
        for (long long j = t; j < cols; j += blockDim.x) s += exp((double)a[j] - m);
        s = block_tree(part, s, AddD());
        const double logSum = log(s);
        for (long long j = t; j < cols; j += blockDim.x) {
            double shifted = (double)a[j] - m;
            o[j] = (T)(logSoftmax ? shifted - logSum : exp(shifted) / s);
        }
    }
}

// ------------------------------------------------------------------------------------------------ entry points

#define KILN_REDUCE(SFX, K)                                                                                    \
    extern "C" __global__ void kiln_reduce_last_##SFX(int op, long long rows, long long cols, const K::S* in, \
                                                      Layout inL, void* out) {                                \
        reduce_block<K>(op, rows, cols, in, inL, out);                                                        \
    }                                                                                                          \
    extern "C" __global__ void kiln_reduce_last_thread_##SFX(int op, long long rows, long long cols,          \
                                                             const K::S* in, Layout inL, void* out) {         \
        reduce_thread<K>(op, rows, cols, in, inL, out);                                                       \
    }

KILN_REDUCE(f32, F32)
KILN_REDUCE(f64, F64)
KILN_REDUCE(i64, I64)
KILN_REDUCE(i32, I32)
KILN_REDUCE(u8, U8)

extern "C" __global__ void kiln_softmax_last_f32(long long rows, long long cols, const float* in, float* out,
                                                 int logSoftmax) {
    softmax_block<float>(rows, cols, in, out, logSoftmax);
}

extern "C" __global__ void kiln_softmax_last_f64(long long rows, long long cols, const double* in, double* out,
                                                 int logSoftmax) {
    softmax_block<double>(rows, cols, in, out, logSoftmax);
}
