package dev.kiln.backend.cpu;

import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.memory.Unsafe;
import dev.kiln.tensor.DType;
import dev.kiln.backend.KernelArg;

/**
 * Elementwise kernels. float32 has dedicated loops for the ops that dominate training (add, mul, relu, ...);
 * other dtypes and ops go through a double/long scalar function, which is exact for float64 and all integers
 * that fit a double's mantissa. The float32 add/sub/mul/div/relu/neg row loops live in {@link F32Loops}.
 */
final class CpuPointwise implements PointwiseKernels {

    @Override
    public void unary(UnaryOp op, KernelArg in, KernelArg out) {
        DType t = in.dtype();
        if (t == DType.FLOAT32 && unaryF32Fast(op, in, out)) {
            return;
        }
        if (t.isIntegral() && (op == UnaryOp.NEG || op == UnaryOp.ABS || op == UnaryOp.SIGN)) {
            StridedLoop.run((n, a, s) -> {
                for (long i = 0; i < n; i++) {
                    long v = Access.getLong(t, a[0] + i * s[0]);
                    long r = op == UnaryOp.NEG ? -v : op == UnaryOp.ABS ? Math.abs(v) : Long.signum(v);
                    Access.putLong(t, a[1] + i * s[1], r);
                }
            }, in, out);
            return;
        }
        DType ot = out.dtype();
        StridedLoop.run((n, a, s) -> {
            for (long i = 0; i < n; i++) {
                Access.put(ot, a[1] + i * s[1], applyUnary(op, Access.get(t, a[0] + i * s[0])));
            }
        }, in, out);
    }

