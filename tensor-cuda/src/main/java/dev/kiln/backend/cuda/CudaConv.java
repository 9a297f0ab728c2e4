package dev.kiln.backend.cuda;

import dev.kiln.backend.ConvKernels;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.Window2d;
import dev.kiln.tensor.Device;
import java.lang.ref.Reference;
import java.util.function.Function;

/**
 * im2col/col2im ({@code conv.ptx}) and pooling ({@code pool.ptx}) over {@code [N, C, H, W]} float32/float64
 * images. The op layer passes contiguous images (inputs that are not are copied here first; outputs must be);
 * {@code cols} needs unit stride in its last dim only. Window fields are passed as ten ints in record order.
 *
 * <p>The max-pool backward takes no window in the SPI, so it uses the scatter kernel (gradIn zeroed, then each
 * gradient added at its saved argmax with an atomic add): deterministic when windows do not overlap (the usual
 * stride = kernel case), otherwise float sums may differ from the CPU's order in the last bits.
 */
final class CudaConv extends KernelFamily implements ConvKernels {

    CudaConv() {
        this(GPUS);
    }

    CudaConv(Function<Device, DeviceQueue> queues) {
        super(queues);
    }

    @Override
    public void im2col(KernelArg in, Window2d w, KernelArg cols) {
        requireColumns(cols, "im2col");
        launchImage(in, (d, x, p) -> d.gridStride(KernelNames.im2col(x.dtype()),
                x.size(0) * x.size(1) * w.taps() * w.outPlane(),
                p.ptr(x.dataAddress()).dims(x).window(w).ptr(cols.dataAddress()).i64(cols.stride(0))
                        .i64(cols.stride(1))), cols);
    }

    @Override
    public void col2im(KernelArg cols, Window2d w, KernelArg out) {
        requireColumns(cols, "col2im");
        requireContiguous(out, "col2im");
        launchImage(out, (d, x, p) -> d.gridStride(KernelNames.col2im(x.dtype()), x.numel(),
                p.ptr(cols.dataAddress()).i64(cols.stride(0)).i64(cols.stride(1)).dims(x).window(w)
                        .ptr(x.dataAddress())), cols);
    }

    @Override
    public void maxPool2d(KernelArg in, Window2d w, KernelArg out, KernelArg indices) {
        requireContiguous(out, "max_pool2d");
        requireContiguous(indices, "max_pool2d");
        launchImage(in, (d, x, p) -> d.gridStride(KernelNames.maxPool2d(x.dtype()), out.numel(),
                p.ptr(x.dataAddress()).dims(x).window(w).ptr(out.dataAddress()).ptr(indices.dataAddress())),
                out, indices);
    }

    /** The deterministic gather kernel: one thread per input pixel sums the outputs whose argmax it is. */
    @Override
    public void maxPool2dBackward(KernelArg grad, KernelArg indices, Window2d w, KernelArg gradIn) {
        requireContiguous(gradIn, "max_pool2d_backward");
        DeviceQueue d = queue(gradIn);
        KernelArg g = grad.isContiguous() ? grad : Scratch.contiguousCopy(d, grad);
        KernelArg idx = indices.isContiguous() ? indices : Scratch.contiguousCopy(d, indices);
        try {
            if (gradIn.numel() == 0) {
                return;
            }
            d.gridStride(KernelNames.maxPool2dBackward(gradIn.dtype()), gradIn.numel(),
                    new Params().ptr(g.dataAddress()).ptr(idx.dataAddress()).dims(gradIn).window(w)
                            .ptr(gradIn.dataAddress()));
        } finally {
            if (g != grad) {
                Scratch.release(g);
            }
            if (idx != indices) {
                Scratch.release(idx);
            }
            Reference.reachabilityFence(grad);
            Reference.reachabilityFence(indices);
            Reference.reachabilityFence(gradIn);
        }
    }

    @Override
    public void avgPool2d(KernelArg in, Window2d w, boolean countIncludePad, KernelArg out) {
        requireContiguous(out, "avg_pool2d");
        launchImage(in, (d, x, p) -> d.gridStride(KernelNames.avgPool2d(x.dtype()), out.numel(),
                p.ptr(x.dataAddress()).dims(x).window(w).i32(countIncludePad ? 1 : 0).ptr(out.dataAddress())), out);
    }

    @Override
    public void avgPool2dBackward(KernelArg grad, Window2d w, boolean countIncludePad, KernelArg gradIn) {
        requireContiguous(gradIn, "avg_pool2d_backward");
        launchImage(grad, (d, g, p) -> d.gridStride(KernelNames.avgPool2dBackward(g.dtype()), gradIn.numel(),
                p.ptr(g.dataAddress()).dims(gradIn).window(w).i32(countIncludePad ? 1 : 0)
                        .ptr(gradIn.dataAddress())), gradIn);
    }

    @Override
    public void adaptiveAvgPool2d(KernelArg in, KernelArg out) {
        requireContiguous(out, "adaptive_avg_pool2d");
        launchImage(in, (d, x, p) -> d.gridStride(KernelNames.adaptiveAvgPool2d(x.dtype()), out.numel(),
                p.ptr(x.dataAddress()).dims(x).i32(toInt(out.size(2))).i32(toInt(out.size(3)))
                        .ptr(out.dataAddress())), out);
    }

    @Override
    public void adaptiveAvgPool2dBackward(KernelArg grad, KernelArg gradIn) {
        requireContiguous(gradIn, "adaptive_avg_pool2d_backward");
        launchImage(grad, (d, g, p) -> d.gridStride(KernelNames.adaptiveAvgPool2dBackward(g.dtype()), gradIn.numel(),
                p.ptr(g.dataAddress()).dims(gradIn).i32(toInt(g.size(2))).i32(toInt(g.size(3)))
                        .ptr(gradIn.dataAddress())), gradIn);
    }

    /** A launch over one (possibly copied) contiguous input image. */
    @FunctionalInterface
    private interface ImageLaunch {
        void run(DeviceQueue d, KernelArg image, Params params);
    }

    /**
     * Runs {@code launch} with {@code image} made contiguous (a scratch copy when it is not), keeping every
     * argument reachable until the launch is queued.
     */
    private void launchImage(KernelArg image, ImageLaunch launch, KernelArg... others) {
        DeviceQueue d = queue(image);
        KernelArg x = image.isContiguous() ? image : Scratch.contiguousCopy(d, image);
        try {
            launch.run(d, x, new Params());
        } finally {
            if (x != image) {
                Scratch.release(x);
            }
            Reference.reachabilityFence(image);
            Reference.reachabilityFence(others);
        }
    }

    private static void requireContiguous(KernelArg t, String op) {
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(op + ": the CUDA kernel writes a contiguous output, got " + t
                    + " with strides " + java.util.Arrays.toString(t.strides()));
        }
    }

    private static void requireColumns(KernelArg cols, String op) {
        if (cols.dim() != 3 || (cols.size(2) > 1 && cols.stride(2) != 1)) {
            throw new IllegalArgumentException(op + ": expected cols [N, C*kh*kw, oh*ow] with unit stride in its last "
                    + "dim, got " + cols + " with strides " + java.util.Arrays.toString(cols.strides()));
        }
    }

    static int toInt(long v) {
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image dimension " + v + " exceeds the CUDA kernels' int range");
        }
        return (int) v;
    }
}
