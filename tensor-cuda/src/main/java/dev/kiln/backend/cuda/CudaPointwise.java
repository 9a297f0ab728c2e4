package dev.kiln.backend.cuda;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.KernelArg;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.lang.ref.Reference;
import java.util.function.Function;

/**
 * Elementwise kernels ({@code pointwise.ptx}, {@code optim.ptx}): one grid-stride launch per call over the output's
 * elements, each operand passed as its data pointer and {@link Layout}. Per-element semantics (NaN rules, integer
 * wrapping, float32 rounding) are the CPU backend's, implemented in {@code scalar_ops.cuh}.
 *
 * <p>Where the SPI allows an output dtype the kernels do not write directly (a non-bool comparison output, a unary
 * or binary output of another dtype than its inputs: the op layer never asks for these today), the result goes
 * through a scratch tensor and a converting copy, as the CPU's generic path converts on store.
 *
 * <p>Every entry keeps its arguments reachable until the launch is queued: after that a released block can only be
 * reused by work queued later on the same stream (see {@link CudaCachingAllocator}).
 */
final class CudaPointwise extends KernelFamily implements PointwiseKernels {

    CudaPointwise() {
        this(GPUS);
    }

    CudaPointwise(Function<Device, DeviceQueue> queues) {
        super(queues);
    }

