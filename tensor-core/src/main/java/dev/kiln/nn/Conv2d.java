package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/**
 * 2-d convolution, like {@code torch.nn.Conv2d}: input {@code [N, C_in, H, W]} (or {@code [C_in, H, W]}),
 * weight {@code [C_out, C_in/groups, kh, kw]}, output
 * {@code out[n, o] = bias[o] + sum_c weight[o, c] (*) input[n, g*C_in/groups + c]} with
 * {@code H_out = floor((H + 2p - d(k-1) - 1) / s) + 1}. See {@link ConvNd} for initialization.
 */
public class Conv2d extends ConvNd {

    /** {@code Conv2d(in, out, kernel_size)}: stride 1, no padding. */
    public Conv2d(long inChannels, long outChannels, long kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0);
    }

    /** {@code Conv2d(in, out, kernel_size, stride, padding)} with square values. */
    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride, long padding) {
        this(inChannels, outChannels, rep(kernelSize, 2), rep(stride, 2), rep(padding, 2), rep(1, 2), 1, true);
    }

    /** Every option, one value per spatial dim ({@code padding_mode='zeros'}). */
    public Conv2d(long inChannels, long outChannels, long[] kernelSize, long[] stride, long[] padding, long[] dilation,
                  long groups, boolean bias) {
        super(2, inChannels, outChannels, kernelSize, stride, padding, null, dilation, rep(0, 2), groups, bias, false);
    }

    /** With {@code padding="same"} or {@code "valid"}. */
    public Conv2d(long inChannels, long outChannels, long[] kernelSize, long[] stride, String padding, long[] dilation,
                  long groups, boolean bias) {
        super(2, inChannels, outChannels, kernelSize, stride, rep(0, 2), padding, dilation, rep(0, 2), groups, bias, false);
    }

    @Override
    public Tensor forward(Tensor input) {
        return paddingString != null
                ? F.conv2d(input, weight(), bias(), stride, paddingString, dilation, groups)
                : F.conv2d(input, weight(), bias(), stride, padding, dilation, groups);
    }
}
