package dev.kiln.backend.cpu;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.IndexKernels;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.ReduceKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.backend.Window2d;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import java.lang.ref.Reference;

/**
 * The CPU kernel families as the {@link CpuBackend} hands them out: each SPI entry point runs the real kernel and
 * then fences every tensor argument ({@link Reference#reachabilityFence}).
 *
 * <p>Why: kernels read a tensor's native address once and then loop over raw memory (Unsafe loops, OpenBLAS, pool
 * threads). After that the JIT may treat the {@code Tensor} as unreachable, and in unscoped code (no
 * {@code TensorScope} holding it) a GC can run its Cleaner mid-kernel: the buffer goes back to Arrow, and
 * {@code HostMemoryPool} may hand the same block to another thread's allocation while the kernel still reads or
 * writes it. A fence after the kernel keeps each argument, and so its storage reference, alive until the kernel has
 * returned. Fencing here, at the only door into the kernels, covers them all without touching their loops. The same
 * door tells {@link LeakTracking} (tests only) that accessor calls inside are the kernel's own.
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
        public void unary(UnaryOp op, Tensor in, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.unary(op, in, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.binary(op, a, b, out);
            } finally {
                fence(a, b, out);
            }
        }

        @Override
        public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.where(cond, a, b, out);
            } finally {
                fence(cond, a, b, out);
            }
        }

        @Override
        public void clamp(Tensor in, double min, double max, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.clamp(in, min, max, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void copy(Tensor src, Tensor dst) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.copy(src, dst);
            } finally {
                fence(src, dst);
            }
        }

        @Override
        public void fill(Tensor dst, double value) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.fill(dst, value);
            } finally {
                Reference.reachabilityFence(dst);
            }
        }

        @Override
        public boolean adamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor vMax, AdamHyper h) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                return k.adamStep(p, grad, m, v, vMax, h);
            } finally {
                fence(p, grad, m);
                fence(v, vMax);
            }
        }

        @Override
        public boolean sgdStep(Tensor p, Tensor grad, Tensor buf, SgdHyper h) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
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
        public void reduceLastDim(Op op, Tensor in, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.reduceLastDim(op, in, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void softmaxLastDim(Tensor in, Tensor out, boolean log) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
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
        public void gather(Tensor in, int dim, Tensor index, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.gather(in, dim, index, out);
            } finally {
                fence(in, index, out);
            }
        }

        @Override
        public void scatter(Tensor out, int dim, Tensor index, Tensor src, boolean accumulate) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.scatter(out, dim, index, src, accumulate);
            } finally {
                fence(out, index, src);
            }
        }

        @Override
        public void indexSelect(Tensor in, int dim, Tensor index, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.indexSelect(in, dim, index, out);
            } finally {
                fence(in, index, out);
            }
        }

        @Override
        public void indexAdd(Tensor out, int dim, Tensor index, Tensor src) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
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
        public void bmm(Tensor a, Tensor b, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.bmm(a, b, out);
            } finally {
                fence(a, b, out);
            }
        }
    }

    static final class Conv implements ConvKernels {
        private final ConvKernels k;

        Conv(ConvKernels k) {
            this.k = k;
        }

        @Override
        public void im2col(Tensor in, Window2d w, Tensor cols) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.im2col(in, w, cols);
            } finally {
                fence(in, cols);
            }
        }

        @Override
        public void col2im(Tensor cols, Window2d w, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.col2im(cols, w, out);
            } finally {
                fence(cols, out);
            }
        }

        @Override
        public boolean conv2d(Tensor in, Tensor weight, Tensor bias, Window2d w, int groups, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                return k.conv2d(in, weight, bias, w, groups, out);
            } finally {
                fence(in, weight, bias, out);
            }
        }

        @Override
        public boolean conv2dBackwardData(Tensor grad, Tensor weight, Window2d w, int groups, Tensor gradIn) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                return k.conv2dBackwardData(grad, weight, w, groups, gradIn);
            } finally {
                fence(grad, weight, gradIn);
            }
        }

        @Override
        public boolean conv2dBackwardWeights(Tensor in, Tensor grad, Window2d w, int groups, Tensor gradWeight,
                                             Tensor gradBias) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                return k.conv2dBackwardWeights(in, grad, w, groups, gradWeight, gradBias);
            } finally {
                fence(in, grad, gradWeight, gradBias);
            }
        }

        @Override
        public void maxPool2d(Tensor in, Window2d w, Tensor out, Tensor indices) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.maxPool2d(in, w, out, indices);
            } finally {
                fence(in, out, indices);
            }
        }

        @Override
        public void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradIn) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.maxPool2dBackward(grad, indices, gradIn);
            } finally {
                fence(grad, indices, gradIn);
            }
        }

        @Override
        public void avgPool2d(Tensor in, Window2d w, boolean countIncludePad, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.avgPool2d(in, w, countIncludePad, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void avgPool2dBackward(Tensor grad, Window2d w, boolean countIncludePad, Tensor gradIn) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.avgPool2dBackward(grad, w, countIncludePad, gradIn);
            } finally {
                fence(grad, gradIn);
            }
        }

        @Override
        public void adaptiveAvgPool2d(Tensor in, Tensor out) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.adaptiveAvgPool2d(in, out);
            } finally {
                fence(in, out);
            }
        }

        @Override
        public void adaptiveAvgPool2dBackward(Tensor grad, Tensor gradIn) {
            try (LeakTracking.KernelSection quiet = LeakTracking.kernel()) {
                k.adaptiveAvgPool2dBackward(grad, gradIn);
            } finally {
                fence(grad, gradIn);
            }
        }
    }
}
