package dev.kiln.backend.cpu;

import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.Window2d;
import dev.kiln.backend.cpu.DnnlConv.Geometry;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.backend.KernelArg;

/**
 * im2col/col2im on the host, parallel over the batch (each image owns its slice of the output, so no writes
 * race). Pooling kernels live in {@link CpuPool}.
 *
 * <p>For every (channel, kernel tap, output row) the valid output columns form one interval {@code [lo, hi)}
 * computed up front, so the inner loop has no bounds test: with stride 1 it is a single memory copy (im2col) or
 * a unit-stride add (col2im), and the padding on either side is a zero fill.
 */
final class CpuConv implements ConvKernels {
    private final CpuPool pool = new CpuPool();

    @Override
    public void im2col(KernelArg in, Window2d w, KernelArg cols) {
        int es = in.dtype().byteSize();
        long c = in.size(1);
        long h = in.size(2);
        long wd = in.size(3);
        long plane = h * wd;
        long l = w.outPlane();
        long inBase = in.dataAddress();
        long colBase = cols.dataAddress();
        long batchStride = cols.stride(0);
        long rowStride = cols.stride(1);
        Parallel.forRange(in.size(0), c * w.taps() * l, (lo, hi) -> {
            for (long n = lo; n < hi; n++) {
                for (long ch = 0; ch < c; ch++) {
                    long src = inBase + ((n * c + ch) * plane) * es;
                    long dst = colBase + (n * batchStride + ch * w.taps() * rowStride) * es;
                    if (es == 4) {
                        im2colChannelF32(src, dst, rowStride, (int) h, (int) wd, w);
                    } else {
                        im2colChannel(src, dst, rowStride, h, wd, w, es);
                    }
                }
            }
        });
    }

