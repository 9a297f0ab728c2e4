package dev.kiln.backend;

import dev.kiln.Kiln;
import dev.kiln.KilnContext;
import dev.kiln.memory.Storage;
import dev.kiln.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * float32 stand-ins for the float16/bfloat16 arguments of one kernel call ({@link HalfAsFloat32}): inputs are
 * widened (exactly) into contiguous float32 scratch, outputs get float32 scratch that {@link #commit} rounds back
 * (to nearest even, once) into the real output, and {@link #close} frees the scratch. Arguments of other dtypes pass
 * through untouched. The widening and rounding run on the wrapped backend's own {@code copy} kernel, so they happen
 * on the device that holds the data.
 */
final class Float32Scratch implements AutoCloseable {
    private final PointwiseKernels casts;
    private final List<Storage> owned = new ArrayList<>(4);
    private final List<KernelArg[]> writeBacks = new ArrayList<>(2);

    Float32Scratch(PointwiseKernels casts) {
        this.casts = casts;
    }

    /**
     * Runs {@code body} (a float32 kernel call on {@code s.in(..)} / {@code s.out(..)} copies) in a fresh scratch and
     * rounds the outputs back into their half-precision tensors when it returns.
     */
    static void run(PointwiseKernels casts, java.util.function.Consumer<Float32Scratch> body) {
        try (Float32Scratch s = new Float32Scratch(casts)) {
            body.accept(s);
            s.commit();
        }
    }

    static boolean isHalf(KernelArg a) {
        return a != null && a.dtype().isHalf();
    }

    static boolean anyHalf(KernelArg a, KernelArg b) {
        return isHalf(a) || isHalf(b);
    }

    static boolean anyHalf(KernelArg a, KernelArg b, KernelArg c) {
        return isHalf(a) || isHalf(b) || isHalf(c);
    }

    static boolean anyHalf(KernelArg a, KernelArg b, KernelArg c, KernelArg d) {
        return anyHalf(a, b) || anyHalf(c, d);
    }

    /** An input: {@code a} itself, or its value widened to float32. */
    KernelArg in(KernelArg a) {
        if (!isHalf(a)) {
            return a;
        }
        KernelArg f = allocate(a);
        casts.copy(a, f);
        return f;
    }

    /** An output the kernel overwrites: {@code a} itself, or float32 scratch rounded into {@code a} by commit. */
    KernelArg out(KernelArg a) {
        if (!isHalf(a)) {
            return a;
        }
        KernelArg f = allocate(a);
        writeBacks.add(new KernelArg[] {f, a});
        return f;
    }

    /** An output the kernel also reads (scatter's base values): widened in, rounded back by commit. */
    KernelArg inOut(KernelArg a) {
        if (!isHalf(a)) {
            return a;
        }
        KernelArg f = in(a);
        writeBacks.add(new KernelArg[] {f, a});
        return f;
    }

    /** Rounds every float32 output back into its half-precision tensor (call once the kernel has written them). */
    void commit() {
        for (KernelArg[] wb : writeBacks) {
            casts.copy(wb[0], wb[1]);
        }
    }

    private KernelArg allocate(KernelArg like) {
        long bytes = like.numel() * DType.FLOAT32.byteSize();
        BufferAllocator host = like.device().isCuda() ? contextAllocator() : like.storage().allocator();
        // the device's own backend: kernels may be shared by several backends (a test stand-in for a GPU reuses the
        // CPU's), and only the owner can allocate on its device
        Storage s = Backends.of(like.device()).memory().allocate(like.device(), host, bytes, false);
        owned.add(s);
        return KernelArg.contiguous(s, DType.FLOAT32, like.shape());
    }

    private static BufferAllocator contextAllocator() {
        KilnContext ctx = KilnContext.current();
        return ctx == null ? Kiln.rootAllocator() : ctx.allocator();
    }

    @Override
    public void close() {
        for (Storage s : owned) {
            s.release();
        }
        owned.clear();
    }
}
