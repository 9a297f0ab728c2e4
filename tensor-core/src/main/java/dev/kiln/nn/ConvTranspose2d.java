package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/**
 * Transposed 2-d convolution, like {@code torch.nn.ConvTranspose2d}: weight {@code [C_in, C_out/groups, kh, kw]},
 * {@code H_out = (H - 1) s - 2p + d(k-1) + output_padding + 1}; the gradient of {@link Conv2d} with respect to its
 * input. Initialization as in {@link ConvNd} (PyTorch's fan_in here is {@code C_out/groups * kh * kw}).
 */
public class ConvTranspose2d extends ConvNd {

    public ConvTranspose2d(long inChannels, long outChannels, long kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0);
    }

    public ConvTranspose2d(long inChannels, long outChannels, long kernelSize, long stride, long padding) {
        this(inChannels, outChannels, rep(kernelSize, 2), rep(stride, 2), rep(padding, 2), rep(0, 2), 1, true,
                rep(1, 2));
    }

    /** Every option, in PyTorch's argument order ({@code padding_mode='zeros'}). */
    public ConvTranspose2d(long inChannels, long outChannels, long[] kernelSize, long[] stride, long[] padding,
                           long[] outputPadding, long groups, boolean bias, long[] dilation) {
        super(2, inChannels, outChannels, kernelSize, stride, padding, null, dilation, outputPadding, groups, bias, true);
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.convTranspose2d(input, weight(), bias(), stride, padding, outputPadding, groups, dilation);
    }
}