    /** Fills the {@code kh*kw} rows of one channel; {@code src} is the channel's plane, {@code dst} its first row. */
    private static void im2colChannel(long src, long dst, long rowStride, long h, long wd, Window2d w, int es) {
        for (int ki = 0; ki < w.kh(); ki++) {
            for (int kj = 0; kj < w.kw(); kj++) {
                long row = dst + ((long) (ki * w.kw() + kj)) * rowStride * es;
                int off = kj * w.dw() - w.pw();
                int lo = validLo(off, w.sw(), w.ow());
                int hi = Math.max(lo, validHi(off, w.sw(), wd, w.ow()));
                for (int oy = 0; oy < w.oh(); oy++) {
                    long iy = (long) oy * w.sh() - w.ph() + (long) ki * w.dh();
                    long out = row + (long) oy * w.ow() * es;
                    if (iy < 0 || iy >= h) {
                        Unsafe.setMemory(out, (long) w.ow() * es, (byte) 0);
                        continue;
                    }
                    Unsafe.setMemory(out, (long) lo * es, (byte) 0);
                    Unsafe.setMemory(out + (long) hi * es, (long) (w.ow() - hi) * es, (byte) 0);
                    long from = src + (iy * wd + (long) lo * w.sw() + off) * es;
                    copyStrided(from, out + (long) lo * es, hi - lo, w.sw(), es);
                }
            }
        }
    }

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * float32 im2col of one channel through per-thread {@code float[]} buffers: the plane is read once, each column
     * row ({@code oh*ow} floats) is assembled on the heap ({@code System.arraycopy} of the valid span, zeros for the
     * padding) and written with ONE bulk copy. The off-heap version made three small copy/fill calls per output row
     * (1.4M calls of ~56 bytes for MnistCnn's second conv at batch 128), which cost more than the bytes they moved.
     */
    private static void im2colChannelF32(long src, long dst, long rowStride, int h, int wd, Window2d w) {
        int plane = h * wd;
        int ow = w.ow();
        int l = w.oh() * ow;
        float[][] buf = BUFFERS.get();
        if (buf[0].length < plane) {
            buf[0] = new float[plane];
        }
        if (buf[1].length < l) {
            buf[1] = new float[l];
        }
        float[] x = buf[0];
        float[] row = buf[1];
        Unsafe.copyToArray(src, x, 0, plane);
        int sw = w.sw();
        for (int ki = 0; ki < w.kh(); ki++) {
            for (int kj = 0; kj < w.kw(); kj++) {
                int off = kj * w.dw() - w.pw();
                int lo = validLo(off, sw, ow);
                int hi = Math.max(lo, validHi(off, sw, wd, ow));
                for (int oy = 0; oy < w.oh(); oy++) {
                    int iy = oy * w.sh() - w.ph() + ki * w.dh();
                    int r = oy * ow;
                    if (iy < 0 || iy >= h) {
                        java.util.Arrays.fill(row, r, r + ow, 0f);
                        continue;
                    }
                    java.util.Arrays.fill(row, r, r + lo, 0f);
                    java.util.Arrays.fill(row, r + hi, r + ow, 0f);
                    int from = iy * wd + lo * sw + off;
                    if (sw == 1) {
                        System.arraycopy(x, from, row, r + lo, hi - lo);
                    } else {
                        for (int ox = lo; ox < hi; ox++) {
                            row[r + ox] = x[from + (ox - lo) * sw];
                        }
                    }
                }
                Unsafe.copyFromArray(row, 0, dst + ((long) (ki * w.kw() + kj)) * rowStride * 4, l);
            }
        }
    }

    private static void copyStrided(long from, long to, int count, int stride, int es) {
        if (stride == 1) {
            Unsafe.copyMemory(from, to, (long) count * es);
        } else if (es == 4) {
            for (int i = 0; i < count; i++) {
                Unsafe.putInt(to + 4L * i, Unsafe.getInt(from + 4L * i * stride));
            }
        } else {
            for (int i = 0; i < count; i++) {
                Unsafe.putLong(to + 8L * i, Unsafe.getLong(from + 8L * i * stride));
            }
        }
    }

    /** First output column whose input column {@code ox*stride + off} is {@code >= 0}. */
    static int validLo(int off, int stride, int ow) {
        return off >= 0 ? 0 : (int) Math.min(ow, (-off + stride - 1) / stride);
    }

    /** One past the last output column whose input column {@code ox*stride + off} is {@code < width}. */
    static int validHi(int off, int stride, long width, int ow) {
        long last = width - 1 - off; // need ox*stride <= last
        return last < 0 ? 0 : (int) Math.min(ow, last / stride + 1);
    }

    @Override
    public void col2im(KernelArg cols, Window2d w, KernelArg out) {
        boolean f32 = out.dtype() == DType.FLOAT32;
        int es = out.dtype().byteSize();
        long c = out.size(1);
        long h = out.size(2);
        long wd = out.size(3);
        long plane = h * wd;
        long l = w.outPlane();
        long outBase = out.dataAddress();
        long colBase = cols.dataAddress();
        long batchStride = cols.stride(0);
        long rowStride = cols.stride(1);
        Parallel.forRange(out.size(0), c * w.taps() * l, (lo, hi) -> {
            Unsafe.setMemory(outBase + lo * c * plane * es, (hi - lo) * c * plane * es, (byte) 0);
            for (long n = lo; n < hi; n++) {
                for (long ch = 0; ch < c; ch++) {
                    long dst = outBase + ((n * c + ch) * plane) * es;
                    long src = colBase + (n * batchStride + ch * w.taps() * rowStride) * es;
                    col2imChannel(src, dst, rowStride, h, wd, w, f32);
                }
            }
        });
    }

    private static void col2imChannel(long src, long dst, long rowStride, long h, long wd, Window2d w, boolean f32) {
        int es = f32 ? 4 : 8;
        for (int ki = 0; ki < w.kh(); ki++) {
            for (int kj = 0; kj < w.kw(); kj++) {
                long row = src + ((long) (ki * w.kw() + kj)) * rowStride * es;
                int off = kj * w.dw() - w.pw();
                int lo = validLo(off, w.sw(), w.ow());
                int hi = validHi(off, w.sw(), wd, w.ow());
                for (int oy = 0; oy < w.oh(); oy++) {
                    long iy = (long) oy * w.sh() - w.ph() + (long) ki * w.dh();
                    if (iy < 0 || iy >= h || hi <= lo) {
                        continue;
                    }
                    long from = row + ((long) oy * w.ow() + lo) * es;
                    long to = dst + (iy * wd + (long) lo * w.sw() + off) * es;
                    if (f32) {
                        addF32(from, to, hi - lo, w.sw());
                    } else {
                        addF64(from, to, hi - lo, w.sw());
                    }
                }
            }
        }
    }

    private static void addF32(long from, long to, int count, int stride) {
        for (int i = 0; i < count; i++) {
            long t = to + 4L * i * stride;
            Unsafe.putFloat(t, Unsafe.getFloat(t) + Unsafe.getFloat(from + 4L * i));
        }
    }

    private static void addF64(long from, long to, int count, int stride) {
        for (int i = 0; i < count; i++) {
            long t = to + 8L * i * stride;
            Unsafe.putDouble(t, Unsafe.getDouble(t) + Unsafe.getDouble(from + 8L * i));
        }
    }

    @Override
    public boolean conv2d(KernelArg in, KernelArg weight, KernelArg bias, Window2d w, int groups, KernelArg out) {
        return in.dtype() == DType.FLOAT32 && DnnlConv.use() && DnnlConv.forward(Geometry.of(in.shape(),
                weight.size(0), w, groups), in.dataAddress(), weight.dataAddress(),
                bias == null ? 0 : bias.dataAddress(), out.dataAddress());
    }

    @Override
    public boolean conv2dBackwardData(KernelArg grad, KernelArg weight, Window2d w, int groups, KernelArg gradIn) {
        return grad.dtype() == DType.FLOAT32 && DnnlConv.use() && DnnlConv.backwardData(Geometry.of(gradIn.shape(),
                weight.size(0), w, groups), grad.dataAddress(), weight.dataAddress(), gradIn.dataAddress());
    }

    @Override
    public boolean conv2dBackwardWeights(KernelArg in, KernelArg grad, Window2d w, int groups, KernelArg gradWeight,
                                         KernelArg gradBias) {
        return in.dtype() == DType.FLOAT32 && DnnlConv.use() && DnnlConv.backwardWeights(Geometry.of(in.shape(),
                gradWeight.size(0), w, groups), in.dataAddress(), grad.dataAddress(), gradWeight.dataAddress(),
                gradBias == null ? 0 : gradBias.dataAddress());
    }

    // ---------------------------------------------------------------- pooling (see CpuPool)

    @Override
    public void maxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg indices) {
        pool.maxPool2d(in, w, out, indices);
    }

