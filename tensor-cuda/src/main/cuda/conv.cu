// im2col and col2im (CpuConv on the GPU) for float32/float64. Images are contiguous [N, C, H, W]; cols is
// [N, C*kh*kw, oh*ow] with unit stride in its last dim and free batch/row strides (colsBatchStride,
// colsRowStride, in elements). The window is Window2d's fields in record order.
// Launch: 1-d grid-stride, 256 threads; im2col over N*C*kh*kw*oh*ow cols elements, col2im over N*C*H*W pixels.
#include "kiln.cuh"

// cols[n, (c*kh + ki)*kw + kj, oy*ow + ox] = in[n, c, oy*sh - ph + ki*dh, ox*sw - pw + kj*dw], 0 in the padding.
// One thread per cols element, so consecutive threads write consecutive columns.
template <typename T, typename I>
__device__ void im2col_loop(const T* in, I N, I C, I H, I W, const Win& w, T* cols, long long bs, long long rs) {
    const I L = (I)w.oh * (I)w.ow;
    const I taps = (I)w.kh * (I)w.kw;
    const I R = C * taps;
    const long long total = (long long)N * R * L;
    KILN_GRID_LOOP(i, total) {
        I e = (I)i;
        I l = e % L;
        I t = e / L;
        I row = t % R;
        I n = t / R;
        int oy = (int)(l / (I)w.ow);
        int ox = (int)(l % (I)w.ow);
        I c = row / taps;
        int tap = (int)(row % taps);
        int ki = tap / w.kw;
        int kj = tap % w.kw;
        long long iy = (long long)oy * w.sh - w.ph + (long long)ki * w.dh;
        long long ix = (long long)ox * w.sw - w.pw + (long long)kj * w.dw;
        T v = 0;
        if (iy >= 0 && iy < (long long)H && ix >= 0 && ix < (long long)W) {
            v = in[(((long long)n * C + c) * H + iy) * W + ix];
        }
        cols[(long long)n * bs + (long long)row * rs + (long long)l] = v;
    }
}

template <typename T>
__device__ void im2col_impl(const T* in, int N, int C, int H, int W, const Win& w, T* cols, long long bs,
                            long long rs) {
    long long total = (long long)N * C * w.kh * w.kw * w.oh * w.ow;
    if (kiln_small(total)) {
        im2col_loop<T, unsigned>(in, N, C, H, W, w, cols, bs, rs);
    } else {
        im2col_loop<T, unsigned long long>(in, N, C, H, W, w, cols, bs, rs);
    }
}

// col2im as a gather: each output pixel sums the column entries im2col copied from it, in the CPU's order (kernel
// row, then kernel column), accumulating in T from 0, so the result is bit-identical to CpuConv and needs no
// atomics. A tap (ki, kj) hits output row oy = (iy + ph - ki*dh) / sh when that divides exactly and 0 <= oy < oh.
template <typename T, typename I>
__device__ void col2im_loop(const T* cols, long long bs, long long rs, I N, I C, I H, I W, const Win& w, T* out) {
    const long long total = (long long)N * C * H * W;
    KILN_GRID_LOOP(i, total) {
        I e = (I)i;
        long long ix = (long long)(e % W);
        I t = e / W;
        long long iy = (long long)(t % H);
        t /= H;
        I c = t % C;
        I n = t / C;
        const T* base = cols + (long long)n * bs + (long long)c * w.kh * w.kw * rs;
        T acc = 0;
        for (int ki = 0; ki < w.kh; ++ki) {
            long long ty = iy + w.ph - (long long)ki * w.dh;
            if (ty < 0 || ty % w.sh != 0 || ty / w.sh >= w.oh) continue;
            long long oy = ty / w.sh;
            for (int kj = 0; kj < w.kw; ++kj) {
                long long tx = ix + w.pw - (long long)kj * w.dw;
                if (tx < 0 || tx % w.sw != 0 || tx / w.sw >= w.ow) continue;
                long long ox = tx / w.sw;
                acc += base[(long long)(ki * w.kw + kj) * rs + oy * w.ow + ox];
            }
        }
        out[i] = acc;
    }
}

template <typename T>
__device__ void col2im_impl(const T* cols, long long bs, long long rs, int N, int C, int H, int W, const Win& w,
                            T* out) {
    if (kiln_small((long long)N * C * H * W)) {
        col2im_loop<T, unsigned>(cols, bs, rs, N, C, H, W, w, out);
    } else {
        col2im_loop<T, unsigned long long>(cols, bs, rs, N, C, H, W, w, out);
    }
}

#define KILN_CONV(SFX, T)                                                                                   \
    extern "C" __global__ void kiln_im2col_##SFX(const T* in, int N, int C, int H, int W, KILN_WINDOW_PARAMS, \
                                                 T* cols, long long colsBatchStride, long long colsRowStride) { \
        const Win w = KILN_WINDOW_ARGS;                                                                     \
        im2col_impl<T>(in, N, C, H, W, w, cols, colsBatchStride, colsRowStride);                            \
    }                                                                                                       \
    extern "C" __global__ void kiln_col2im_##SFX(const T* cols, long long colsBatchStride,                  \
                                                 long long colsRowStride, int N, int C, int H, int W,       \
                                                 KILN_WINDOW_PARAMS, T* out) {                              \
        const Win w = KILN_WINDOW_ARGS;                                                                     \
        col2im_impl<T>(cols, colsBatchStride, colsRowStride, N, C, H, W, w, out);                           \
    }

KILN_CONV(f32, float)
KILN_CONV(f64, double)
