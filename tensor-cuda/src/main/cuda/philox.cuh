// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the counter-based
// generator PyTorch's CUDA backend (curand) uses too. A 128-bit counter and a 64-bit key give four 32-bit words;
// no state is kept, so any element of a stream can be computed independently and a stream is reproducible from
// (seed, offset) alone. __host__ __device__ so that src/test/cuda can check the known-answer vectors on the host.
#pragma once

struct Philox4 {
    unsigned x[4];
};

__host__ __device__ __forceinline__ void kiln_mulhilo(unsigned a, unsigned b, unsigned& hi, unsigned& lo) {
    unsigned long long p = (unsigned long long)a * b;
    hi = (unsigned)(p >> 32);
    lo = (unsigned)p;
}

// Ten rounds of Philox4x32 on counter (c0, c1, c2, c3) with key (k0, k1).
__host__ __device__ __forceinline__ Philox4 kiln_philox(unsigned c0, unsigned c1, unsigned c2, unsigned c3,
                                                        unsigned k0, unsigned k1) {
    const unsigned M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        unsigned hi0, lo0, hi1, lo1;
        kiln_mulhilo(M0, c0, hi0, lo0);
        kiln_mulhilo(M1, c2, hi1, lo1);
        unsigned n0 = hi1 ^ c1 ^ k0;
        unsigned n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += W0;
        k1 += W1;
    }
    Philox4 r = {{c0, c1, c2, c3}};
    return r;
}

// Block b of the Kiln stream (seed, offset): counter = (offset + b) as a 128-bit little-endian number
// (low word first; the top two words are 0), key = (seed low 32 bits, seed high 32 bits).
__host__ __device__ __forceinline__ Philox4 kiln_philox_block(unsigned long long seed, unsigned long long offset,
                                                              unsigned long long b) {
    unsigned long long ctr = offset + b;
    return kiln_philox((unsigned)ctr, (unsigned)(ctr >> 32), 0u, 0u, (unsigned)seed, (unsigned)(seed >> 32));
}

// Uniform [0, 1) from the top 24 bits of a word (float32) or the top 53 bits of two words (float64).
__host__ __device__ __forceinline__ double kiln_u24(unsigned w) {
    return (double)(w >> 8) * (1.0 / 16777216.0);
}
__host__ __device__ __forceinline__ unsigned long long kiln_u64(unsigned lo, unsigned hi) {
    return ((unsigned long long)hi << 32) | lo;
}
__host__ __device__ __forceinline__ double kiln_u53(unsigned lo, unsigned hi) {
    return (double)(kiln_u64(lo, hi) >> 11) * (1.0 / 9007199254740992.0);
}
