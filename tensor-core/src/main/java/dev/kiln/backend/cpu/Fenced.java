package dev.kiln.backend.cpu;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.IndexKernels;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.backend.Window2d;
import dev.kiln.backend.KernelArg;
import java.lang.ref.Reference;

/**
 * The CPU kernel families as the {@link CpuBackend} hands them out: each SPI entry point runs the real kernel and
 * then fences every argument ({@link Reference#reachabilityFence}).
 *
 * <p>Why: kernels read a tensor's native address once and then loop over raw memory (Unsafe loops, OpenBLAS, pool
 * threads). After that the JIT may treat the {@code KernelArg} as unreachable, and in unscoped code (no
 * {@code TensorScope} holding it) a GC can run its Cleaner mid-kernel: the buffer goes back to Arrow, and
 * {@code HostMemoryPool} may hand the same block to another thread's allocation while the kernel still reads or
 * writes it. A fence after the kernel keeps each argument, and so its storage reference, alive until the kernel has
 * returned. Fencing here, at the only door into the kernels, covers them all without touching their loops. A
 * {@link KernelArg} references its tensor, so fencing the argument fences the tensor.
 *
 * <p>Every method of each SPI interface, default methods included, must be overridden here
 * ({@code FencedTest} checks it), or a new kernel would silently reach the interface's default instead of the CPU one.
 */
final class Fenced {
    private Fenced() {
    }

