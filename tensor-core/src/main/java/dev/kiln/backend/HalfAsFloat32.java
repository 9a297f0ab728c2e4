package dev.kiln.backend;

/**
 * float16/bfloat16 support for a backend whose kernels compute in float32 and float64: wraps each kernel family so
 * that a call with any half-precision argument runs the float32 kernel on widened copies and rounds the results
 * back once, on store ({@link Float32Scratch}) — what PyTorch's CPU kernels do for these types (load as float,
 * compute in float, round on store; reductions accumulate in float). The wrapped backend only needs a
 * {@code copy} kernel that converts between the half types and the others, and memory kernels that read and write
 * them; the float32 scratch comes from the backend that owns the tensors' device.
 *
 * <p>Calls without a half argument go straight to the wrapped kernel: the only cost on the float32/float64 paths is
 * one dtype test per argument per kernel call, never per element. Optional fused kernels (optimizer steps, fused
 * linear, direct convolution) report "not handled" for half arguments, so the op layer composes them from the
 * primitives here.
 */
public final class HalfAsFloat32 {
    private HalfAsFloat32() {
    }

    /** Pointwise kernels; {@code copy} and {@code fill} stay the wrapped backend's (they convert natively). */
    public static final class Pointwise implements PointwiseKernels {
        private final PointwiseKernels k;

        public Pointwise(PointwiseKernels k) {
            this.k = k;
        }

