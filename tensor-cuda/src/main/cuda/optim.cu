// Fused Adam/AdamW and SGD steps over contiguous float32/float64 tensors of one size (p, grad and the state);
// the per-element arithmetic is optim_ops.cuh's, bit-identical to CpuOptimKernels. Scalar parameters are the
// fields of PointwiseKernels.AdamHyper / SgdHyper in record order (booleans as int 0/1); vMax (amsgrad) and buf
// (momentum) may be null. Launch: 1-d grid-stride over n, 256 threads.
#include "optim_ops.cuh"

template <typename T>
__device__ void adam_impl(long long n, T* p, const T* grad, T* m, T* v, T* vMax, double lr, double beta1,
                          double beta2, double eps, double weightDecay, int decoupled, int maximize,
                          double biasCorrection1, double biasCorrection2Sqrt) {
    const AdamConsts<T> c = adam_consts<T>(lr, beta1, beta2, eps, weightDecay, decoupled, maximize, biasCorrection1,
                                           biasCorrection2Sqrt);
    KILN_GRID_LOOP(i, n) {
        T pi = p[i];
        T mi = m[i];
        T vi = v[i];
        adam_element<T>(c, pi, grad[i], mi, vi, vMax == nullptr ? nullptr : vMax + i);
        p[i] = pi;
        m[i] = mi;
        v[i] = vi;
    }
}

template <typename T>
__device__ void sgd_impl(long long n, T* p, const T* grad, T* buf, double lr, double momentum, double dampening,
                         double weightDecay, int nesterov, int maximize, int initBuffer) {
    const SgdConsts<T> c = sgd_consts<T>(lr, momentum, dampening, weightDecay, nesterov, maximize, initBuffer);
    KILN_GRID_LOOP(i, n) {
        T pi = p[i];
        sgd_element<T>(c, pi, grad[i], buf == nullptr ? nullptr : buf + i);
        p[i] = pi;
    }
}

#define KILN_OPTIM(SFX, T)                                                                                     \
    extern "C" __global__ void kiln_adam_##SFX(long long n, T* p, const T* grad, T* m, T* v, T* vMax,         \
                                               double lr, double beta1, double beta2, double eps,              \
                                               double weightDecay, int decoupled, int maximize,                \
                                               double biasCorrection1, double biasCorrection2Sqrt) {           \
        adam_impl<T>(n, p, grad, m, v, vMax, lr, beta1, beta2, eps, weightDecay, decoupled, maximize,         \
                     biasCorrection1, biasCorrection2Sqrt);                                                    \
    }                                                                                                          \
    extern "C" __global__ void kiln_sgd_##SFX(long long n, T* p, const T* grad, T* buf, double lr,            \
                                              double momentum, double dampening, double weightDecay,           \
                                              int nesterov, int maximize, int initBuffer) {                    \
        sgd_impl<T>(n, p, grad, buf, lr, momentum, dampening, weightDecay, nesterov, maximize, initBuffer);   \
    }

KILN_OPTIM(f32, float)
KILN_OPTIM(f64, double)