    @Override
    public void unary(UnaryOp op, KernelArg in, KernelArg out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        DeviceQueue d = queue(out);
        try {
            if (op == UnaryOp.LOGICAL_NOT) {
                if (out.dtype() != DType.BOOL) {
                    Scratch.through(d, out, DType.BOOL, tmp -> unary(op, in, tmp));
                    return;
                }
                d.gridStride(KernelNames.logicalNot(in.dtype()), n, new Params().i64(n).elements(in).elements(out));
                return;
            }
            if (out.dtype() != in.dtype()) {
                Scratch.through(d, out, in.dtype(), tmp -> unary(op, in, tmp));
                return;
            }
            d.gridStride(KernelNames.unary(in.dtype()), n,
                    new Params().i32(KernelNames.opCode(op)).i64(n).elements(in).elements(out));
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void binary(BinaryOp op, KernelArg a, KernelArg b, KernelArg out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        requireSameDtype("binary " + op, a, b);
        DeviceQueue d = queue(out);
        try {
            DType produced = op.isComparison() ? DType.BOOL : a.dtype();
            if (out.dtype() != produced) {
                Scratch.through(d, out, produced, tmp -> binary(op, a, b, tmp));
                return;
            }
            String kernel = op.isComparison() ? KernelNames.compare(a.dtype()) : KernelNames.binary(a.dtype());
            d.gridStride(kernel, n,
                    new Params().i32(KernelNames.opCode(op)).i64(n).elements(a).elements(b).elements(out));
        } finally {
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void where(KernelArg cond, KernelArg a, KernelArg b, KernelArg out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        requireSameDtype("where", a, b);
        requireSameDtype("where", a, out);
        if (cond.dtype() != DType.BOOL && cond.dtype() != DType.UINT8) {
            throw new IllegalArgumentException("where expected condition to be a boolean tensor, but got a tensor "
                    + "with dtype " + cond.dtype().scalarTypeName());
        }
        DeviceQueue d = queue(out);
        try {
            d.gridStride(KernelNames.where(out.dtype()), n,
                    new Params().i64(n).elements(cond).elements(a).elements(b).elements(out));
        } finally {
            Reference.reachabilityFence(cond);
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void clamp(KernelArg in, double min, double max, KernelArg out) {
        long n = out.numel();
        if (n == 0) {
            return;
        }
        requireSameDtype("clamp", in, out);
        DeviceQueue d = queue(out);
        try {
            d.gridStride(KernelNames.clamp(in.dtype()), n,
                    new Params().i64(n).elements(in).f64(min).f64(max).elements(out));
        } finally {
            Reference.reachabilityFence(in);
            Reference.reachabilityFence(out);
        }
    }

    @Override
    public void copy(KernelArg src, KernelArg dst) {
        long n = dst.numel();
        if (n == 0) {
            return;
        }
        DeviceQueue d = queue(dst);
        try {
            boolean sameLayout = src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous();
            if (sameLayout && src.device().equals(dst.device())) {
                d.copy(dst.dataAddress(), src.dataAddress(), n * dst.dtype().byteSize());
                return;
            }
            d.gridStride(KernelNames.copy(src.dtype(), dst.dtype()), n,
                    new Params().i64(n).elements(src).elements(dst));
        } finally {
            Reference.reachabilityFence(src);
            Reference.reachabilityFence(dst);
        }
    }

    @Override
    public void fill(KernelArg dst, double value) {
        long n = dst.numel();
        if (n == 0) {
            return;
        }
        DeviceQueue d = queue(dst);
        try {
            // All-zero bits in every dtype (not -0.0, whose sign bit is set): a memset, no kernel.
            if (dst.isContiguous() && Double.doubleToRawLongBits(value) == 0) {
                d.memsetZero(dst.dataAddress(), n * dst.dtype().byteSize());
                return;
            }
            d.gridStride(KernelNames.fill(dst.dtype()), n, new Params().i64(n).f64(value).elements(dst));
        } finally {
            Reference.reachabilityFence(dst);
        }
    }

    @Override
    public boolean adamStep(KernelArg p, KernelArg grad, KernelArg m, KernelArg v, KernelArg vMax, AdamHyper h) {
        if (!fusable(p, grad, m, v, vMax)) {
            return false;
        }
        long n = p.numel();
        DeviceQueue d = queue(p);
        try {
            d.gridStride(KernelNames.adam(p.dtype()), n, new Params().i64(n).ptr(p.dataAddress())
                    .ptr(grad.dataAddress()).ptr(m.dataAddress()).ptr(v.dataAddress())
                    .ptr(vMax == null ? 0 : vMax.dataAddress())
                    .f64(h.lr()).f64(h.beta1()).f64(h.beta2()).f64(h.eps()).f64(h.weightDecay())
                    .i32(h.decoupled() ? 1 : 0).i32(h.maximize() ? 1 : 0)
                    .f64(h.biasCorrection1()).f64(h.biasCorrection2Sqrt()));
        } finally {
            Reference.reachabilityFence(p);
            Reference.reachabilityFence(grad);
            Reference.reachabilityFence(m);
            Reference.reachabilityFence(v);
            Reference.reachabilityFence(vMax);
        }
        return true;
    }

    @Override
    public boolean sgdStep(KernelArg p, KernelArg grad, KernelArg buf, SgdHyper h) {
        if (!fusable(p, grad, buf)) {
            return false;
        }
        long n = p.numel();
        DeviceQueue d = queue(p);
        try {
            d.gridStride(KernelNames.sgd(p.dtype()), n, new Params().i64(n).ptr(p.dataAddress())
                    .ptr(grad.dataAddress()).ptr(buf == null ? 0 : buf.dataAddress())
                    .f64(h.lr()).f64(h.momentum()).f64(h.dampening()).f64(h.weightDecay())
                    .i32(h.nesterov() ? 1 : 0).i32(h.maximize() ? 1 : 0).i32(h.initBuffer() ? 1 : 0));
        } finally {
            Reference.reachabilityFence(p);
            Reference.reachabilityFence(grad);
            Reference.reachabilityFence(buf);
        }
        return true;
    }

    /**
     * Whether the fused optimizer kernels apply: {@code optim.ptx} has float32/float64 kernels over contiguous
     * tensors of one size and dtype (the CPU backend's rule), on one device. Otherwise the optimizer composes.
     */
    static boolean fusable(KernelArg p, KernelArg... others) {
        DType t = p.dtype();
        if ((t != DType.FLOAT32 && t != DType.FLOAT64) || !p.isContiguous() || !p.device().isCuda()) {
            return false;
        }
        for (KernelArg o : others) {
            if (o != null && (o.dtype() != t || !o.isContiguous() || o.numel() != p.numel()
                    || !o.device().equals(p.device()))) {
                return false;
            }
        }
        return true;
    }

    private static void requireSameDtype(String op, KernelArg a, KernelArg b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + " kernel expects operands of one dtype, got "
                    + a.dtype().torchName()
                    + " and " + b.dtype().torchName() + " (the op layer promotes first)");
        }
    }
}
