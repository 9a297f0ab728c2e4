package dev.kiln.ops;

import dev.kiln.amp.Autocast;
import static dev.kiln.ops.ConvArgs.expand;
import static dev.kiln.ops.ConvArgs.toInt;

import dev.kiln.backend.Window2d;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * {@code conv1d}, {@code conv2d} and {@code conv_transpose2d} with PyTorch's arguments and error messages.
 *
 * <p>Convolution is im2col + GEMM: with {@code cols = unfold(x)} of shape {@code [N, C*kh*kw, oh*ow]} and the
 * weight viewed as {@code [O, C*kh*kw]}, {@code y[n] = W cols[n] + b} (per group, on the matching block of rows).
 * It is composed from differentiable ops ({@link Im2Col#unfold}, {@link Linalg#matmul}, add), so autograd gives
 * {@code grad_input = fold(W^T G)}, {@code grad_weight = sum_n G[n] cols[n]^T}, {@code grad_bias = sum G} and
 * double backward with no hand-written gradient here. {@link DirectConv} runs first: where the backend has direct
 * kernels (oneDNN for float32 on CPU) the convolution is one node over them. The transposed convolution is the adjoint:
 * {@code y = fold(W^T x)}. 1-d convolution runs as 2-d on a height-1 image.
 */
public final class Convolution {
    private Convolution() {
    }

    /** {@code torch.nn.functional.conv2d}; {@code stride/padding/dilation} hold 1 or 2 values. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
                                long groups) {
        long[] pad = ConvArgs.symmetric(expand(padding, 2, "padding", "conv2d"));
        return conv("conv2d", 2, input, weight, bias, expand(stride, 2, "stride", "conv2d"), pad,
                expand(dilation, 2, "dilation", "conv2d"), groups);
    }

    /** {@code conv2d} with {@code padding="same"} or {@code "valid"}. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, long[] stride, String padding,
                                long[] dilation, long groups) {
        return stringPadded("conv2d", 2, input, weight, bias, stride, padding, dilation, groups);
    }

    /** {@code torch.nn.functional.conv1d}: input {@code [N, C, L]} (or {@code [C, L]}), weight {@code [O, C/g, k]}. */
    public static Tensor conv1d(Tensor input, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
                                long groups) {
        long[] pad = ConvArgs.symmetric(expand(padding, 1, "padding", "conv1d"));
        return conv("conv1d", 1, input, weight, bias, expand(stride, 1, "stride", "conv1d"), pad,
                expand(dilation, 1, "dilation", "conv1d"), groups);
    }

    public static Tensor conv1d(Tensor input, Tensor weight, Tensor bias, long[] stride, String padding,
                                long[] dilation, long groups) {
        return stringPadded("conv1d", 1, input, weight, bias, stride, padding, dilation, groups);
    }

    private static Tensor stringPadded(String op, int spatial, Tensor input, Tensor weight, Tensor bias, long[] stride,
                                       String padding, long[] dilation, long groups) {
        long[] s = expand(stride, spatial, "stride", op);
        long[] d = expand(dilation, spatial, "dilation", op);
        checkInputDim(op, spatial, input);
        long[] kernel = new long[spatial];
        for (int i = 0; i < spatial; i++) {
            kernel[i] = weight.dim() == spatial + 2 ? weight.size(2 + i) : 1;
        }
        return conv(op, spatial, input, weight, bias, s, ConvArgs.stringPadding(padding, kernel, s, d, op), d, groups);
    }

    /** The shared path; {@code pad} is {@code [before..., after...]} per spatial dim. */
    private static Tensor conv(String op, int spatial, Tensor input, Tensor weight, Tensor bias, long[] stride,
                               long[] pad, long[] dilation, long groups) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply(op, c -> conv(op, spatial, c[0], c[1], c[2], stride, pad, dilation, groups),
                    input, weight, bias);
            if (cast != null) {
                return cast;
            }
        }
        try (TensorScope temps = TensorScope.openTemporaries()) { // im2col columns, GEMM views: freed here
            return temps.handOut(convInScope(op, spatial, input, weight, bias, stride, pad, dilation, groups));
        }
    }

    private static Tensor convInScope(String op, int spatial, Tensor input, Tensor weight, Tensor bias,
                                      long[] stride, long[] pad, long[] dilation, long groups) {
        checkInputDim(op, spatial, input);
        checkParams(stride, pad, dilation, groups);
        boolean batched = input.dim() == spatial + 2;
        Tensor x = batched ? input : Views.unsqueeze(input, 0);
        checkWeight(x, weight, bias, groups, false);
        checkDtypes(x, weight, bias, op);
        long[] in = spatialSizes(x, spatial);
        long[] k = spatialSizes(weight, spatial);
        checkKernelFits(in, k, pad, dilation);
        Tensor x4 = spatial == 1 ? Views.unsqueeze(x, 2) : x;
        Tensor w4 = spatial == 1 ? Views.unsqueeze(weight, 2) : weight;
        Window2d win = spatial == 1
                ? window(1, k[0], 1, stride[0], 0, pad[0], 0, pad[1], 1, dilation[0], 1, in[0])
                : window(k[0], k[1], stride[0], stride[1], pad[0], pad[1], pad[2], pad[3], dilation[0], dilation[1],
                        in[0], in[1]);
        Tensor y = DirectConv.conv2d(x4, w4, bias, win, groups, Convolution::gemm);
        y = y != null ? y : gemm(x4, w4, bias, win, groups);
        if (spatial == 1) {
            y = Views.squeeze(y, 2);
        }
        return batched ? y : Views.squeeze(y, 0);
    }

    /** {@code y[n] = W cols[n] + b} per group, shaped {@code [N, O, oh, ow]}. */
    private static Tensor gemm(Tensor x, Tensor w, Tensor bias, Window2d win, long groups) {
        long n = x.size(0);
        long o = w.size(0);
        long rows = w.size(1) * win.taps();
        Tensor y;
        if (groups == 1) {
            y = batchGemm(x, w, bias, win);
        } else {
            Tensor cols = Im2Col.unfold(x, win);
            Tensor wg = Views.reshape(w, new long[] {groups, o / groups, rows});
            y = Linalg.matmul(wg, Views.view(cols, new long[] {n, groups, rows, win.outPlane()}));
            if (bias != null) {
                y = Pointwise.add(y, Views.view(bias, new long[] {groups, o / groups, 1}));
            }
        }
        return Views.reshape(y, new long[] {n, o, win.oh(), win.ow()});
    }

    /**
     * {@code y[n] = W cols[n] + b} for the images of {@code x} as ONE GEMM, {@code [O, rows] x [rows, N*P]}, instead
     * of N small ones: small GEMMs leave OpenBLAS's threads idle-spinning, which costs orders of magnitude on a busy
     * 2-core machine. Returns {@code [N, O, P]}.
     */
    private static Tensor batchGemm(Tensor x, Tensor w, Tensor bias, Window2d win) {
        long n = x.size(0);
        long o = w.size(0);
        long p = win.outPlane();
        Tensor colsAll = Im2Col.unfoldBatchInner(x, win);
        Tensor yAll = Linalg.matmul(Views.reshape(w, new long[] {o, colsAll.size(0)}), colsAll);
        Tensor y = Views.permute(Views.view(yAll, new long[] {o, n, p}), new long[] {1, 0, 2});
        if (bias != null) {
            // The add writes a fresh contiguous [N, O, P] tensor, so it is also the copy that un-permutes the
            // batch-inner GEMM output: one pass instead of a reshape copy followed by a bias add.
            y = Pointwise.add(y, Views.view(bias, new long[] {o, 1}));
        }
        return y;
    }

    private static Window2d window(long kh, long kw, long sh, long sw, long ph, long pw, long phAfter, long pwAfter,
                                   long dh, long dw, long h, long wd) {
        long oh = ConvArgs.outSize(h, ph + phAfter, kh, sh, dh);
        long ow = ConvArgs.outSize(wd, pw + pwAfter, kw, sw, dw);
        return new Window2d(toInt(kh), toInt(kw), toInt(sh), toInt(sw), toInt(ph), toInt(pw), toInt(dh), toInt(dw),
                toInt(oh), toInt(ow));
    }

    // ---------------------------------------------------------------- transposed

    /**
     * {@code torch.nn.functional.conv_transpose2d}: input {@code [N, Cin, H, W]}, weight {@code [Cin, Cout/g, kh, kw]};
     * output size {@code (H-1)*s - 2p + d*(k-1) + output_padding + 1}. Computed as {@code fold(W^T x)}, the adjoint
     * of {@code conv2d} with the same stride, padding and dilation.
     */
    public static Tensor convTranspose2d(Tensor input, Tensor weight, Tensor bias, long[] stride, long[] padding,
                                         long[] outputPadding, long groups, long[] dilation) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("conv_transpose2d",
                    c -> convTranspose2d(c[0], c[1], c[2], stride, padding, outputPadding, groups, dilation),
                    input, weight, bias);
            if (cast != null) {
                return cast;
            }
        }
        try (TensorScope temps = TensorScope.openTemporaries()) { // W^T x columns and views: freed here
            return temps.handOut(convTranspose2dInScope(input, weight, bias, stride, padding, outputPadding, groups,
                    dilation));
        }
    }

    private static Tensor convTranspose2dInScope(Tensor input, Tensor weight, Tensor bias, long[] stride,
                                                 long[] padding, long[] outputPadding, long groups, long[] dilation) {
        String op = "conv_transpose2d";
        long[] s = expand(stride, 2, "stride", op);
        long[] p = expand(padding, 2, "padding", op);
        long[] op2 = expand(outputPadding, 2, "output_padding", op);
        long[] d = expand(dilation, 2, "dilation", op);
        checkInputDim(op, 2, input);
        checkParams(s, ConvArgs.symmetric(p), d, groups);
        ConvArgs.checkNonNegative(op2, "negative output_padding is not supported");
        if ((op2[0] >= s[0] && op2[0] >= d[0]) || (op2[1] >= s[1] && op2[1] >= d[1])) {
            throw new IllegalArgumentException("output padding must be smaller than either stride or dilation, but got "
                    + "output_padding_height: " + op2[0] + " output_padding_width: " + op2[1] + " stride_height: " + s[0]
                    + " stride_width: " + s[1] + " dilation_height: " + d[0] + " dilation_width: " + d[1]);
        }
        boolean batched = input.dim() == 4;
        Tensor x = batched ? input : Views.unsqueeze(input, 0);
        checkWeight(x, weight, bias, groups, true);
        checkDtypes(x, weight, bias, op);
        long h = x.size(2);
        long wd = x.size(3);
        long oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (weight.size(2) - 1) + op2[0] + 1;
        long ow = (wd - 1) * s[1] - 2 * p[1] + d[1] * (weight.size(3) - 1) + op2[1] + 1;
        if (oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("Given input size per channel: (" + h + " x " + wd + "). Calculated "
                    + "output size per channel: (" + oh + " x " + ow + "). Output size is too small");
        }
        Window2d win = new Window2d(toInt(weight.size(2)), toInt(weight.size(3)), toInt(s[0]), toInt(s[1]),
                toInt(p[0]), toInt(p[1]), toInt(d[0]), toInt(d[1]), toInt(h), toInt(wd));
        Tensor y = Im2Col.fold(transposedCols(x, weight, win, groups), win, oh, ow);
        if (bias != null) {
            y = Pointwise.add(y, Views.view(bias, new long[] {bias.numel(), 1, 1}));
        }
        return batched ? y : Views.squeeze(y, 0);
    }

    /** {@code W^T x} per group: {@code [N, Cout*kh*kw, H*W]}. */
    private static Tensor transposedCols(Tensor x, Tensor w, Window2d win, long groups) {
        long n = x.size(0);
        long cin = w.size(0);
        long rows = w.size(1) * win.taps();
        long l = win.outPlane();
        Tensor cols;
        if (groups == 1) {
            Tensor wt = Views.transpose(Views.reshape(w, new long[] {cin, rows}), 0, 1);
            cols = Linalg.matmul(wt, Views.reshape(x, new long[] {n, cin, l}));
        } else {
            Tensor wg = Views.reshape(w, new long[] {groups, cin / groups, rows});
            Tensor xg = Views.reshape(x, new long[] {n, groups, cin / groups, l});
            cols = Linalg.matmul(Views.transpose(wg, 1, 2), xg);
        }
        return Views.reshape(cols, new long[] {n, groups * rows, l});
    }

    // ---------------------------------------------------------------- checks (PyTorch's messages)

    private static void checkInputDim(String op, int spatial, Tensor input) {
        if (input.dim() != spatial + 1 && input.dim() != spatial + 2) {
            throw new IllegalArgumentException("Expected " + (spatial + 1) + "D (unbatched) or " + (spatial + 2)
                    + "D (batched) input to " + op + ", but got input of size: " + Shapes.str(input.shape()));
        }
    }

    private static void checkParams(long[] stride, long[] pad, long[] dilation, long groups) {
        ConvArgs.checkPositive(stride, "non-positive stride is not supported");
        ConvArgs.checkNonNegative(pad, "negative padding is not supported");
        ConvArgs.checkPositive(dilation, "dilation should be greater than zero");
        if (groups <= 0) {
            throw new IllegalArgumentException("non-positive groups is not supported");
        }
    }

    /** Weight rank, groups, channel count and bias length, with the texts of PyTorch's check_shape_forward. */
    private static void checkWeight(Tensor x, Tensor weight, Tensor bias, long groups, boolean transposed) {
        String w = Shapes.str(weight.shape());
        if (weight.dim() != x.dim()) {
            throw new IllegalArgumentException("Expected " + weight.dim() + "-dimensional input for " + weight.dim()
                    + "-dimensional weight " + w + ", but got " + x.dim() + "-dimensional input of size "
                    + Shapes.str(x.shape()) + " instead");
        }
        if (weight.size(0) < groups) {
            throw new IllegalArgumentException("Given groups=" + groups + ", expected weight to be at least " + groups
                    + " at dimension 0, but got weight of size " + w + " instead");
        }
        if (weight.size(0) % groups != 0) {
            throw new IllegalArgumentException("Given groups=" + groups + ", expected weight to be divisible by "
                    + groups + " at dimension 0, but got weight of size " + w + " instead");
        }
        long expectedChannels = transposed ? weight.size(0) : weight.size(1) * groups;
        String given = transposed ? "Given transposed=1, weight of size " : "Given groups=" + groups + ", weight of size ";
        if (x.size(1) != expectedChannels) {
            throw new IllegalArgumentException(given + w + ", expected input" + Shapes.str(x.shape()) + " to have "
                    + expectedChannels + " channels, but got " + x.size(1) + " channels instead");
        }
        long outChannels = transposed ? weight.size(1) * groups : weight.size(0);
        if (bias != null && (bias.dim() != 1 || bias.size(0) != outChannels)) {
            throw new IllegalArgumentException((transposed ? "Given transposed=1, weight of size " : "Given weight of size ")
                    + w + ", expected bias to be 1-dimensional with " + outChannels + " elements, but got bias of size "
                    + Shapes.str(bias.shape()) + " instead");
        }
    }

    private static void checkDtypes(Tensor x, Tensor weight, Tensor bias, String op) {
        Im2Col.checkFloating(x, op);
        if (weight.dtype() != x.dtype()) {
            throw new IllegalArgumentException("Input type (" + legacy(x.dtype()) + ") and weight type ("
                    + legacy(weight.dtype()) + ") should be the same");
        }
        if (bias != null && bias.dtype() != x.dtype()) {
            throw new IllegalArgumentException("Input type (" + x.dtype().scalarTypeName().toLowerCase()
                    + ") and bias type (" + bias.dtype().scalarTypeName().toLowerCase() + ") should be the same");
        }
    }

    private static String legacy(DType t) {
        return "torch." + t.scalarTypeName() + "Tensor";
    }

    private static void checkKernelFits(long[] in, long[] k, long[] pad, long[] dilation) {
        int n = in.length;
        long[] padded = new long[n];
        long[] dilated = new long[n];
        boolean fits = true;
        for (int i = 0; i < n; i++) {
            padded[i] = in[i] + pad[i] + pad[n + i];
            dilated[i] = dilation[i] * (k[i] - 1) + 1;
            fits &= padded[i] >= dilated[i];
        }
        if (!fits) {
            throw new IllegalArgumentException("Calculated padded input size per channel: (" + join(padded)
                    + "). Kernel size: (" + join(dilated) + "). Kernel size can't be greater than actual input size");
        }
    }

    private static String join(long[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i > 0 ? " x " : "").append(v[i]);
        }
        return sb.toString();
    }

    private static long[] spatialSizes(Tensor t, int spatial) {
        long[] r = new long[spatial];
        for (int i = 0; i < spatial; i++) {
            r[i] = t.size(2 + i);
        }
        return r;
    }
}
