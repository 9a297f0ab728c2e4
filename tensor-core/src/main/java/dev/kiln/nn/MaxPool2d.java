package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.ops.Pooling;
import dev.kiln.tensor.Tensor;

/**
 * 2-d max pooling, like {@code torch.nn.MaxPool2d}: the max over each {@code kernel_size} window (stride defaults
 * to the kernel size, padding never wins, dilation spaces the taps, {@code ceil_mode} keeps a last partial
 * window). Values given as ints print as ints and pairs as tuples, as in PyTorch's repr.
 */
public class MaxPool2d extends Module {
    private final long[] kernelSize;
    private final long[] stride;
    private final long[] padding;
    private final long[] dilation;
    private final boolean ceilMode;
    private final String repr;

    public MaxPool2d(long kernelSize) {
        this(kernelSize, kernelSize, 0, 1, false);
    }

    public MaxPool2d(long kernelSize, long stride, long padding, long dilation, boolean ceilMode) {
        this(new long[] {kernelSize}, new long[] {stride}, new long[] {padding}, new long[] {dilation}, ceilMode);
    }

    /** One or two values per argument; an empty {@code stride} means the kernel size. */
    public MaxPool2d(long[] kernelSize, long[] stride, long[] padding, long[] dilation, boolean ceilMode) {
        this.kernelSize = kernelSize.clone();
        this.stride = stride.length == 0 ? kernelSize.clone() : stride.clone();
        this.padding = padding.clone();
        this.dilation = dilation.clone();
        this.ceilMode = ceilMode;
        this.repr = "kernel_size=" + PoolRepr.value(this.kernelSize) + ", stride=" + PoolRepr.value(this.stride)
                + ", padding=" + PoolRepr.value(this.padding) + ", dilation=" + PoolRepr.value(this.dilation)
                + ", ceil_mode=" + (ceilMode ? "True" : "False");
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.maxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);
    }

    /**
     * {@code forward(relu(input))}, which equals {@code relu(forward(input))} (values and gradients), in one fused pass
     * where the backend can: {@code Sequential}'s ReLU next to this.
     */
    Tensor forwardWithRelu(Tensor input) {
        return Pooling.reluMaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);
    }

    @Override
    protected String extraRepr() {
        return repr;
    }
}
