package dev.kiln.backend.cpu;

import dev.kiln.backend.ReduceKernels;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.backend.KernelArg;

/** Reductions along the last dim. Sums accumulate in double, so float32 sums keep full float precision. */
final class CpuReduce implements ReduceKernels {

    @Override
    public void reduceLastDim(Op op, KernelArg in, KernelArg out) {
        if (op == Op.SUM && in.dim() == 2 && out.isContiguous() && in.dtype() == out.dtype()
                && (in.dtype() == DType.FLOAT32 || in.dtype() == DType.FLOAT64)) {
            if (in.stride(1) == 1 && in.stride(0) == in.size(1)) {
                sumContiguousRows(in, out);
                return;
            }
            if (in.stride(0) == 1 && in.stride(1) == in.size(0)) {
                sumColumns(in, out);
                return;
            }
        }
        long[] shape = in.shape();
        int nd = shape.length;
        long r = shape[nd - 1];
        long rStride = in.stride(-1) * in.dtype().byteSize();
        // a view over the first element of every row: the same outer shape as out
        KernelArg rows = in.view(java.util.Arrays.copyOf(shape, nd - 1), java.util.Arrays.copyOf(in.strides(), nd - 1),
                in.storageOffset());
        DType it = in.dtype();
        DType ot = out.dtype();
        StridedLoop.run((n, p, s) -> {
            for (long i = 0; i < n; i++) {
                long base = p[0] + i * s[0];
                long dst = p[1] + i * s[1];
                reduceRow(op, it, base, rStride, r, ot, dst);
            }
        }, rows, out);
    }

    /** Rows are contiguous: a tight loop per row with four accumulators (breaks the add latency chain). */
    private static void sumContiguousRows(KernelArg in, KernelArg out) {
        long rows = in.size(0);
        long r = in.size(1);
        boolean f32 = in.dtype() == DType.FLOAT32;
        int es = in.dtype().byteSize();
        long src = in.dataAddress();
        long dst = out.dataAddress();
        Parallel.forRange(rows, r, (start, end) -> {
            for (long row = start; row < end; row++) {
                long p = src + row * r * es;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                long j = 0;
                if (f32) {
                    for (; j + 4 <= r; j += 4, p += 16) {
                        s0 += Unsafe.getFloat(p);
                        s1 += Unsafe.getFloat(p + 4);
                        s2 += Unsafe.getFloat(p + 8);
                        s3 += Unsafe.getFloat(p + 12);
                    }
                    for (; j < r; j++, p += 4) {
                        s0 += Unsafe.getFloat(p);
                    }
                    Unsafe.putFloat(dst + row * 4, (float) ((s0 + s1) + (s2 + s3)));
                } else {
                    for (; j < r; j++, p += 8) {
                        s0 += Unsafe.getDouble(p);
                    }
                    Unsafe.putDouble(dst + row * 8, s0);
                }
            }
        });
    }

    /**
     * The reduced dim is the outer one in memory (e.g. the bias gradient: sum over the batch of a [N, M] matrix):
     * accumulate whole contiguous rows into the output instead of walking columns with a large stride.
     */
    private static void sumColumns(KernelArg in, KernelArg out) {
        long cols = in.size(0);
        long r = in.size(1);
        boolean f32 = in.dtype() == DType.FLOAT32;
        int es = in.dtype().byteSize();
        long src = in.dataAddress();
        long dst = out.dataAddress();
        Parallel.forRange(cols, r, (start, end) -> {
            int n = (int) (end - start);
            double[] acc = new double[n];
            for (long j = 0; j < r; j++) {
                long p = src + (j * cols + start) * es;
                if (f32) {
                    for (int i = 0; i < n; i++) {
                        acc[i] += Unsafe.getFloat(p + 4L * i);
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        acc[i] += Unsafe.getDouble(p + 8L * i);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                if (f32) {
                    Unsafe.putFloat(dst + (start + i) * 4, (float) acc[i]);
                } else {
                    Unsafe.putDouble(dst + (start + i) * 8, acc[i]);
                }
            }
        });
    }

    private static void reduceRow(Op op, DType it, long base, long step, long r, DType ot, long dst) {
        switch (op) {
            case SUM, PROD -> {
                boolean sum = op == Op.SUM;
                if (it.isFloatingPoint()) {
                    double acc = sum ? 0 : 1;
                    for (long j = 0; j < r; j++) {
                        double v = Access.get(it, base + j * step);
                        acc = sum ? acc + v : acc * v;
                    }
                    Access.put(ot, dst, acc);
                } else {
                    long acc = sum ? 0 : 1;
                    for (long j = 0; j < r; j++) {
                        long v = Access.getLong(it, base + j * step);
                        acc = sum ? acc + v : acc * v;
                    }
                    Access.putLong(ot, dst, acc);
                }
            }
            case MAX, MIN, ARGMAX, ARGMIN -> {
                boolean max = op == Op.MAX || op == Op.ARGMAX;
                double best = Access.get(it, base);
                long bestIndex = 0;
                for (long j = 1; j < r && !Double.isNaN(best); j++) {
                    double v = Access.get(it, base + j * step);
                    if (Double.isNaN(v) || (max ? v > best : v < best)) { // NaN propagates, like PyTorch
                        best = v;
                        bestIndex = j;
                    }
                }
                if (op == Op.ARGMAX || op == Op.ARGMIN) {
                    Access.putLong(ot, dst, bestIndex);
                } else {
                    Access.put(ot, dst, best);
                }
            }
        }
    }

    @Override
    public void softmaxLastDim(KernelArg in, KernelArg out, boolean log) {
        long r = in.size(-1);
        long rows = in.numel() / Math.max(r, 1);
        DType t = in.dtype();
        int es = t.byteSize();
        long inBase = in.dataAddress();
        long outBase = out.dataAddress();
        Parallel.forRange(rows, r * 4, (start, end) -> {
            for (long row = start; row < end; row++) {
                long a = inBase + row * r * es;
                long o = outBase + row * r * es;
                double max = Double.NEGATIVE_INFINITY;
                for (long j = 0; j < r; j++) {
                    max = Math.max(max, Access.get(t, a + j * es));
                }
                double sum = 0;
                for (long j = 0; j < r; j++) {
                    sum += Math.exp(Access.get(t, a + j * es) - max);
                }
                double logSum = Math.log(sum);
                for (long j = 0; j < r; j++) {
                    double shifted = Access.get(t, a + j * es) - max;
                    Access.put(t, o + j * es, log ? shifted - logSum : Math.exp(shifted) / sum);
                }
            }
        });
    }
}
