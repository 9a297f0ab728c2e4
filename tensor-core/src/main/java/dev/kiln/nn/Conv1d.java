package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/**
 * 1-d convolution, like {@code torch.nn.Conv1d}: input {@code [N, C_in, L]} (or {@code [C_in, L]}), weight
 * {@code [C_out, C_in/groups, k]}, {@code L_out = floor((L + 2p - d(k-1) - 1) / s) + 1}. See {@link ConvNd}.
 */
public class Conv1d extends ConvNd {

    public Conv1d(long inChannels, long outChannels, long kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0);
    }

    public Conv1d(long inChannels, long outChannels, long kernelSize, long stride, long padding) {
        this(inChannels, outChannels, kernelSize, stride, padding, 1, 1, true);
    }

    /** Every option ({@code padding_mode='zeros'}). */
    public Conv1d(long inChannels, long outChannels, long kernelSize, long stride, long padding, long dilation,
                  long groups, boolean bias) {
        super(1, inChannels, outChannels, rep(kernelSize, 1), rep(stride, 1), rep(padding, 1), null, rep(dilation, 1),
                rep(0, 1), groups, bias, false);
    }

    /** With {@code padding="same"} or {@code "valid"}. */
    public Conv1d(long inChannels, long outChannels, long kernelSize, long stride, String padding, long dilation,
                  long groups, boolean bias) {
        super(1, inChannels, outChannels, rep(kernelSize, 1), rep(stride, 1), rep(0, 1), padding, rep(dilation, 1),
                rep(0, 1), groups, bias, false);
    }

    @Override
    public Tensor forward(Tensor input) {
        return paddingString != null
                ? F.conv1d(input, weight(), bias(), stride, paddingString, dilation, groups)
                : F.conv1d(input, weight(), bias(), stride, padding, dilation, groups);
    }
}
