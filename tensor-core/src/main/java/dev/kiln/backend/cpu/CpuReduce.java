package dev.kiln.backend.cpu;

import dev.kiln.backend.ReduceKernels;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/** Reductions along the last dim. Sums accumulate in double, so float32 sums keep full float precision. */
final class CpuReduce implements ReduceKernels {

    @Override
    public void reduceLastDim(Op op, Tensor in, Tensor out) {
        long[] shape = in.shape();
        int nd = shape.length;
        long r = shape[nd - 1];
        long rStride = in.stride(-1) * in.dtype().byteSize();
        Tensor rows = in.select(-1, 0); // view over the first element of every row; same outer shape as out
        DType it = in.dtype();
        DType ot = out.dtype();
        try {
            StridedLoop.run((n, p, s) -> {
                for (long i = 0; i < n; i++) {
                    long base = p[0] + i * s[0];
                    long dst = p[1] + i * s[1];
                    reduceRow(op, it, base, rStride, r, ot, dst);
                }
            }, rows, out);
        } finally {
            rows.close();
        }
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
    public void softmaxLastDim(Tensor in, Tensor out, boolean log) {
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
