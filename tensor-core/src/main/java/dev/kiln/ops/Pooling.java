package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;
import static dev.kiln.ops.ConvArgs.expand;
import static dev.kiln.ops.ConvArgs.toInt;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.BackwardContext;
import dev.kiln.autograd.Graph;
import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.Window2d;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.ValuesIndices;

/**
 * 2-d pooling with PyTorch's arguments, output sizes and messages: {@code max_pool2d} (dilation, ceil_mode, saved
 * argmax), {@code avg_pool2d} (ceil_mode, count_include_pad) and {@code adaptive_avg_pool2d}. Inputs are
 * {@code [N, C, H, W]} or unbatched {@code [C, H, W]}. Each gradient is a backend kernel declared next to its
 * forward: max pooling routes each output gradient to its argmax, average pooling spreads it evenly over the
 * window. NOTE: those backward kernels are not themselves recorded, so pooling supports first-order gradients
 * only.
 */
public final class Pooling {
    private Pooling() {
    }

    /**
     * {@code out[n, c, i, j] = max} over the window at {@code (i*s - p, j*s - p)} with dilation {@code d};
     * {@code stride} empty means {@code stride = kernel}. Output size {@code floor_or_ceil((H + 2p - d(k-1) - 1)/s) + 1}
     * (a ceil-mode window must start inside the input or its left padding).
     */
    public static Tensor maxPool2d(Tensor input, long[] kernel, long[] stride, long[] padding, long[] dilation,
                                   boolean ceilMode) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            // Without a gradient to compute, the backend may skip the argmax; unused indices close with temps, and
            // indices saved for backward move to the enclosing scope.
            return temps.handOut(maxPoolInScope(input, kernel, stride, padding, dilation, ceilMode,
                    !Graph.needsGrad(input)).values());
        }
    }

    /** {@link #maxPool2d} plus the argmax of each window as a flat index {@code iy * W + ix} into its input plane. */
    public static ValuesIndices maxPool2dWithIndices(Tensor input, long[] kernel, long[] stride, long[] padding,
                                                     long[] dilation, boolean ceilMode) {
        try (TensorScope temps = TensorScope.openTemporaries()) { // batched views and contiguous copies
            ValuesIndices r = maxPoolInScope(input, kernel, stride, padding, dilation, ceilMode, false);
            return new ValuesIndices(temps.handOut(r.values()), temps.handOut(r.indices()));
        }
    }

    /** Values and indices; with {@code valuesOnly}, indices null when the backend's values-only kernel ran. */
    private static ValuesIndices maxPoolInScope(Tensor input, long[] kernel, long[] stride, long[] padding,
                                                long[] dilation, boolean ceilMode, boolean valuesOnly) {
        String op = "max_pool2d";
        checkInput(input, op);
        Tensor x = batched(input);
        Window2d w = window(x, kernel, stride, padding, dilation, ceilMode, op);
        Tensor out = Kernels.emptyLike(x, x.dtype(), x.size(0), x.size(1), w.oh(), w.ow());
        if (valuesOnly) {
            Tensor xc = Views.contiguous(x);
            if (Dispatch.on(xc, out).conv().maxPool2dValues(xc.arg(), w, out.arg())) {
                return new ValuesIndices(unbatched(out, input), null);
            }
        }
        Tensor indices = Kernels.emptyLike(x, DType.INT64, out.shape());
        try (var g = Autograd.noGrad()) {
            Tensor xc = Views.contiguous(x);
            Dispatch.on(xc, out, indices).conv().maxPool2d(xc.arg(), w, out.arg(), indices.arg());
            Kernels.release(xc, x);
        }
        long[] inShape = x.shape();
        Graph.record(out, "MaxPool2DWithIndicesBackward0", inputs(x), saved(indices), c -> gradient(c, inShape,
                (k, g, gradIn) -> k.maxPool2dBackward(g, c.saved(0).arg(), w, gradIn)));
        return new ValuesIndices(unbatched(out, input), input.dim() == 3 ? Views.squeeze(indices, 0) : indices);
    }

    /**
     * {@code maxPool2d(relu(input), ...)}, with the same values and gradients, computed in one pass each way where
     * the backend has a fused kernel for the window and dtype (the CPU: float32/float64 {@code MaxPool2d(2)}); else
     * it is exactly that composition. Fused, the full-size ReLU output is never written and the gradient's
     * destination is kept as a byte per window; the graph then has one {@code ReluMaxPool2DBackward0} node where the
     * composition has {@code ReluBackward0} and {@code MaxPool2DWithIndicesBackward0}. {@code Sequential} runs its
     * ReLU-then-MaxPool2d pairs through this.
     */
    public static Tensor reluMaxPool2d(Tensor input, long[] kernel, long[] stride, long[] padding, long[] dilation,
                                       boolean ceilMode) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor fused = reluMaxPoolFused(input, kernel, stride, padding, dilation, ceilMode);
            return temps.handOut(fused != null ? fused
                    : maxPoolInScope(Pointwise.relu(input), kernel, stride, padding, dilation, ceilMode,
                            !Graph.needsGrad(input)).values());
        }
    }

    /** The fused op, or null when the backend has no kernel for it (nothing recorded then). */
    private static Tensor reluMaxPoolFused(Tensor input, long[] kernel, long[] stride, long[] padding, long[] dilation,
                                           boolean ceilMode) {
        String op = "max_pool2d";
        checkInput(input, op);
        Tensor x = batched(input);
        Window2d w = window(x, kernel, stride, padding, dilation, ceilMode, op);
        boolean grad = Graph.needsGrad(input);
        Tensor out = Kernels.emptyLike(x, x.dtype(), x.size(0), x.size(1), w.oh(), w.ow());
        Tensor codes = grad ? Kernels.emptyLike(x, DType.UINT8, out.shape()) : null;
        Tensor xc = Views.contiguous(x);
        if (!Dispatch.on(xc, out, codes).conv().reluMaxPool2d(xc.arg(), w, out.arg(),
                codes == null ? null : codes.arg())) {
            return null; // out, codes and xc are temporaries of the caller's scope
        }
        if (grad) {
            long[] inShape = x.shape();
            Graph.record(out, "ReluMaxPool2DBackward0", inputs(x), saved(codes), c -> gradient(c, inShape,
                    (k, g, gradIn) -> k.reluMaxPool2dBackward(g, c.saved(0).arg(), w, gradIn)));
        }
        return unbatched(out, input);
    }

    /** One pooling gradient kernel: {@code gradIn} (overwritten) from the contiguous incoming gradient {@code grad}. */
    @FunctionalInterface
    private interface GradientKernel {
        void run(ConvKernels kernels, KernelArg grad, KernelArg gradIn);
    }

    /**
     * The input gradient of a pooling node: a fresh tensor of {@code inShape} filled by {@code kernel} from the
     * incoming gradient made contiguous (the kernels are not recorded: first-order gradients only, see the class note).
     * What the kernel reads besides (saved indices or codes) was made on the same device by the forward.
     */
    private static Tensor[] gradient(BackwardContext c, long[] inShape, GradientKernel kernel) {
        Tensor gradIn = Kernels.emptyLike(c.grad(), c.grad().dtype(), inShape);
        try (var g = Autograd.noGrad()) {
            Tensor gc = Views.contiguous(c.grad());
            kernel.run(Dispatch.on(gc, gradIn).conv(), gc.arg(), gradIn.arg());
            Kernels.release(gc, c.grad());
        }
        return new Tensor[] {gradIn};
    }

    /**
     * Mean over each {@code kernel} window; the divisor counts padding cells when {@code countIncludePad} (but
     * never the cells a ceil-mode window hangs past the padding), else only the input cells it covers.
     */
    public static Tensor avgPool2d(Tensor input, long[] kernel, long[] stride, long[] padding, boolean ceilMode,
                                   boolean countIncludePad) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            return temps.handOut(avgPoolInScope(input, kernel, stride, padding, ceilMode, countIncludePad));
        }
    }

    private static Tensor avgPoolInScope(Tensor input, long[] kernel, long[] stride, long[] padding, boolean ceilMode,
                                         boolean countIncludePad) {
        String op = "avg_pool2d";
        checkInput(input, op);
        Tensor x = batched(input);
        Window2d w = window(x, kernel, stride, padding, new long[] {1}, ceilMode, op);
        Tensor out = Kernels.emptyLike(x, x.dtype(), x.size(0), x.size(1), w.oh(), w.ow());
        try (var g = Autograd.noGrad()) {
            Tensor xc = Views.contiguous(x);
            Dispatch.on(xc, out).conv().avgPool2d(xc.arg(), w, countIncludePad, out.arg());
            Kernels.release(xc, x);
        }
        long[] inShape = x.shape();
        Graph.record(out, "AvgPool2DBackward0", inputs(x), Graph.NONE, c -> gradient(c, inShape,
                (k, g, gradIn) -> k.avgPool2dBackward(g, w, countIncludePad, gradIn)));
        return unbatched(out, input);
    }

    /**
     * Averages {@code input} down to {@code outputSize} (1 or 2 values): output cell {@code i} covers input rows
     * {@code [floor(i*H/oh), ceil((i+1)*H/oh))}, likewise for columns.
     */
    public static Tensor adaptiveAvgPool2d(Tensor input, long[] outputSize) {
        if (input.dim() != 3 && input.dim() != 4) {
            throw new IllegalArgumentException("adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                    + Shapes.str(input.shape()));
        }
        for (int d = input.dim() - 3; d < input.dim(); d++) {
            if (input.size(d) == 0) {
                throw new IllegalArgumentException("adaptive_avg_pool2d(): Expected input to have non-zero size for "
                        + "non-batch dimensions, but input has sizes " + Shapes.str(input.shape()) + " with dimension "
                        + d + " being empty");
            }
        }
        if (outputSize.length != 1 && outputSize.length != 2) {
            throw new IllegalArgumentException("adaptive_avg_pool2d: output_size must be 2");
        }
        long[] size = expand(outputSize, 2, "output_size", "adaptive_avg_pool2d");
        ConvArgs.checkNonNegative(size, "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0"
                + " but received " + ConvArgs.tuple(size));
        Im2Col.checkFloating(input, "adaptive_avg_pool2d");
        try (TensorScope temps = TensorScope.openTemporaries()) {
            return temps.handOut(adaptiveInScope(input, size));
        }
    }

    private static Tensor adaptiveInScope(Tensor input, long[] size) {
        Tensor x = batched(input);
        Tensor out = Kernels.emptyLike(x, x.dtype(), x.size(0), x.size(1), size[0], size[1]);
        try (var g = Autograd.noGrad()) {
            Tensor xc = Views.contiguous(x);
            Dispatch.on(xc, out).conv().adaptiveAvgPool2d(xc.arg(), out.arg());
            Kernels.release(xc, x);
        }
        long[] inShape = x.shape();
        Graph.record(out, "AdaptiveAvgPool2DBackward0", inputs(x), Graph.NONE, c -> {
            Tensor gradIn = Kernels.emptyLike(c.grad(), c.grad().dtype(), inShape);
            try (var g = Autograd.noGrad()) {
                Tensor gc = Views.contiguous(c.grad());
                Dispatch.on(gc, gradIn).conv().adaptiveAvgPool2dBackward(gc.arg(), gradIn.arg());
                Kernels.release(gc, c.grad());
            }
            return new Tensor[] {gradIn};
        });
        return unbatched(out, input);
    }

    // ---------------------------------------------------------------- geometry and checks

    private static Tensor batched(Tensor input) {
        return input.dim() == 3 ? Views.unsqueeze(input, 0) : input;
    }

    private static Tensor unbatched(Tensor out, Tensor input) {
        return input.dim() == 3 ? Views.squeeze(out, 0) : out;
    }

    private static void checkInput(Tensor input, String op) {
        if (input.dim() != 3 && input.dim() != 4) {
            throw new IllegalArgumentException("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                    + "for input, but got:" + Shapes.str(input.shape()));
        }
        Im2Col.checkFloating(input, op);
    }

    private static Window2d window(Tensor x, long[] kernel, long[] stride, long[] padding, long[] dilation,
                                   boolean ceilMode, String op) {
        long[] k = expand(kernel, 2, "kernel_size", op);
        long[] s = stride.length == 0 ? k.clone() : expand(stride, 2, "stride", op);
        long[] p = expand(padding, 2, "padding", op);
        long[] d = expand(dilation, 2, "dilation", op);
        if (k[0] <= 0 || k[1] <= 0) {
            throw new IllegalArgumentException("kernel size should be greater than zero, but got kH: " + k[0] + " kW: "
                    + k[1]);
        }
        if (s[0] <= 0 || s[1] <= 0) {
            throw new IllegalArgumentException("stride should be greater than zero, but got dH: " + s[0] + " dW: " + s[1]);
        }
        if (d[0] <= 0 || d[1] <= 0) {
            throw new IllegalArgumentException("dilation should be greater than zero, but got dilationH: " + d[0]
                    + " dilationW: " + d[1]);
        }
        ConvArgs.checkNonNegative(p, "pad must be non-negative, but got pad: " + p[0]);
        long h = x.size(2);
        long wd = x.size(3);
        long oh = outputSize(h, k[0], p[0], s[0], d[0], ceilMode);
        long ow = outputSize(wd, k[1], p[1], s[1], d[1], ceilMode);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("Given input size: (" + x.size(1) + "x" + h + "x" + wd + "). Calculated "
                    + "output size: (" + x.size(1) + "x" + oh + "x" + ow + "). Output size is too small");
        }
        return new Window2d(toInt(k[0]), toInt(k[1]), toInt(s[0]), toInt(s[1]), toInt(p[0]), toInt(p[1]),
                toInt(d[0]), toInt(d[1]), toInt(oh), toInt(ow));
    }

    /** PyTorch's {@code pooling_output_shape}, including its pad limit and the ceil-mode last-window rule. */
    private static long outputSize(long in, long k, long pad, long stride, long dilation, boolean ceilMode) {
        if (pad > ((k - 1) * dilation + 1) / 2) {
            throw new IllegalArgumentException("pad should be at most half of effective kernel size, but got pad=" + pad
                    + ", kernel_size=" + k + " and dilation=" + dilation);
        }
        long out = Math.floorDiv(in + 2 * pad - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0), stride) + 1;
        if (ceilMode && (out - 1) * stride >= in + pad) {
            out--;
        }
        return out;
    }
}
