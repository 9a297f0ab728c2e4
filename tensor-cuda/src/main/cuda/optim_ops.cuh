// Per-element fused optimizer steps, with exactly the operations, order and rounding of CpuOptimKernels (itself
// bit-identical to the composed update in dev.kiln.optim): float32 tensors use float32 arithmetic with constants
// rounded to float32 once, float64 tensors use double. Bit-identity needs IEEE division and square root and no
// contraction of a*b + c into an fma: build-ptx.sh compiles with --fmad=false (and without --use_fast_math), and
// PtxCatalogTest checks that optim.ptx holds no fma and no approximate instruction.
// __host__ __device__ so that src/test/cuda can check them on the host against the CPU backend.
#pragma once
#include "kiln.cuh"

template <typename T>
struct AdamConsts {
    T decay, wd, b1, c1, b2, c2, bc2, eps, step;
    bool l2, decoupled, maximize;
};

// The constants as CpuOptimKernels.adamF32 / adamF64 derive them from AdamHyper (in double, then rounded to T).
template <typename T>
__host__ __device__ __forceinline__ AdamConsts<T> adam_consts(double lr, double beta1, double beta2, double eps,
                                                              double weightDecay, int decoupled, int maximize,
                                                              double biasCorrection1, double biasCorrection2Sqrt) {
    AdamConsts<T> c;
    c.decay = (T)(1 - lr * weightDecay);
    c.wd = (T)weightDecay;
    c.b1 = (T)beta1;
    c.c1 = (T)(1 - beta1);
    c.b2 = (T)beta2;
    c.c2 = (T)(1 - beta2);
    c.bc2 = (T)biasCorrection2Sqrt;
    c.eps = (T)eps;
    c.step = (T)(lr / biasCorrection1);
    c.l2 = weightDecay != 0 && !decoupled;
    c.decoupled = weightDecay != 0 && decoupled;
    c.maximize = maximize != 0;
    return c;
}

// One Adam/AdamW element: updates p, m, v and, with amsgrad (vMax != nullptr), *vMax.
template <typename T>
__host__ __device__ __forceinline__ void adam_element(const AdamConsts<T>& c, T& p, T g, T& m, T& v, T* vMax) {
    g = c.maximize ? -g : g;
    if (c.decoupled) {
        p = p * c.decay;
    } else if (c.l2) {
        g = g + p * c.wd;
    }
    m = m * c.b1 + g * c.c1;
    v = v * c.b2 + g * g * c.c2;
    T second = v;
    if (vMax != nullptr) {
        T old = *vMax;
        second = (old != old || v != v) ? (T)kiln_nan() : (T)j_max((double)old, (double)v);
        *vMax = second;
    }
    T denom = sqrt(second) / c.bc2 + c.eps;
    p = p - m / denom * c.step;
}

template <typename T>
struct SgdConsts {
    T lr, momentum, oneMinusDampening, wd;
    bool decay, nesterov, maximize, initBuffer;
};

template <typename T>
__host__ __device__ __forceinline__ SgdConsts<T> sgd_consts(double lr, double momentum, double dampening,
                                                            double weightDecay, int nesterov, int maximize,
                                                            int initBuffer) {
    SgdConsts<T> c;
    c.lr = (T)lr;
    c.momentum = (T)momentum;
    c.oneMinusDampening = (T)(1 - dampening);
    c.wd = (T)weightDecay;
    c.decay = weightDecay != 0;
    c.nesterov = nesterov != 0;
    c.maximize = maximize != 0;
    c.initBuffer = initBuffer != 0;
    return c;
}

// One SGD element: updates p and, with momentum (buf != nullptr), *buf.
template <typename T>
__host__ __device__ __forceinline__ void sgd_element(const SgdConsts<T>& c, T& p, T g, T* buf) {
    g = c.maximize ? -g : g;
    if (c.decay) {
        g = g + p * c.wd;
    }
    if (buf != nullptr) {
        T b = c.initBuffer ? g : *buf * c.momentum + g * c.oneMinusDampening;
        *buf = b;
        g = c.nesterov ? g + b * c.momentum : b;
    }
    p = p - g * c.lr;
}
