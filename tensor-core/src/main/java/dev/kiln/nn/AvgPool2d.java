package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.tensor.Tensor;

/**
 * 2-d average pooling, like {@code torch.nn.AvgPool2d} (stride defaults to the kernel size;
 * {@code count_include_pad} decides whether padding cells count in the divisor; {@code ceil_mode} keeps a last
 * partial window).
 */
public class AvgPool2d extends Module {
    private final long[] kernelSize;
    private final long[] stride;
    private final long[] padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;

    public AvgPool2d(long kernelSize) {
        this(kernelSize, kernelSize, 0, false, true);
    }

    public AvgPool2d(long kernelSize, long stride, long padding, boolean ceilMode, boolean countIncludePad) {
        this(new long[] {kernelSize}, new long[] {stride}, new long[] {padding}, ceilMode, countIncludePad);
    }

    /** One or two values per argument; an empty {@code stride} means the kernel size. */
    public AvgPool2d(long[] kernelSize, long[] stride, long[] padding, boolean ceilMode, boolean countIncludePad) {
        this.kernelSize = kernelSize.clone();
        this.stride = stride.length == 0 ? kernelSize.clone() : stride.clone();
        this.padding = padding.clone();
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.avgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);
    }

    /** PyTorch prints only these three, e.g. {@code AvgPool2d(kernel_size=2, stride=2, padding=0)}. */
    @Override
    protected String extraRepr() {
        return "kernel_size=" + PoolRepr.value(kernelSize) + ", stride=" + PoolRepr.value(stride) + ", padding="
                + PoolRepr.value(padding);
    }
}