    static double applyUnary(UnaryOp op, double x) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0);
            case ERF -> MathFunctions.erf(x);
            case SIGN -> Math.signum(x);
            case RECIPROCAL -> 1 / x;
            case LOGICAL_NOT -> x == 0 ? 1 : 0;
        };
    }

    /** Numerically stable logistic: never evaluates exp of a large positive number. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    private static boolean unaryF32Fast(UnaryOp op, KernelArg in, KernelArg out) {
        switch (op) {
            case RELU -> StridedLoop.run((n, a, s) -> F32Loops.relu(n, a[0], s[0], a[1], s[1]), in, out);
            case NEG -> StridedLoop.run((n, a, s) -> F32Loops.neg(n, a[0], s[0], a[1], s[1]), in, out);
            case EXP -> StridedLoop.run((n, a, s) -> {
                long pa = a[0], po = a[1], sa = s[0], so = s[1];
                for (long i = 0; i < n; i++, pa += sa, po += so) {
                    Unsafe.putFloat(po, (float) Math.exp(Unsafe.getFloat(pa)));
                }
            }, in, out);
            case SIGMOID -> StridedLoop.run((n, a, s) -> {
                long pa = a[0], po = a[1], sa = s[0], so = s[1];
                for (long i = 0; i < n; i++, pa += sa, po += so) {
                    Unsafe.putFloat(po, (float) sigmoid(Unsafe.getFloat(pa)));
                }
            }, in, out);
            case TANH -> StridedLoop.run((n, a, s) -> {
                long pa = a[0], po = a[1], sa = s[0], so = s[1];
                for (long i = 0; i < n; i++, pa += sa, po += so) {
                    Unsafe.putFloat(po, (float) Math.tanh(Unsafe.getFloat(pa)));
                }
            }, in, out);
            default -> {
                return false;
            }
        }
        return true;
    }

    @Override
    public void binary(BinaryOp op, KernelArg a, KernelArg b, KernelArg out) {
        DType t = a.dtype();
        if (t == DType.FLOAT32 && binaryF32Fast(op, a, b, out)) {
            return;
        }
        DType ot = out.dtype();
        if (t.isIntegral() || t == DType.BOOL) {
            StridedLoop.run((n, p, s) -> {
                for (long i = 0; i < n; i++) {
                    long x = Access.getLong(t, p[0] + i * s[0]);
                    long y = Access.getLong(t, p[1] + i * s[1]);
                    Access.putLong(ot, p[2] + i * s[2], applyBinaryLong(op, x, y));
                }
            }, a, b, out);
            return;
        }
        StridedLoop.run((n, p, s) -> {
            for (long i = 0; i < n; i++) {
                double x = Access.get(t, p[0] + i * s[0]);
                double y = Access.get(t, p[1] + i * s[1]);
                Access.put(ot, p[2] + i * s[2], applyBinary(op, x, y));
            }
        }, a, b, out);
    }

    static double applyBinary(BinaryOp op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case POW -> Math.pow(x, y);
            case MAXIMUM -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.max(x, y);
            case MINIMUM -> Double.isNaN(x) || Double.isNaN(y) ? Double.NaN : Math.min(x, y);
            case THRESHOLD_BACKWARD -> y <= 0 ? 0 : x; // NaN y passes x on, as in PyTorch
            case EQ -> x == y ? 1 : 0;
            case NE -> x != y ? 1 : 0;
            case LT -> x < y ? 1 : 0;
            case LE -> x <= y ? 1 : 0;
            case GT -> x > y ? 1 : 0;
            case GE -> x >= y ? 1 : 0;
        };
    }

    static long applyBinaryLong(BinaryOp op, long x, long y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> {
                if (y == 0) {
                    throw new ArithmeticException("ZeroDivisionError: integer division by zero");
                }
                yield Math.floorDiv(x, y);
            }
            case POW -> (long) Math.pow(x, y);
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
            case THRESHOLD_BACKWARD -> y <= 0 ? 0 : x; // NaN y passes x on, as in PyTorch
            case EQ -> x == y ? 1 : 0;
            case NE -> x != y ? 1 : 0;
            case LT -> x < y ? 1 : 0;
            case LE -> x <= y ? 1 : 0;
            case GT -> x > y ? 1 : 0;
            case GE -> x >= y ? 1 : 0;
        };
    }

    private static boolean binaryF32Fast(BinaryOp op, KernelArg a, KernelArg b, KernelArg out) {
        if (F32MaskLoops.supports(op)) {
            StridedLoop.run((n, p, s) -> F32MaskLoops.binary(op, n, p[0], s[0], p[1], s[1], p[2], s[2]), a, b, out);
            return true;
        }
        if (!F32Loops.supports(op)) {
            return false;
        }
        StridedLoop.run((n, p, s) -> F32Loops.binary(op, n, p[0], s[0], p[1], s[1], p[2], s[2]), a, b, out);
        return true;
    }

    @Override
    public void where(KernelArg cond, KernelArg a, KernelArg b, KernelArg out) {
        DType t = out.dtype();
        StridedLoop.run((n, p, s) -> {
            for (long i = 0; i < n; i++) {
                boolean c = Unsafe.getByte(p[0] + i * s[0]) != 0;
                long src = c ? p[1] + i * s[1] : p[2] + i * s[2];
                copyElement(t, src, p[3] + i * s[3]);
            }
        }, cond, a, b, out);
    }

    private static void copyElement(DType t, long src, long dst) {
        switch (t.byteSize()) {
            case 8 -> Unsafe.putLong(dst, Unsafe.getLong(src));
            case 4 -> Unsafe.putInt(dst, Unsafe.getInt(src));
            case 2 -> Unsafe.putShort(dst, Unsafe.getShort(src));
            default -> Unsafe.putByte(dst, Unsafe.getByte(src));
        }
    }

    @Override
    public void clamp(KernelArg in, double min, double max, KernelArg out) {
        DType t = in.dtype();
        StridedLoop.run((n, p, s) -> {
            for (long i = 0; i < n; i++) {
                double v = Access.get(t, p[0] + i * s[0]);
                double r = Double.isNaN(v) ? v : Math.min(Math.max(v, min), max);
                Access.put(t, p[1] + i * s[1], r);
            }
        }, in, out);
    }

    @Override
    public void copy(KernelArg src, KernelArg dst) {
        DType st = src.dtype();
        DType dt = dst.dtype();
        if (st == dt) {
            if (src.isContiguous() && dst.isContiguous()) {
                long bytes = src.numel() * st.byteSize();
                Parallel.forRange(bytes, 1, (from, to) ->
                        Unsafe.copyMemory(src.dataAddress() + from, dst.dataAddress() + from, to - from));
                return;
            }
            if (st.byteSize() == 4) { // float32/int32 strided copy without a per-element dtype switch
                StridedLoop.run((n, p, s) -> {
                    long pa = p[0], po = p[1], sa = s[0], so = s[1];
                    for (long i = 0; i < n; i++, pa += sa, po += so) {
                        Unsafe.putInt(po, Unsafe.getInt(pa));
                    }
                }, src, dst);
                return;
            }
            StridedLoop.run((n, p, s) -> {
                for (long i = 0; i < n; i++) {
                    copyElement(st, p[0] + i * s[0], p[1] + i * s[1]);
                }
            }, src, dst);
            return;
        }
        if (st.isHalf() || dt.isHalf()) {
            HalfCasts.copy(src, dst);
            return;
        }
        if (dt == DType.FLOAT32 && (st == DType.BOOL)) {
            StridedLoop.run((n, p, s) -> F32MaskLoops.boolToFloat(n, p[0], s[0], p[1], s[1]), src, dst);
            return;
        }
        boolean integral = !st.isFloatingPoint() && !dt.isFloatingPoint();
        StridedLoop.run((n, p, s) -> {
            for (long i = 0; i < n; i++) {
                if (integral) {
                    Access.putLong(dt, p[1] + i * s[1], Access.getLong(st, p[0] + i * s[0]));
                } else {
                    Access.put(dt, p[1] + i * s[1], Access.get(st, p[0] + i * s[0]));
                }
            }
        }, src, dst);
    }

    @Override
    public void fill(KernelArg dst, double value) {
        DType t = dst.dtype();
        if (t == DType.FLOAT32) {
            float v = (float) value;
            StridedLoop.run((n, p, s) -> {
                long po = p[0], so = s[0];
                for (long i = 0; i < n; i++, po += so) {
                    Unsafe.putFloat(po, v);
                }
            }, dst);
            return;
        }
        StridedLoop.run((n, p, s) -> {
            for (long i = 0; i < n; i++) {
                Access.put(t, p[0] + i * s[0], value);
            }
        }, dst);
    }

    @Override
    public boolean adamStep(KernelArg p, KernelArg grad, KernelArg m, KernelArg v, KernelArg vMax, AdamHyper h) {
        return CpuOptimKernels.adam(p, grad, m, v, vMax, h);
    }

    @Override
    public boolean sgdStep(KernelArg p, KernelArg grad, KernelArg buf, SgdHyper h) {
        return CpuOptimKernels.sgd(p, grad, buf, h);
    }
}
