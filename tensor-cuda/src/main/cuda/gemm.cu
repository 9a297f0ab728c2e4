// Batched GEMM fallback for when cuBLAS does not load: row-major
//   C[b] = op(A[b]) @ op(B[b]),  op(A) [M, K], op(B) [K, N], C [M, N]
// with op(A)[m][k] = transA ? A[k*lda + m] : A[m*lda + k] and op(B)[k][n] = transB ? B[n*ldb + k] : B[k*ldb + n];
// batch b starts at A + b*strideA, B + b*strideB, C + b*strideC (strides in elements; 0 broadcasts an operand).
// C is overwritten (no alpha/beta). Accumulates in T with fused multiply-adds (this file alone is compiled with
// --fmad=true), so results match cuBLAS/CPU BLAS to rounding, not bit for bit.
//
// Launch geometry (KernelNames.GEMM_*): blockDim = (256, 1, 1); gridDim = (ceil(N / 64), ceil(M / 64), batch),
// batch <= 65535 (larger batches are split into several launches with offset pointers). Each block computes a
// 64x64 tile of C in 16-deep slices of K staged through shared memory; each thread a 4x4 sub-tile (rows ty + 16i,
// columns tx + 16j, so neighbouring threads read neighbouring shared-memory words).
#include "kiln.cuh"

#define GEMM_BM 64
#define GEMM_BN 64
#define GEMM_BK 16
#define GEMM_THREADS 256

template <typename T>
__device__ void gemm_impl(int transA, int transB, int M, int N, int K, const T* A, long long lda, long long strideA,
                          const T* B, long long ldb, long long strideB, T* C, long long ldc, long long strideC) {
    __shared__ T As[GEMM_BK][GEMM_BM + 1]; // +1: the k-major stores of a row-major A spread over banks
    __shared__ T Bs[GEMM_BK][GEMM_BN + 1];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const long long batch = blockIdx.z;
    const int m0 = blockIdx.y * GEMM_BM;
    const int n0 = blockIdx.x * GEMM_BN;
    A += batch * strideA;
    B += batch * strideB;
    C += batch * strideC;

    T acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0;
    }

    for (int k0 = 0; k0 < K; k0 += GEMM_BK) {
        // Stage op(A)[m0 .. m0+63][k0 .. k0+15]: 1024 elements, 4 per thread, reading along A's contiguous dim.
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            int e = tid + r * GEMM_THREADS;
            int mm = transA ? e % GEMM_BM : e / GEMM_BK;
            int kk = transA ? e / GEMM_BM : e % GEMM_BK;
            int m = m0 + mm, k = k0 + kk;
            T v = 0;
            if (m < M && k < K) v = transA ? A[(long long)k * lda + m] : A[(long long)m * lda + k];
            As[kk][mm] = v;
        }
        // Stage op(B)[k0 .. k0+15][n0 .. n0+63] likewise.
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            int e = tid + r * GEMM_THREADS;
            int nn = transB ? e / GEMM_BK : e % GEMM_BN;
            int kk = transB ? e % GEMM_BK : e / GEMM_BN;
            int n = n0 + nn, k = k0 + kk;
            T v = 0;
            if (n < N && k < K) v = transB ? B[(long long)n * ldb + k] : B[(long long)k * ldb + n];
            Bs[kk][nn] = v;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; ++kk) {
            T a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; ++i) {
        int m = m0 + ty + 16 * i;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            int n = n0 + tx + 16 * j;
            if (m < M && n < N) C[(long long)m * ldc + n] = acc[i][j];
        }
    }
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
kiln_gemm_f32(int transA, int transB, int M, int N, int K, const float* A, long long lda, long long strideA,
              const float* B, long long ldb, long long strideB, float* C, long long ldc, long long strideC) {
    gemm_impl<float>(transA, transB, M, N, K, A, lda, strideA, B, ldb, strideB, C, ldc, strideC);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS)
kiln_gemm_f64(int transA, int transB, int M, int N, int K, const double* A, long long lda, long long strideA,
              const double* B, long long ldb, long long strideB, double* C, long long ldc, long long strideC) {
    gemm_impl<double>(transA, transB, M, N, K, A, lda, strideA, B, ldb, strideB, C, ldc, strideC);
}
