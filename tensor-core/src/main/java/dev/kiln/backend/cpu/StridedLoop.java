package dev.kiln.backend.cpu;

import dev.kiln.backend.KernelArg;

/**
 * Walks several same-shaped strided tensors together, handing the kernel one innermost row at a time (native
 * addresses plus byte steps), after merging dims that are contiguous in every operand. A fully contiguous op
 * becomes one long row, which is split across threads.
 */
final class StridedLoop {
    private StridedLoop() {
    }

    /** Processes {@code n} elements starting at {@code addr[k]} and advancing {@code step[k]} bytes per operand. */
    @FunctionalInterface
    interface Row {
        void run(long n, long[] addr, long[] step);
    }

    static void run(Row row, KernelArg... operands) {
        if (allContiguous(operands)) {
            runDense(row, operands);
            return;
        }
        long[] shape = operands[0].shape();
        int ops = operands.length;
        long[][] strides = new long[ops][];
        long[] base = new long[ops];
        for (int k = 0; k < ops; k++) {
            KernelArg t = operands[k];
            long[] s = t.strides().clone();
            for (int d = 0; d < s.length; d++) {
                s[d] *= t.dtype().byteSize();
            }
            strides[k] = s;
            base[k] = t.dataAddress();
        }
        long numel = 1;
        for (long s : shape) {
            numel *= s;
        }
        if (numel == 0) {
            return;
        }
        // Coalesce: drop size-1 dims, merge dim d into d+1 when contiguous for every operand.
        int nd = 0;
        long[] cs = new long[Math.max(shape.length, 1)];
        long[][] cst = new long[ops][Math.max(shape.length, 1)];
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (nd > 0 && mergeable(cs[nd - 1], cst, nd - 1, strides, d, shape[d], ops)) {
                cs[nd - 1] *= shape[d];
                for (int k = 0; k < ops; k++) {
                    cst[k][nd - 1] = strides[k][d];
                }
                continue;
            }
            cs[nd] = shape[d];
            for (int k = 0; k < ops; k++) {
                cst[k][nd] = strides[k][d];
            }
            nd++;
        }
        if (nd == 0) { // a single element
            cs[0] = 1;
            nd = 1;
        }
        final int dims = nd;
        final long inner = cs[dims - 1];
        long rows = numel / inner;
        long[] innerStep = new long[ops];
        for (int k = 0; k < ops; k++) {
            innerStep[k] = cst[k][dims - 1];
        }
        if (rows == 1) {
            Parallel.forRange(inner, 1, (start, end) -> {
                long[] addr = new long[ops];
                for (int k = 0; k < ops; k++) {
                    addr[k] = base[k] + start * innerStep[k];
                }
                row.run(end - start, addr, innerStep.clone());
            });
            return;
        }
        Parallel.forRange(rows, inner, (start, end) -> {
            long[] addr = new long[ops];
            long[] step = innerStep.clone();
            for (long r = start; r < end; r++) {
                long rem = r;
                for (int k = 0; k < ops; k++) {
                    addr[k] = base[k];
                }
                for (int d = dims - 2; d >= 0; d--) {
                    long i = rem % cs[d];
                    rem /= cs[d];
                    for (int k = 0; k < ops; k++) {
                        addr[k] += i * cst[k][d];
                    }
                }
                row.run(inner, addr, step);
            }
        });
    }

    private static boolean allContiguous(KernelArg[] operands) {
        long[] shape = operands[0].shape();
        for (KernelArg t : operands) {
            if (!t.isContiguous() || (t.shape() != shape && !java.util.Arrays.equals(t.shape(), shape))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Same-shaped contiguous operands are one row each, whatever their dims: the common case (every out-of-place op
     * on contiguous inputs, its output included) skips the stride arithmetic and coalescing above.
     */
    private static void runDense(Row row, KernelArg[] operands) {
        long n = operands[0].numel();
        if (n == 0) {
            return;
        }
        int ops = operands.length;
        long[] base = new long[ops];
        long[] step = new long[ops];
        for (int k = 0; k < ops; k++) {
            base[k] = operands[k].dataAddress();
            step[k] = operands[k].dtype().byteSize();
        }
        Parallel.forRange(n, 1, (start, end) -> {
            long[] addr = new long[ops];
            for (int k = 0; k < ops; k++) {
                addr[k] = base[k] + start * step[k];
            }
            row.run(end - start, addr, step.clone());
        });
    }

    private static boolean mergeable(long prevSize, long[][] cst, int prev, long[][] strides, int d, long size,
                                     int ops) {
        for (int k = 0; k < ops; k++) {
            if (cst[k][prev] != strides[k][d] * size) {
                return false;
            }
        }
        return true;
    }
}