    @Override
    public boolean maxPool2dValues(KernelArg in, Window2d w, KernelArg out) {
        pool.maxPool2d(in, w, out, null);
        return true;
    }

    @Override
    public void maxPool2dBackward(KernelArg grad, KernelArg indices, Window2d w, KernelArg gradIn) {
        pool.maxPool2dBackward(grad, indices, gradIn);
    }

    /** Fused for float32/float64 {@code MaxPool2d(2)} windows ({@link ReluMaxPool2x2}); false for the others. */
    @Override
    public boolean reluMaxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg codes) {
        if ((in.dtype() != DType.FLOAT32 && in.dtype() != DType.FLOAT64) || !CpuPool.isPlain2x2(w, in.size(2), in.size(3))) {
            return false;
        }
        ReluMaxPool2x2.forward(in, w, out, codes);
        return true;
    }

    @Override
    public void reluMaxPool2dBackward(KernelArg grad, KernelArg codes, Window2d w, KernelArg gradIn) {
        ReluMaxPool2x2.backward(grad, codes, w, gradIn);
    }

    @Override
    public void avgPool2d(KernelArg in, Window2d w, boolean countIncludePad, KernelArg out) {
        pool.avgPool2d(in, w, countIncludePad, out);
    }

    @Override
    public void avgPool2dBackward(KernelArg grad, Window2d w, boolean countIncludePad, KernelArg gradIn) {
        pool.avgPool2dBackward(grad, w, countIncludePad, gradIn);
    }

    @Override
    public void adaptiveAvgPool2d(KernelArg in, KernelArg out) {
        pool.adaptiveAvgPool2d(in, out);
    }

    @Override
    public void adaptiveAvgPool2dBackward(KernelArg grad, KernelArg gradIn) {
        pool.adaptiveAvgPool2dBackward(grad, gradIn);
    }
}
