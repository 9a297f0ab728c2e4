package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/**
 * Averages each plane down to a fixed {@code output_size}, like {@code torch.nn.AdaptiveAvgPool2d} (cell
 * {@code i} covers input rows {@code [floor(i*H/oh), ceil((i+1)*H/oh))}); {@code AdaptiveAvgPool2d(1)} is global
 * average pooling.
 */
public class AdaptiveAvgPool2d extends Module {
    private final long[] outputSize;

    public AdaptiveAvgPool2d(long outputSize) {
        this.outputSize = new long[] {outputSize};
    }

    public AdaptiveAvgPool2d(long outputHeight, long outputWidth) {
        this.outputSize = new long[] {outputHeight, outputWidth};
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.adaptiveAvgPool2d(input, outputSize);
    }

    @Override
    protected String extraRepr() {
        return "output_size=" + PoolRepr.value(outputSize);
    }
}
