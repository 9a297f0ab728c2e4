// Random fills from the Philox4x32-10 stream of (seed, offset) (philox.cuh), into contiguous outputs. Thread t
// computes Philox block b = t (grid-stride) and writes that block's elements:
//   uniform_f32  4 elements per block: element 4b+k = lo + (hi - lo) * u24(word k)
//   uniform_f64  2 per block: element 2b+k = lo + (hi - lo) * u53(words 2k, 2k+1)
//   normal_f32   4 per block: Box-Muller on words (0, 1) -> elements 4b, 4b+1 and (2, 3) -> 4b+2, 4b+3
//   normal_f64   2 per block: Box-Muller on u53(words 0, 1), u53(words 2, 3) -> elements 2b, 2b+1
//   randint_i64  2 per block: element 2b+k = lo + (64-bit word pair k) mod (hi - lo)
// A call uses blocks offset .. offset + ceil(n / perBlock) - 1; the caller advances its offset by that many
// (KernelNames.RANDOM_ELEMENTS_PER_BLOCK) so consecutive calls never reuse a counter.
// Arithmetic is in double, rounded once to the output type; uniform values are clamped below hi.
// Launch: 1-d grid-stride over ceil(n / perBlock) blocks, 256 threads.
#include "kiln.cuh"
#include "philox.cuh"

#define KILN_TWO_PI 6.283185307179586

// lo + (hi - lo) * u rounded to T, kept strictly below hi when hi > lo (rounding could otherwise reach hi).
template <typename T>
__device__ __forceinline__ T uniform_value(double u, double lo, double hi) {
    T r = (T)(lo + (hi - lo) * u);
    if ((double)r >= hi && hi > lo) {
        T top = (T)hi;
        r = (double)top >= hi ? nextafter(top, (T)-INFINITY) : top;
    }
    return r;
}

// Box-Muller: u1 in (0, 1], u2 in [0, 1) -> two independent standard normals.
__device__ __forceinline__ void box_muller(double u1, double u2, double& z0, double& z1) {
    double r = sqrt(-2.0 * log(u1));
    double theta = KILN_TWO_PI * u2;
    z0 = r * cos(theta);
    z1 = r * sin(theta);
}

extern "C" __global__ void kiln_uniform_f32(long long n, unsigned long long seed, unsigned long long offset,
                                            double lo, double hi, float* out) {
    KILN_GRID_LOOP(b, (n + 3) / 4) {
        Philox4 r = kiln_philox_block(seed, offset, (unsigned long long)b);
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            long long e = 4 * b + k;
            if (e < n) out[e] = uniform_value<float>(kiln_u24(r.x[k]), lo, hi);
        }
    }
}

extern "C" __global__ void kiln_uniform_f64(long long n, unsigned long long seed, unsigned long long offset,
                                            double lo, double hi, double* out) {
    KILN_GRID_LOOP(b, (n + 1) / 2) {
        Philox4 r = kiln_philox_block(seed, offset, (unsigned long long)b);
#pragma unroll
        for (int k = 0; k < 2; ++k) {
            long long e = 2 * b + k;
            if (e < n) out[e] = uniform_value<double>(kiln_u53(r.x[2 * k], r.x[2 * k + 1]), lo, hi);
        }
    }
}

extern "C" __global__ void kiln_normal_f32(long long n, unsigned long long seed, unsigned long long offset,
                                           double mean, double std, float* out) {
    KILN_GRID_LOOP(b, (n + 3) / 4) {
        Philox4 r = kiln_philox_block(seed, offset, (unsigned long long)b);
#pragma unroll
        for (int k = 0; k < 2; ++k) {
            double z0, z1;
            box_muller(((double)r.x[2 * k] + 1.0) * (1.0 / 4294967296.0),
                       (double)r.x[2 * k + 1] * (1.0 / 4294967296.0), z0, z1);
            long long e = 4 * b + 2 * k;
            if (e < n) out[e] = (float)(mean + std * z0);
            if (e + 1 < n) out[e + 1] = (float)(mean + std * z1);
        }
    }
}

extern "C" __global__ void kiln_normal_f64(long long n, unsigned long long seed, unsigned long long offset,
                                           double mean, double std, double* out) {
    KILN_GRID_LOOP(b, (n + 1) / 2) {
        Philox4 r = kiln_philox_block(seed, offset, (unsigned long long)b);
        double u1 = ((double)(kiln_u64(r.x[0], r.x[1]) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
        double z0, z1;
        box_muller(u1, kiln_u53(r.x[2], r.x[3]), z0, z1);
        long long e = 2 * b;
        if (e < n) out[e] = mean + std * z0;
        if (e + 1 < n) out[e + 1] = mean + std * z1;
    }
}

// Uniform integers in [lo, hi) (hi > lo; the range may exceed 2^63). The modulo bias is below range / 2^64.
extern "C" __global__ void kiln_randint_i64(long long n, unsigned long long seed, unsigned long long offset,
                                            long long lo, long long hi, long long* out) {
    const unsigned long long range = (unsigned long long)hi - (unsigned long long)lo;
    KILN_GRID_LOOP(b, (n + 1) / 2) {
        Philox4 r = kiln_philox_block(seed, offset, (unsigned long long)b);
#pragma unroll
        for (int k = 0; k < 2; ++k) {
            long long e = 2 * b + k;
            unsigned long long w = kiln_u64(r.x[2 * k], r.x[2 * k + 1]);
            if (e < n) out[e] = (long long)((unsigned long long)lo + (range == 0 ? 0 : w % range));
        }
    }
}
