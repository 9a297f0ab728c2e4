// Pooling (CpuPool on the GPU) over contiguous [N, C, H, W] float32/float64 images; a plane is one (n, c).
// Window arithmetic, divisors, the max-pool index convention (iy * W + ix in the input plane) and the order in
// which values are accumulated follow CpuPool exactly, so results are bit-identical to it. Backward kernels are
// gathers (one thread per input pixel summing the outputs whose window holds it, in ascending output order): no
// atomics, deterministic. The one exception is kiln_max_pool2d_backward_scatter_*, for callers that lack the window:
// it needs gradIn zeroed first and uses atomicAdd, which is deterministic only when windows do not overlap.
// Launch: 1-d grid-stride, 256 threads; forward kernels over N*C*oh*ow outputs, backward over N*C*H*W inputs.
#include "kiln.cuh"

// floor(a / b) for b > 0 and any sign of a.
__device__ __forceinline__ int floor_div_pos(int a, int b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Splits a linear pixel index of [planes, rows, cols] into (plane, row, col).
__device__ __forceinline__ void split3(long long i, int rows, int cols, long long& p, int& r, int& c) {
    c = (int)(i % cols);
    long long t = i / cols;
    r = (int)(t % rows);
    p = t / rows;
}

// ------------------------------------------------------------------------------------------------ max

// The first tap of a window at or after `start` (negative starts step over the padding by whole dilations).
__device__ __forceinline__ int first_tap(int start, int dil) {
    return start >= 0 ? start : start + ((-start + dil - 1) / dil) * dil;
}

template <typename T>
__device__ void max_pool_impl(const T* in, int N, int C, int H, int W, const Win& w, T* out, long long* indices) {
    const long long total = (long long)N * C * w.oh * w.ow;
    KILN_GRID_LOOP(i, total) {
        long long p;
        int oy, ox;
        split3(i, w.oh, w.ow, p, oy, ox);
        int hs = oy * w.sh - w.ph;
        int he = min(hs + (w.kh - 1) * w.dh + 1, H);
        hs = first_tap(hs, w.dh);
        int ws = ox * w.sw - w.pw;
        int we = min(ws + (w.kw - 1) * w.dw + 1, W);
        ws = first_tap(ws, w.dw);
        const T* src = in + p * H * W;
        T best = -INFINITY;
        long long arg = (long long)hs * W + ws;
        for (int iy = hs; iy < he; iy += w.dh) {
            for (int ix = ws; ix < we; ix += w.dw) {
                long long at = (long long)iy * W + ix;
                T v = src[at];
                if (v > best || v != v) { // like PyTorch: NaN wins, and the last NaN
                    best = v;
                    arg = at;
                }
            }
        }
        out[i] = best;
        indices[i] = arg;
    }
}

// gradIn[p, iy, ix] = sum of grad[p, oy, ox] over the outputs whose saved argmax is (iy, ix), oy and ox
// ascending (CpuPool's order). Only outputs whose window extent covers (iy, ix) can point at it.
template <typename T>
__device__ void max_pool_backward_impl(const T* grad, const long long* indices, int N, int C, int H, int W,
                                       const Win& w, T* gradIn) {
    const long long total = (long long)N * C * H * W;
    const long long L = (long long)w.oh * w.ow;
    KILN_GRID_LOOP(i, total) {
        long long p;
        int iy, ix;
        split3(i, H, W, p, iy, ix);
        int oy0 = max(0, -floor_div_pos(-(iy + w.ph - (w.kh - 1) * w.dh), w.sh)); // ceil
        int oy1 = min(w.oh - 1, floor_div_pos(iy + w.ph, w.sh));
        int ox0 = max(0, -floor_div_pos(-(ix + w.pw - (w.kw - 1) * w.dw), w.sw));
        int ox1 = min(w.ow - 1, floor_div_pos(ix + w.pw, w.sw));
        const long long target = (long long)iy * W + ix;
        const long long* idx = indices + p * L;
        const T* g = grad + p * L;
        T acc = 0;
        for (int oy = oy0; oy <= oy1; ++oy) {
            for (int ox = ox0; ox <= ox1; ++ox) {
                long long o = (long long)oy * w.ow + ox;
                if (idx[o] == target) acc += g[o];
            }
        }
        gradIn[i] = acc;
    }
}

// gradIn (zeroed by the caller) += grad at each saved argmax, with atomics; for callers without the window.
template <typename T>
__device__ void max_pool_backward_scatter_impl(const T* grad, const long long* indices, long long planes,
                                               long long outPlane, long long inPlane, T* gradIn) {
    KILN_GRID_LOOP(i, planes * outPlane) {
        atomicAdd(gradIn + (i / outPlane) * inPlane + indices[i], grad[i]);
    }
}

// ------------------------------------------------------------------------------------------------ average

// CpuPool.avgWindow: [hs, he) x [ws, we) clipped to the input, and the divisor (the window clipped to the padded
// input when countIncludePad, else to the input).
struct AvgWin {
    int hs, he, ws, we, divisor;
};

__device__ __forceinline__ AvgWin avg_window(const Win& w, int oy, int ox, int H, int W, bool countIncludePad) {
    int hs = oy * w.sh - w.ph;
    int ws = ox * w.sw - w.pw;
    int he = min(hs + w.kh, H + w.ph);
    int we = min(ws + w.kw, W + w.pw);
    int padded = (he - hs) * (we - ws);
    hs = max(hs, 0);
    ws = max(ws, 0);
    he = min(he, H);
    we = min(we, W);
    AvgWin r = {hs, he, ws, we, countIncludePad ? padded : (he - hs) * (we - ws)};
    return r;
}

template <typename T>
__device__ void avg_pool_impl(const T* in, int N, int C, int H, int W, const Win& w, bool countIncludePad, T* out) {
    const long long total = (long long)N * C * w.oh * w.ow;
    KILN_GRID_LOOP(i, total) {
        long long p;
        int oy, ox;
        split3(i, w.oh, w.ow, p, oy, ox);
        AvgWin a = avg_window(w, oy, ox, H, W, countIncludePad);
        const T* src = in + p * H * W;
        double sum = 0;
        for (int iy = a.hs; iy < a.he; ++iy) {
            for (int ix = a.ws; ix < a.we; ++ix) {
                sum += (double)src[(long long)iy * W + ix];
            }
        }
        bool empty = a.hs >= a.he || a.ws >= a.we;
        out[i] = (T)(empty ? 0.0 : sum / a.divisor);
    }
}

// Each input pixel adds grad / divisor of every output whose clipped window holds it, outputs ascending, each add
// done in double and rounded to T (CpuPool's store(load + g)).
template <typename T>
__device__ void avg_pool_backward_impl(const T* grad, int N, int C, int H, int W, const Win& w, bool countIncludePad,
                                       T* gradIn) {
    const long long total = (long long)N * C * H * W;
    const long long L = (long long)w.oh * w.ow;
    KILN_GRID_LOOP(i, total) {
        long long p;
        int iy, ix;
        split3(i, H, W, p, iy, ix);
        int oy0 = max(0, floor_div_pos(iy + w.ph - w.kh, w.sh) + 1);
        int oy1 = min(w.oh - 1, floor_div_pos(iy + w.ph, w.sh));
        int ox0 = max(0, floor_div_pos(ix + w.pw - w.kw, w.sw) + 1);
        int ox1 = min(w.ow - 1, floor_div_pos(ix + w.pw, w.sw));
        const T* g = grad + p * L;
        T acc = 0;
        for (int oy = oy0; oy <= oy1; ++oy) {
            for (int ox = ox0; ox <= ox1; ++ox) {
                AvgWin a = avg_window(w, oy, ox, H, W, countIncludePad);
                if (iy < a.hs || iy >= a.he || ix < a.ws || ix >= a.we) continue;
                acc = (T)((double)acc + (double)g[(long long)oy * w.ow + ox] / a.divisor);
            }
        }
        gradIn[i] = acc;
    }
}

// ------------------------------------------------------------------------------------------------ adaptive average

// Output o of `out` covers input [floor(o*in/out), ceil((o+1)*in/out)).
__device__ __forceinline__ int ad_start(int o, int in, int out) {
    return (int)((long long)o * in / out);
}
__device__ __forceinline__ int ad_end(int o, int in, int out) {
    return (int)(((long long)(o + 1) * in + out - 1) / out);
}

template <typename T>
__device__ void adaptive_impl(const T* in, int N, int C, int H, int W, int oh, int ow, T* out) {
    const long long total = (long long)N * C * oh * ow;
    KILN_GRID_LOOP(i, total) {
        long long p;
        int oy, ox;
        split3(i, oh, ow, p, oy, ox);
        int hs = ad_start(oy, H, oh), he = ad_end(oy, H, oh);
        int ws = ad_start(ox, W, ow), we = ad_end(ox, W, ow);
        const T* src = in + p * H * W;
        double sum = 0;
        for (int iy = hs; iy < he; ++iy) {
            for (int ix = ws; ix < we; ++ix) {
                sum += (double)src[(long long)iy * W + ix];
            }
        }
        out[i] = (T)(sum / ((he - hs) * (we - ws)));
    }
}

// Outputs covering input row iy lie in [floor(iy*oh/H), ceil((iy+1)*oh/H)); the loop widens that by one on each
// side and tests membership exactly, so rounding in the bounds cannot drop a window.
template <typename T>
__device__ void adaptive_backward_impl(const T* grad, int N, int C, int H, int W, int oh, int ow, T* gradIn) {
    const long long total = (long long)N * C * H * W;
    KILN_GRID_LOOP(i, total) {
        long long p;
        int iy, ix;
        split3(i, H, W, p, iy, ix);
        int oy0 = max(0, ad_start(iy, oh, H) - 1), oy1 = min(oh - 1, ad_end(iy, oh, H));
        int ox0 = max(0, ad_start(ix, ow, W) - 1), ox1 = min(ow - 1, ad_end(ix, ow, W));
        const T* g = grad + p * oh * ow;
        T acc = 0;
        for (int oy = oy0; oy <= oy1; ++oy) {
            int hs = ad_start(oy, H, oh), he = ad_end(oy, H, oh);
            if (iy < hs || iy >= he) continue;
            for (int ox = ox0; ox <= ox1; ++ox) {
                int ws = ad_start(ox, W, ow), we = ad_end(ox, W, ow);
                if (ix < ws || ix >= we) continue;
                int count = (he - hs) * (we - ws);
                acc = (T)((double)acc + (double)g[(long long)oy * ow + ox] / count);
            }
        }
        gradIn[i] = acc;
    }
}

// ------------------------------------------------------------------------------------------------ entry points

#define KILN_POOL(SFX, T)                                                                                          \
    extern "C" __global__ void kiln_max_pool2d_##SFX(const T* in, int N, int C, int H, int W, KILN_WINDOW_PARAMS,  \
                                                     T* out, long long* indices) {                                 \
        const Win w = KILN_WINDOW_ARGS;                                                                            \
        max_pool_impl<T>(in, N, C, H, W, w, out, indices);                                                         \
    }                                                                                                              \
    extern "C" __global__ void kiln_max_pool2d_backward_##SFX(const T* grad, const long long* indices, int N,      \
                                                              int C, int H, int W, KILN_WINDOW_PARAMS,             \
                                                              T* gradIn) {                                         \
        const Win w = KILN_WINDOW_ARGS;                                                                            \
        max_pool_backward_impl<T>(grad, indices, N, C, H, W, w, gradIn);                                           \
    }                                                                                                              \
    extern "C" __global__ void kiln_max_pool2d_backward_scatter_##SFX(const T* grad, const long long* indices,     \
                                                                      long long planes, long long outPlane,        \
                                                                      long long inPlane, T* gradIn) {              \
        max_pool_backward_scatter_impl<T>(grad, indices, planes, outPlane, inPlane, gradIn);                       \
    }                                                                                                              \
    extern "C" __global__ void kiln_avg_pool2d_##SFX(const T* in, int N, int C, int H, int W, KILN_WINDOW_PARAMS,  \
                                                     int countIncludePad, T* out) {                                \
        const Win w = KILN_WINDOW_ARGS;                                                                            \
        avg_pool_impl<T>(in, N, C, H, W, w, countIncludePad != 0, out);                                            \
    }                                                                                                              \
    extern "C" __global__ void kiln_avg_pool2d_backward_##SFX(const T* grad, int N, int C, int H, int W,           \
                                                              KILN_WINDOW_PARAMS, int countIncludePad,             \
                                                              T* gradIn) {                                         \
        const Win w = KILN_WINDOW_ARGS;                                                                            \
        avg_pool_backward_impl<T>(grad, N, C, H, W, w, countIncludePad != 0, gradIn);                              \
    }                                                                                                              \
    extern "C" __global__ void kiln_adaptive_avg_pool2d_##SFX(const T* in, int N, int C, int H, int W, int oh,     \
                                                              int ow, T* out) {                                    \
        adaptive_impl<T>(in, N, C, H, W, oh, ow, out);                                                             \
    }                                                                                                              \
    extern "C" __global__ void kiln_adaptive_avg_pool2d_backward_##SFX(const T* grad, int N, int C, int H, int W,  \
                                                                       int oh, int ow, T* gradIn) {                \
        adaptive_backward_impl<T>(grad, N, C, H, W, oh, ow, gradIn);                                               \
    }

KILN_POOL(f32, float)
KILN_POOL(f64, double)