    private static void fence(Object a, Object b) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
    }

    private static void fence(Object a, Object b, Object c) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
    }

    private static void fence(Object a, Object b, Object c, Object d) {
        fence(a, b);
        fence(c, d);
    }

    static final class Pointwise implements PointwiseKernels {
        private final PointwiseKernels k;

        Pointwise(PointwiseKernels k) {
            this.k = k;
        }

        @Override
        public void unary(UnaryOp op, KernelArg in, KernelArg out) {
            try {
                k.unary(op, in, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void binary(BinaryOp op, KernelArg a, KernelArg b, KernelArg out) {
            try {
                k.binary(op, a, b, out);
            } finally {
                fence(a, b, out);
            }
        }

        @Override
        public void where(KernelArg cond, KernelArg a, KernelArg b, KernelArg out) {
            try {
                k.where(cond, a, b, out);
            } finally {
                fence(cond, a, b, out);
            }
        }

        @Override
        public void clamp(KernelArg in, double min, double max, KernelArg out) {
            try {
                k.clamp(in, min, max, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void copy(KernelArg src, KernelArg dst) {
            try {
                k.copy(src, dst);
            } finally {
                fence(src, dst);
            }
        }

        @Override
        public void fill(KernelArg dst, double value) {
            try {
                k.fill(dst, value);
            } finally {
                Reference.reachabilityFence(dst);
            }
        }

        @Override
        public boolean adamStep(KernelArg p, KernelArg grad, KernelArg m, KernelArg v, KernelArg vMax, AdamHyper h) {
            try {
                return k.adamStep(p, grad, m, v, vMax, h);
            } finally {
                fence(p, grad, m);
                fence(v, vMax);
            }
        }

        @Override
        public boolean sgdStep(KernelArg p, KernelArg grad, KernelArg buf, SgdHyper h) {
            try {
                return k.sgdStep(p, grad, buf, h);
            } finally {
                fence(p, grad, buf);
            }
        }
    }

    static final class Reduce implements ReduceKernels {
        private final ReduceKernels k;

        Reduce(ReduceKernels k) {
            this.k = k;
        }

        @Override
        public void reduceLastDim(Op op, KernelArg in, KernelArg out) {
            try {
                k.reduceLastDim(op, in, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void softmaxLastDim(KernelArg in, KernelArg out, boolean log) {
            try {
                k.softmaxLastDim(in, out, log);
            } finally {
                fence(in, out);
            }
        }
    }

    static final class Index implements IndexKernels {
        private final IndexKernels k;

        Index(IndexKernels k) {
            this.k = k;
        }

        @Override
        public void gather(KernelArg in, int dim, KernelArg index, KernelArg out) {
            try {
                k.gather(in, dim, index, out);
            } finally {
                fence(in, index, out);
            }
        }

        @Override
        public void scatter(KernelArg out, int dim, KernelArg index, KernelArg src, boolean accumulate) {
            try {
                k.scatter(out, dim, index, src, accumulate);
            } finally {
                fence(out, index, src);
            }
        }

        @Override
        public void indexSelect(KernelArg in, int dim, KernelArg index, KernelArg out) {
            try {
                k.indexSelect(in, dim, index, out);
            } finally {
                fence(in, index, out);
            }
        }

        @Override
        public void indexAdd(KernelArg out, int dim, KernelArg index, KernelArg src) {
            try {
                k.indexAdd(out, dim, index, src);
            } finally {
                fence(out, index, src);
            }
        }
    }

    static final class Linalg implements LinalgKernels {
        private final LinalgKernels k;

        Linalg(LinalgKernels k) {
            this.k = k;
        }

        @Override
        public void bmm(KernelArg a, KernelArg b, KernelArg out) {
            try {
                k.bmm(a, b, out);
            } finally {
                fence(a, b, out);
            }
        }

        @Override
        public boolean linear(KernelArg x, KernelArg weight, KernelArg bias, boolean relu, KernelArg out) {
            try {
                return k.linear(x, weight, bias, relu, out);
            } finally {
                fence(x, weight, bias, out);
            }
        }
    }

    static final class Conv implements ConvKernels {
        private final ConvKernels k;

        Conv(ConvKernels k) {
            this.k = k;
        }

        @Override
        public void im2col(KernelArg in, Window2d w, KernelArg cols) {
            try {
                k.im2col(in, w, cols);
            } finally {
                fence(in, cols);
            }
        }

        @Override
        public void col2im(KernelArg cols, Window2d w, KernelArg out) {
            try {
                k.col2im(cols, w, out);
            } finally {
                fence(cols, out);
            }
        }

        @Override
        public boolean conv2d(KernelArg in, KernelArg weight, KernelArg bias, Window2d w, int groups, KernelArg out) {
            try {
                return k.conv2d(in, weight, bias, w, groups, out);
            } finally {
                fence(in, weight, bias, out);
            }
        }

        @Override
        public boolean conv2dBackwardData(KernelArg grad, KernelArg weight, Window2d w, int groups, KernelArg gradIn) {
            try {
                return k.conv2dBackwardData(grad, weight, w, groups, gradIn);
            } finally {
                fence(grad, weight, gradIn);
            }
        }

        @Override
        public boolean conv2dBackwardWeights(KernelArg in, KernelArg grad, Window2d w, int groups, KernelArg gradWeight,
                                             KernelArg gradBias) {
            try {
                return k.conv2dBackwardWeights(in, grad, w, groups, gradWeight, gradBias);
            } finally {
                fence(in, grad, gradWeight, gradBias);
            }
        }

        @Override
        public void maxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg indices) {
            try {
                k.maxPool2d(in, w, out, indices);
            } finally {
                fence(in, out, indices);
            }
        }

        @Override
        public boolean maxPool2dValues(KernelArg in, Window2d w, KernelArg out) {
            try {
                return k.maxPool2dValues(in, w, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void maxPool2dBackward(KernelArg grad, KernelArg indices, Window2d w, KernelArg gradIn) {
            try {
                k.maxPool2dBackward(grad, indices, w, gradIn);
            } finally {
                fence(grad, indices, gradIn);
            }
        }

        @Override
        public boolean reluMaxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg codes) {
            try {
                return k.reluMaxPool2d(in, w, out, codes);
            } finally {
                fence(in, out, codes);
            }
        }

        @Override
        public void reluMaxPool2dBackward(KernelArg grad, KernelArg codes, Window2d w, KernelArg gradIn) {
            try {
                k.reluMaxPool2dBackward(grad, codes, w, gradIn);
            } finally {
                fence(grad, codes, gradIn);
            }
        }

        @Override
        public void avgPool2d(KernelArg in, Window2d w, boolean countIncludePad, KernelArg out) {
            try {
                k.avgPool2d(in, w, countIncludePad, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void avgPool2dBackward(KernelArg grad, Window2d w, boolean countIncludePad, KernelArg gradIn) {
            try {
                k.avgPool2dBackward(grad, w, countIncludePad, gradIn);
            } finally {
                fence(grad, gradIn);
            }
        }

        @Override
        public void adaptiveAvgPool2d(KernelArg in, KernelArg out) {
            try {
                k.adaptiveAvgPool2d(in, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void adaptiveAvgPool2dBackward(KernelArg grad, KernelArg gradIn) {
            try {
                k.adaptiveAvgPool2dBackward(grad, gradIn);
            } finally {
                fence(grad, gradIn);
            }
        }
    }
}