        @Override
        public void unary(UnaryOp op, KernelArg in, KernelArg out) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(k, s -> k.unary(op, s.in(in), s.out(out)));
            } else {
                k.unary(op, in, out);
            }
        }

        @Override
        public void binary(BinaryOp op, KernelArg a, KernelArg b, KernelArg out) {
            if (Float32Scratch.anyHalf(a, b, out)) {
                Float32Scratch.run(k, s -> k.binary(op, s.in(a), s.in(b), s.out(out)));
            } else {
                k.binary(op, a, b, out);
            }
        }

        @Override
        public void where(KernelArg cond, KernelArg a, KernelArg b, KernelArg out) {
            if (Float32Scratch.anyHalf(a, b, out)) {
                Float32Scratch.run(k, s -> k.where(cond, s.in(a), s.in(b), s.out(out)));
            } else {
                k.where(cond, a, b, out);
            }
        }

        @Override
        public void clamp(KernelArg in, double min, double max, KernelArg out) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(k, s -> k.clamp(s.in(in), min, max, s.out(out)));
            } else {
                k.clamp(in, min, max, out);
            }
        }

        @Override
        public void copy(KernelArg src, KernelArg dst) {
            k.copy(src, dst);
        }

        @Override
        public void fill(KernelArg dst, double value) {
            k.fill(dst, value);
        }

        @Override
        public boolean adamStep(KernelArg p, KernelArg grad, KernelArg m, KernelArg v, KernelArg vMax, AdamHyper h) {
            return !Float32Scratch.anyHalf(p, grad, m, v) && !Float32Scratch.isHalf(vMax)
                    && k.adamStep(p, grad, m, v, vMax, h);
        }

        @Override
        public boolean sgdStep(KernelArg p, KernelArg grad, KernelArg buf, SgdHyper h) {
            return !Float32Scratch.anyHalf(p, grad, buf) && k.sgdStep(p, grad, buf, h);
        }
    }

    /** Reductions (accumulating in float32) and softmax. */
    public static final class Reduce implements ReduceKernels {
        private final ReduceKernels k;
        private final PointwiseKernels casts;

        public Reduce(ReduceKernels k, PointwiseKernels casts) {
            this.k = k;
            this.casts = casts;
        }

        @Override
        public void reduceLastDim(Op op, KernelArg in, KernelArg out) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(casts, s -> k.reduceLastDim(op, s.in(in), s.out(out)));
            } else {
                k.reduceLastDim(op, in, out);
            }
        }

        @Override
        public void softmaxLastDim(KernelArg in, KernelArg out, boolean log) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(casts, s -> k.softmaxLastDim(s.in(in), s.out(out), log));
            } else {
                k.softmaxLastDim(in, out, log);
            }
        }
    }

    /** Gather/scatter; scatter and indexAdd read their output, so it is widened in as well as rounded back. */
    public static final class Index implements IndexKernels {
        private final IndexKernels k;
        private final PointwiseKernels casts;

        public Index(IndexKernels k, PointwiseKernels casts) {
            this.k = k;
            this.casts = casts;
        }

        @Override
        public void gather(KernelArg in, int dim, KernelArg index, KernelArg out) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(casts, s -> k.gather(s.in(in), dim, index, s.out(out)));
            } else {
                k.gather(in, dim, index, out);
            }
        }

        @Override
        public void scatter(KernelArg out, int dim, KernelArg index, KernelArg src, boolean accumulate) {
            if (Float32Scratch.anyHalf(out, src)) {
                Float32Scratch.run(casts, s -> k.scatter(s.inOut(out), dim, index, s.in(src), accumulate));
            } else {
                k.scatter(out, dim, index, src, accumulate);
            }
        }

        @Override
        public void indexSelect(KernelArg in, int dim, KernelArg index, KernelArg out) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(casts, s -> k.indexSelect(s.in(in), dim, index, s.out(out)));
            } else {
                k.indexSelect(in, dim, index, out);
            }
        }

        @Override
        public void indexAdd(KernelArg out, int dim, KernelArg index, KernelArg src) {
            if (Float32Scratch.anyHalf(out, src)) {
                Float32Scratch.run(casts, s -> k.indexAdd(s.inOut(out), dim, index, s.in(src)));
            } else {
                k.indexAdd(out, dim, index, src);
            }
        }
    }

    /** Matrix products: float32 GEMM on widened operands, rounded once. */
    public static final class Linalg implements LinalgKernels {
        private final LinalgKernels k;
        private final PointwiseKernels casts;

        public Linalg(LinalgKernels k, PointwiseKernels casts) {
            this.k = k;
            this.casts = casts;
        }

        @Override
        public void bmm(KernelArg a, KernelArg b, KernelArg out) {
            if (Float32Scratch.anyHalf(a, b, out)) {
                Float32Scratch.run(casts, s -> k.bmm(s.in(a), s.in(b), s.out(out)));
            } else {
                k.bmm(a, b, out);
            }
        }

        @Override
        public boolean linear(KernelArg x, KernelArg weight, KernelArg bias, boolean relu, KernelArg out) {
            return !Float32Scratch.anyHalf(x, weight, bias, out) && k.linear(x, weight, bias, relu, out);
        }
    }

    /** im2col/col2im and pooling; the direct convolutions decline half arguments (im2col + GEMM runs instead). */
    public static final class Conv implements ConvKernels {
        private final ConvKernels k;
        private final PointwiseKernels casts;

        public Conv(ConvKernels k, PointwiseKernels casts) {
            this.k = k;
            this.casts = casts;
        }

        private Float32Scratch scratch() {
            return new Float32Scratch(casts);
        }

        @Override
        public void im2col(KernelArg in, Window2d w, KernelArg cols) {
            if (Float32Scratch.anyHalf(in, cols)) {
                Float32Scratch.run(casts, s -> k.im2col(s.in(in), w, s.out(cols)));
            } else {
                k.im2col(in, w, cols);
            }
        }

        @Override
        public void col2im(KernelArg cols, Window2d w, KernelArg out) {
            if (Float32Scratch.anyHalf(cols, out)) {
                Float32Scratch.run(casts, s -> k.col2im(s.in(cols), w, s.out(out)));
            } else {
                k.col2im(cols, w, out);
            }
        }

        @Override
        public boolean conv2d(KernelArg in, KernelArg weight, KernelArg bias, Window2d w, int groups, KernelArg out) {
            return !Float32Scratch.anyHalf(in, weight, bias, out) && k.conv2d(in, weight, bias, w, groups, out);
        }

        @Override
        public boolean conv2dBackwardData(KernelArg grad, KernelArg weight, Window2d w, int groups, KernelArg gradIn) {
            return !Float32Scratch.anyHalf(grad, weight, gradIn) && k.conv2dBackwardData(grad, weight, w, groups, gradIn);
        }

        @Override
        public boolean conv2dBackwardWeights(KernelArg in, KernelArg grad, Window2d w, int groups, KernelArg gradWeight,
                                             KernelArg gradBias) {
            return !Float32Scratch.anyHalf(in, grad, gradWeight, gradBias)
                    && k.conv2dBackwardWeights(in, grad, w, groups, gradWeight, gradBias);
        }

        @Override
        public void maxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg indices) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(casts, s -> k.maxPool2d(s.in(in), w, s.out(out), indices));
            } else {
                k.maxPool2d(in, w, out, indices);
            }
        }

        @Override
        public boolean maxPool2dValues(KernelArg in, Window2d w, KernelArg out) {
            if (!Float32Scratch.anyHalf(in, out)) {
                return k.maxPool2dValues(in, w, out);
            }
            try (Float32Scratch s = scratch()) {
                boolean done = k.maxPool2dValues(s.in(in), w, s.out(out));
                if (done) {
                    s.commit();
                }
                return done;
            }
        }

        @Override
        public void maxPool2dBackward(KernelArg grad, KernelArg indices, Window2d w, KernelArg gradIn) {
            if (Float32Scratch.anyHalf(grad, gradIn)) {
                Float32Scratch.run(casts, s -> k.maxPool2dBackward(s.in(grad), indices, w, s.out(gradIn)));
            } else {
                k.maxPool2dBackward(grad, indices, w, gradIn);
            }
        }

        @Override
        public boolean reluMaxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg codes) {
            return !Float32Scratch.anyHalf(in, out) && k.reluMaxPool2d(in, w, out, codes); // half: ReLU, then pooling
        }

        @Override
        public void reluMaxPool2dBackward(KernelArg grad, KernelArg codes, Window2d w, KernelArg gradIn) {
            k.reluMaxPool2dBackward(grad, codes, w, gradIn); // only after a forward that was not half
        }

        @Override
        public void avgPool2d(KernelArg in, Window2d w, boolean countIncludePad, KernelArg out) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(casts, s -> k.avgPool2d(s.in(in), w, countIncludePad, s.out(out)));
            } else {
                k.avgPool2d(in, w, countIncludePad, out);
            }
        }

        @Override
        public void avgPool2dBackward(KernelArg grad, Window2d w, boolean countIncludePad, KernelArg gradIn) {
            if (Float32Scratch.anyHalf(grad, gradIn)) {
                Float32Scratch.run(casts, s -> k.avgPool2dBackward(s.in(grad), w, countIncludePad, s.out(gradIn)));
            } else {
                k.avgPool2dBackward(grad, w, countIncludePad, gradIn);
            }
        }

        @Override
        public void adaptiveAvgPool2d(KernelArg in, KernelArg out) {
            if (Float32Scratch.anyHalf(in, out)) {
                Float32Scratch.run(casts, s -> k.adaptiveAvgPool2d(s.in(in), s.out(out)));
            } else {
                k.adaptiveAvgPool2d(in, out);
            }
        }

        @Override
        public void adaptiveAvgPool2dBackward(KernelArg grad, KernelArg gradIn) {
            if (Float32Scratch.anyHalf(grad, gradIn)) {
                Float32Scratch.run(casts, s -> k.adaptiveAvgPool2dBackward(s.in(grad), s.out(gradIn)));
            } else {
                k.adaptiveAvgPool2dBackward(grad, gradIn);
            }
        }
    }

    /** Random fills: drawn in float32, rounded once. */
    public static final class Random implements RandomKernels {
        private final RandomKernels k;
        private final PointwiseKernels casts;

        public Random(RandomKernels k, PointwiseKernels casts) {
            this.k = k;
            this.casts = casts;
        }

        @Override
        public void uniform(KernelArg out, RandomSource source) {
            if (!Float32Scratch.isHalf(out)) {
                k.uniform(out, source);
                return;
            }
            try (Float32Scratch s = new Float32Scratch(casts)) {
                k.uniform(s.out(out), source);
                s.commit();
            }
        }

        @Override
        public void normal(KernelArg out, RandomSource source) {
            if (!Float32Scratch.isHalf(out)) {
                k.normal(out, source);
                return;
            }
            try (Float32Scratch s = new Float32Scratch(casts)) {
                k.normal(s.out(out), source);
                s.commit();
            }
        }

        @Override
        public void randint(KernelArg out, long low, long high, RandomSource source) {
            k.randint(out, low, high, source);
        }
    }
}
