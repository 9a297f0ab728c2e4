package dev.kiln.ops;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.UnaryOp;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;

/**
 * Graph-free forward helpers shared by the op families: dtype promotion, broadcasting and output allocation
 * around a backend kernel. Nothing here records autograd history.
 */
final class Kernels {
    private Kernels() {
    }

    static Backend backend(Tensor t) {
        return Backend.of(t.device());
    }

    /** An uninitialized contiguous tensor on {@code like}'s device: where every op's output goes. */
    static Tensor emptyLike(Tensor like, DType dtype, long... shape) {
        return Tensor.empty(like.device(), dtype, shape);
    }

    /** {@code t} as {@code dtype}: {@code t} itself if it already is, else a converted copy. */
    static Tensor cast(Tensor t, DType dtype) {
        if (t.dtype() == dtype) {
            return t;
        }
        Tensor out = emptyLike(t, dtype, t.shape());
        backend(t).pointwise().copy(t.arg(), out.arg());
        return out;
    }

    /** A view of {@code t} broadcast to {@code shape} (no copy). */
    static Tensor broadcastTo(Tensor t, long[] shape) {
        if (java.util.Arrays.equals(t.shape(), shape)) {
            return t;
        }
        long[] in = t.shape();
        long[] inStrides = t.strides();
        long[] strides = new long[shape.length];
        int lead = shape.length - in.length;
        for (int i = 0; i < shape.length; i++) {
            int j = i - lead;
            strides[i] = j < 0 || in[j] == 1 ? 0 : inStrides[j];
        }
        return Tensor.ofStorage(t.storage(), t.dtype(), shape, strides, t.storageOffset());
    }

    static void release(Tensor temp, Tensor... keep) {
        for (Tensor k : keep) {
            if (temp == k) {
                return;
            }
        }
        temp.close();
    }

    /**
     * PyTorch's promotion with its dimension rule: a 0-d operand does not widen a dimensioned one of the same
     * category (float32 tensor * float64 0-d tensor stays float32); a 0-d operand of a higher category lifts
     * the result to that category's default type (int tensor * 0-d float tensor is float32).
     */
    static DType promote(Tensor a, Tensor b) {
        boolean aScalar = a.dim() == 0;
        boolean bScalar = b.dim() == 0;
        if (aScalar == bScalar) {
            return DType.promote(a.dtype(), b.dtype());
        }
        DType dimensioned = aScalar ? b.dtype() : a.dtype();
        DType zeroDim = aScalar ? a.dtype() : b.dtype();
        if (category(zeroDim) <= category(dimensioned)) {
            return dimensioned;
        }
        return zeroDim.isFloatingPoint() ? DType.FLOAT32 : DType.INT64;
    }

    private static int category(DType t) {
        return t == DType.BOOL ? 0 : t.isFloatingPoint() ? 2 : 1;
    }

    /** Output dtype of an arithmetic op: promoted, and floating for true division and pow. */
    static DType resultType(BinaryOp op, Tensor a, Tensor b) {
        DType t = promote(a, b);
        if ((op == BinaryOp.DIV) && !t.isFloatingPoint()) {
            return DType.FLOAT32;
        }
        if (t == DType.BOOL && !op.isComparison() && op != BinaryOp.MAXIMUM && op != BinaryOp.MINIMUM) {
            return DType.INT64;
        }
        return t;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        if (a.device() != b.device() && (a.dim() == 0 || b.dim() == 0)) {
            return binaryWithHostScalar(op, a, b);
        }
        Backend backend = Dispatch.on(a, b);
        DType t = resultType(op, a, b);
        long[] shape = Shapes.broadcast(a.shape(), b.shape());
        Tensor ac = cast(a, t);
        Tensor bc = cast(b, t);
        Tensor ae = broadcastTo(ac, shape);
        Tensor be = broadcastTo(bc, shape);
        Tensor out = emptyLike(a, op.isComparison() ? DType.BOOL : t, shape);
        try {
            backend.pointwise().binary(op, ae.arg(), be.arg(), out.arg());
        } catch (RuntimeException | Error e) {
            out.close(); // e.g. an input closed under us: the output must not outlive the failure
            throw e;
        } finally {
            release(ae, ac, a);
            release(be, bc, b);
            release(ac, a);
            release(bc, b);
        }
        return out;
    }

    /** PyTorch lets a 0-d CPU tensor join an op on another device (as a scalar would): it moves over first. */
    private static Tensor binaryWithHostScalar(BinaryOp op, Tensor a, Tensor b) {
        boolean aMoves = a.dim() == 0 && a.device() == Device.CPU;
        boolean bMoves = !aMoves && b.dim() == 0 && b.device() == Device.CPU;
        if (!aMoves && !bMoves) {
            Dispatch.same(a.device(), b); // throws the mixed-device error
        }
        Tensor moved;
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            moved = aMoves ? Views.to(a, b.device()) : Views.to(b, a.device());
        }
        try {
            return aMoves ? binary(op, moved, b) : binary(op, a, moved);
        } finally {
            moved.close(); // the moved scalar is not saved: backward formulas hold the original operand
        }
    }

    /** Unary math op; integer inputs of floating ops (exp, log, ...) produce float32 like PyTorch. */
    static Tensor unary(UnaryOp op, Tensor a) {
        boolean keepsType = op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN || op == UnaryOp.RELU;
        DType t = keepsType ? a.dtype() : op == UnaryOp.LOGICAL_NOT ? DType.BOOL : a.dtype().toFloating();
        Tensor ac = op == UnaryOp.LOGICAL_NOT ? a : cast(a, t);
        Tensor out = emptyLike(a, t, a.shape());
        try {
            backend(a).pointwise().unary(op, ac.arg(), out.arg());
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        } finally {
            release(ac, a);
        }
        return out;
    }

    /** A 0-d tensor holding a Python-style scalar operand for an op with {@code like}. */
    static Tensor scalarFor(Tensor like, double value) {
        DType t = like.dtype();
        if (!t.isFloatingPoint() && value != Math.rint(value)) {
            t = DType.FLOAT32; // int tensor + 2.5 -> float32, as in PyTorch
        } else if (t == DType.BOOL) {
            t = DType.INT64;
        }
        Tensor s = emptyLike(like, t);
        backend(like).pointwise().fill(s.arg(), value);
        return s;
    }
}
