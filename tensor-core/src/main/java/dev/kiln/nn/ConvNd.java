package dev.kiln.nn;

import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * What {@link Conv1d}, {@link Conv2d} and {@link ConvTranspose2d} share, like PyTorch's {@code _ConvNd}: the
 * hyper-parameters (one value per spatial dim), the weight ({@code [out, in/groups, *kernel]}, or
 * {@code [in, out/groups, *kernel]} when transposed) and optional bias {@code [out]}, PyTorch's default
 * initialization and its {@code extra_repr}.
 */
public abstract class ConvNd extends Module {
    protected final long inChannels;
    protected final long outChannels;
    protected final long[] kernelSize;
    protected final long[] stride;
    protected final long[] padding;
    /** {@code "same"} or {@code "valid"} when padding was given as a string, else null. */
    protected final String paddingString;
    protected final long[] dilation;
    protected final long[] outputPadding;
    protected final long groups;

    @SuppressWarnings("this-escape")
    protected ConvNd(int spatial, long inChannels, long outChannels, long[] kernelSize, long[] stride,
                     long[] padding, String paddingString, long[] dilation, long[] outputPadding, long groups,
                     boolean bias, boolean transposed) {
        kernelSize = ntuple(kernelSize, spatial, "kernel_size");
        stride = ntuple(stride, spatial, "stride");
        padding = ntuple(padding, spatial, "padding");
        dilation = ntuple(dilation, spatial, "dilation");
        outputPadding = ntuple(outputPadding, spatial, "output_padding");
        checkChannels(inChannels, outChannels, groups);
        checkPaddingString(paddingString, stride);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.paddingString = paddingString;
        this.dilation = dilation.clone();
        this.outputPadding = outputPadding.clone();
        this.groups = groups;
        long[] shape = new long[2 + kernelSize.length];
        shape[0] = transposed ? inChannels : outChannels;
        shape[1] = (transposed ? outChannels : inChannels) / groups;
        System.arraycopy(kernelSize, 0, shape, 2, kernelSize.length);
        registerParameter("weight", Tensor.empty(DType.FLOAT32, shape));
        registerParameter("bias", bias ? Tensor.empty(DType.FLOAT32, outChannels) : null);
        resetParameters(Generator.defaultGenerator());
    }

    /** {@code v} repeated once per spatial dim, like PyTorch's {@code _pair}. */
    static long[] rep(long v, int n) {
        long[] r = new long[n];
        Arrays.fill(r, v);
        return r;
    }

    /** One value per spatial dim: a single value is repeated, like PyTorch's {@code _pair} / {@code _single}. */
    static long[] ntuple(long[] v, int n, String name) {
        if (v.length == n) {
            return v.clone();
        }
        if (v.length != 1) {
            throw new IllegalArgumentException(name + " must have 1 or " + n + " values, got " + v.length);
        }
        return rep(v[0], n);
    }

    private static void checkChannels(long in, long out, long groups) {
        if (groups <= 0) {
            throw new IllegalArgumentException("groups must be a positive integer");
        }
        if (in % groups != 0) {
            throw new IllegalArgumentException("in_channels must be divisible by groups");
        }
        if (out % groups != 0) {
            throw new IllegalArgumentException("out_channels must be divisible by groups");
        }
    }

    private static void checkPaddingString(String padding, long[] stride) {
        if (padding == null) {
            return;
        }
        if (!padding.equals("same") && !padding.equals("valid")) {
            throw new IllegalArgumentException("Invalid padding string '" + padding
                    + "', should be one of {'valid', 'same'}");
        }
        if (padding.equals("same") && Arrays.stream(stride).anyMatch(s -> s != 1)) {
            throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
        }
    }

    /**
     * PyTorch's {@code reset_parameters()}: {@code kaiming_uniform_(weight, a=sqrt(5))}, i.e.
     * {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))} with {@code fan_in = weight.size(1) * prod(kernel)}, and the
     * bias from the same range.
     */
    public void resetParameters(Generator gen) {
        Init.kaimingUniform_(weight(), Math.sqrt(5), Init.FanMode.FAN_IN, "leaky_relu", gen);
        if (bias() != null) {
            long fanIn = Init.fans(weight())[0];
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            Init.uniform_(bias(), -bound, bound, gen);
        }
    }

    public Tensor weight() {
        // NOTE: looked up, never cached in a field: to(dtype) / to(device) replace the parameter tensors
        return parameter("weight");
    }

    /** The bias, or null when built with {@code bias=false}. */
    public Tensor bias() {
        return parameter("bias");
    }

    public long inChannels() {
        return inChannels;
    }

    public long outChannels() {
        return outChannels;
    }

    public long groups() {
        return groups;
    }

    /** Like {@code _ConvNd.extra_repr}: non-default padding, dilation, output padding, groups and bias only. */
    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder().append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(tuple(kernelSize)).append(", stride=").append(tuple(stride));
        if (paddingString != null) {
            s.append(", padding=").append(paddingString);
        } else if (Arrays.stream(padding).anyMatch(p -> p != 0)) {
            s.append(", padding=").append(tuple(padding));
        }
        if (Arrays.stream(dilation).anyMatch(d -> d != 1)) {
            s.append(", dilation=").append(tuple(dilation));
        }
        if (Arrays.stream(outputPadding).anyMatch(p -> p != 0)) {
            s.append(", output_padding=").append(tuple(outputPadding));
        }
        if (groups != 1) {
            s.append(", groups=").append(groups);
        }
        if (bias() == null) {
            s.append(", bias=False");
        }
        return s.toString();
    }

    /** Python's tuple text: {@code (3, 3)}, {@code (3,)}. */
    static String tuple(long[] v) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) {
            sb.append(i > 0 ? ", " : "").append(v[i]);
        }
        return sb.append(v.length == 1 ? ",)" : ")").toString();
    }
}
