package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;

import dev.kiln.amp.Autocast;
import dev.kiln.autograd.Graph;
import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.UnaryOp;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * Elementwise ops with broadcasting and type promotion. Each op states its forward and, right below it, its
 * gradient (PyTorch's derivatives.yaml formulas); broadcast inputs get their gradient summed back to their shape.
 */
public final class Pointwise {
    private Pointwise() {
    }

    // -------------------------------------------------------------- arithmetic

    public static Tensor add(Tensor a, Tensor b) {
        Tensor out = Kernels.binary(BinaryOp.ADD, a, b);
        return Graph.record(out, "AddBackward0", inputs(a, b), Graph.NONE, c -> new Tensor[] {
            c.needs(0) ? Reductions.sumTo(c.grad(), c.inputShape(0)) : null,
            c.needs(1) ? Reductions.sumTo(c.grad(), c.inputShape(1)) : null});
    }

    public static Tensor add(Tensor a, double b) {
        Tensor out = withScalar(BinaryOp.ADD, a, b);
        return Graph.record(out, "AddBackward0", inputs(a), Graph.NONE, c -> new Tensor[] {c.grad()});
    }

    public static Tensor sub(Tensor a, Tensor b) {
        Tensor out = Kernels.binary(BinaryOp.SUB, a, b);
        return Graph.record(out, "SubBackward0", inputs(a, b), Graph.NONE, c -> new Tensor[] {
            c.needs(0) ? Reductions.sumTo(c.grad(), c.inputShape(0)) : null,
            c.needs(1) ? Reductions.sumTo(neg(c.grad()), c.inputShape(1)) : null});
    }

    /** {@code b - a}. */
    public static Tensor rsub(Tensor a, double b) {
        Tensor out;
        try (Tensor s = Kernels.scalarFor(a, b)) {
            out = Kernels.binary(BinaryOp.SUB, s, a);
        }
        return Graph.record(out, "RsubBackward1", inputs(a), Graph.NONE, c -> new Tensor[] {neg(c.grad())});
    }

    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = Kernels.binary(BinaryOp.MUL, a, b);
        return Graph.record(out, "MulBackward0", inputs(a, b), saved(a, b), c -> new Tensor[] {
            c.needs(0) ? Reductions.sumTo(mul(c.grad(), c.saved(1)), c.inputShape(0)) : null,
            c.needs(1) ? Reductions.sumTo(mul(c.grad(), c.saved(0)), c.inputShape(1)) : null});
    }

    public static Tensor mul(Tensor a, double b) {
        Tensor out = withScalar(BinaryOp.MUL, a, b);
        return Graph.record(out, "MulBackward0", inputs(a), Graph.NONE, c -> new Tensor[] {mul(c.grad(), b)});
    }

    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = Kernels.binary(BinaryOp.DIV, a, b);
        return Graph.record(out, "DivBackward0", inputs(a, b), saved(a, b), c -> new Tensor[] {
            c.needs(0) ? Reductions.sumTo(div(c.grad(), c.saved(1)), c.inputShape(0)) : null,
            // d(a/b)/db = -a / b^2
            c.needs(1) ? Reductions.sumTo(neg(div(mul(c.grad(), c.saved(0)), mul(c.saved(1), c.saved(1)))),
                    c.inputShape(1)) : null});
    }

    public static Tensor div(Tensor a, double b) {
        Tensor out = withScalar(BinaryOp.DIV, a, b);
        return Graph.record(out, "DivBackward0", inputs(a), Graph.NONE, c -> new Tensor[] {div(c.grad(), b)});
    }

    public static Tensor pow(Tensor a, Tensor b) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("pow", c -> pow(c[0], c[1]), a, b) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        Tensor out = Kernels.binary(BinaryOp.POW, a, b);
        return Graph.record(out, "PowBackward1", inputs(a, b), saved(a, b, out), c -> {
            Tensor x = c.saved(0);
            Tensor p = c.saved(1);
            Tensor ga = null;
            Tensor gb = null;
            if (c.needs(0)) { // p * x^(p-1)
                ga = Reductions.sumTo(mul(c.grad(), mul(p, pow(x, sub(p, onesOf(p))))), c.inputShape(0));
            }
            if (c.needs(1)) { // x^p * log(x), defined as 0 where x == 0 and p >= 0 (PyTorch's convention)
                Tensor logTerm = mul(c.saved(2), log(x));
                Tensor masked = Indexing.maskedFill(logTerm, Kernels.binary(BinaryOp.EQ, x, zerosOf(x)), 0);
                gb = Reductions.sumTo(mul(c.grad(), masked), c.inputShape(1));
            }
            return new Tensor[] {ga, gb};
        });
    }

    public static Tensor pow(Tensor a, double p) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("pow", c -> pow(c[0], p), a) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        Tensor out;
        try (Tensor s = Kernels.scalarFor(a, p)) {
            out = Kernels.binary(BinaryOp.POW, a, s);
        }
        return Graph.record(out, "PowBackward0", inputs(a), saved(a), c -> new Tensor[] {
            p == 0 ? mul(c.grad(), 0) : mul(c.grad(), mul(pow(c.saved(0), p - 1), p))});
    }

    public static Tensor neg(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.NEG, a);
        return Graph.record(out, "NegBackward0", inputs(a), Graph.NONE, c -> new Tensor[] {neg(c.grad())});
    }

    public static Tensor reciprocal(Tensor a) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("reciprocal", c -> reciprocal(c[0]), a) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        Tensor out = Kernels.unary(UnaryOp.RECIPROCAL, a);
        return Graph.record(out, "ReciprocalBackward0", inputs(a), saved(out), c -> new Tensor[] {
            neg(mul(c.grad(), mul(c.saved(0), c.saved(0))))});
    }

    // -------------------------------------------------------------- transcendental

    public static Tensor abs(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.ABS, a);
        return Graph.record(out, "AbsBackward0", inputs(a), saved(a), c -> new Tensor[] {
            mul(c.grad(), sign(c.saved(0)))});
    }

    public static Tensor sign(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.SIGN, a);
        return Graph.record(out, "SignBackward0", inputs(a), Graph.NONE, c -> new Tensor[] {mul(c.grad(), 0)});
    }

    public static Tensor exp(Tensor a) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("exp", c -> exp(c[0]), a) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        Tensor out = Kernels.unary(UnaryOp.EXP, a);
        return Graph.record(out, "ExpBackward0", inputs(a), saved(out), c -> new Tensor[] {mul(c.grad(), c.saved(0))});
    }

    public static Tensor log(Tensor a) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("log", c -> log(c[0]), a) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        Tensor out = Kernels.unary(UnaryOp.LOG, a);
        return Graph.record(out, "LogBackward0", inputs(a), saved(a), c -> new Tensor[] {div(c.grad(), c.saved(0))});
    }

    public static Tensor sqrt(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.SQRT, a);
        return Graph.record(out, "SqrtBackward0", inputs(a), saved(out), c -> new Tensor[] {
            div(c.grad(), mul(c.saved(0), 2))});
    }

    public static Tensor rsqrt(Tensor a) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("rsqrt", c -> rsqrt(c[0]), a) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        Tensor out = Kernels.unary(UnaryOp.RSQRT, a);
        // d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 out^3
        return Graph.record(out, "RsqrtBackward0", inputs(a), saved(out), c -> new Tensor[] {
            mul(c.grad(), mul(pow(c.saved(0), 3), -0.5))});
    }

    public static Tensor sin(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.SIN, a);
        return Graph.record(out, "SinBackward0", inputs(a), saved(a), c -> new Tensor[] {
            mul(c.grad(), cos(c.saved(0)))});
    }

    public static Tensor cos(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.COS, a);
        return Graph.record(out, "CosBackward0", inputs(a), saved(a), c -> new Tensor[] {
            neg(mul(c.grad(), sin(c.saved(0))))});
    }

    public static Tensor tanh(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.TANH, a);
        return Graph.record(out, "TanhBackward0", inputs(a), saved(out), c -> new Tensor[] {
            mul(c.grad(), rsub(mul(c.saved(0), c.saved(0)), 1))});
    }

    public static Tensor sigmoid(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.SIGMOID, a);
        return Graph.record(out, "SigmoidBackward0", inputs(a), saved(out), c -> new Tensor[] {
            mul(c.grad(), mul(c.saved(0), rsub(c.saved(0), 1)))});
    }

    public static Tensor relu(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.RELU, a);
        // NOTE: the subgradient at 0 is 0, as in PyTorch (threshold_backward uses out > 0).
        return Graph.record(out, "ReluBackward0", inputs(a), saved(out), c -> new Tensor[] {thresholdBackward(c.grad(),
            c.saved(0))});
    }

    /**
     * {@code y > 0 ? g : 0} in one pass (PyTorch's {@code threshold_backward}); differentiable in {@code g} so
     * double backward through ReLU works: its gradient is the same mask applied to the incoming gradient.
     */
    static Tensor thresholdBackward(Tensor g, Tensor y) {
        Tensor out = Kernels.binary(BinaryOp.THRESHOLD_BACKWARD, g, y);
        return Graph.record(out, "ThresholdBackwardBackward0", inputs(g), saved(y), c -> new Tensor[] {
            thresholdBackward(c.grad(), c.saved(0))});
    }

    public static Tensor erf(Tensor a) {
        Tensor out = Kernels.unary(UnaryOp.ERF, a);
        // d/dx erf(x) = 2/sqrt(pi) * exp(-x^2)
        return Graph.record(out, "ErfBackward0", inputs(a), saved(a), c -> new Tensor[] {
            mul(c.grad(), mul(exp(neg(mul(c.saved(0), c.saved(0)))), 1.1283791670955126))});
    }

    /** GELU(x) = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); composed, so its gradient follows from the parts. */
    public static Tensor gelu(Tensor a) {
        try (TensorScope temps = TensorScope.openTemporaries()) {
            return temps.handOut(mul(mul(a, 0.5), add(erf(mul(a, 0.7071067811865476)), 1)));
        }
    }

    // -------------------------------------------------------------- selection

    public static Tensor clamp(Tensor a, double min, double max) {
        if (min > max) {
            throw new IllegalArgumentException("clamp: min (" + min + ") must be <= max (" + max + ")");
        }
        Tensor out = Kernels.emptyLike(a, a.dtype(), a.shape());
        Dispatch.on(a, out).pointwise().clamp(a.arg(), min, max, out.arg());
        // Gradient passes where min <= x <= max (PyTorch's clamp_backward mask).
        return Graph.record(out, "ClampBackward1", inputs(a), saved(a), c -> {
            Tensor x = c.saved(0);
            Tensor inside = mul(ge(x, min), le(x, max));
            return new Tensor[] {mul(c.grad(), inside)};
        });
    }

    public static Tensor maximum(Tensor a, Tensor b) {
        return minMax(BinaryOp.MAXIMUM, "MaximumBackward0", a, b);
    }

    public static Tensor minimum(Tensor a, Tensor b) {
        return minMax(BinaryOp.MINIMUM, "MinimumBackward0", a, b);
    }

    private static Tensor minMax(BinaryOp op, String name, Tensor a, Tensor b) {
        Tensor out = Kernels.binary(op, a, b);
        // The winner gets the gradient; ties split it evenly (PyTorch's convention).
        return Graph.record(out, name, inputs(a, b), saved(a, b), c -> {
            Tensor x = c.saved(0);
            Tensor y = c.saved(1);
            Tensor wins = Kernels.binary(op == BinaryOp.MAXIMUM ? BinaryOp.GT : BinaryOp.LT, x, y);
            Tensor ties = Kernels.binary(BinaryOp.EQ, x, y);
            Tensor weightA = add(wins.to(c.grad().dtype()), mul(ties.to(c.grad().dtype()), 0.5));
            return new Tensor[] {
                c.needs(0) ? Reductions.sumTo(mul(c.grad(), weightA), c.inputShape(0)) : null,
                c.needs(1) ? Reductions.sumTo(mul(c.grad(), rsub(weightA, 1)), c.inputShape(1)) : null};
        });
    }

    public static Tensor where(Tensor condition, Tensor x, Tensor y) {
        if (condition.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("where expected condition to be a boolean tensor, but got a tensor with "
                    + "dtype " + condition.dtype().torchName());
        }
        DType t = Kernels.promote(x, y);
        long[] shape = dev.kiln.tensor.Shapes.broadcast(condition.shape(), x.shape(), y.shape());
        Tensor xc = Kernels.cast(x, t);
        Tensor yc = Kernels.cast(y, t);
        Tensor ce = Kernels.broadcastTo(condition, shape);
        Tensor xe = Kernels.broadcastTo(xc, shape);
        Tensor ye = Kernels.broadcastTo(yc, shape);
        Tensor out = Kernels.emptyLike(x, t, shape);
        try {
            Dispatch.on(ce, xe, ye, out).pointwise().where(ce.arg(), xe.arg(), ye.arg(), out.arg());
        } finally {
            Kernels.release(ce, condition);
            Kernels.release(xe, xc, x);
            Kernels.release(ye, yc, y);
            Kernels.release(xc, x);
            Kernels.release(yc, y);
        }
        return Graph.record(out, "WhereBackward0", inputs(null, x, y), saved(condition), c -> {
            Tensor cond = c.saved(0);
            Tensor zero = zerosOf(c.grad());
            return new Tensor[] {null,
                c.needs(1) ? Reductions.sumTo(where(cond, c.grad(), zero), c.inputShape(1)) : null,
                c.needs(2) ? Reductions.sumTo(where(cond, zero, c.grad()), c.inputShape(2)) : null};
        });
    }

    // -------------------------------------------------------------- comparisons (not differentiable)

    public static Tensor eq(Tensor a, Tensor b) {
        return Kernels.binary(BinaryOp.EQ, a, b);
    }

    public static Tensor ne(Tensor a, Tensor b) {
        return Kernels.binary(BinaryOp.NE, a, b);
    }

    public static Tensor gt(Tensor a, Tensor b) {
        return Kernels.binary(BinaryOp.GT, a, b);
    }

    public static Tensor ge(Tensor a, Tensor b) {
        return Kernels.binary(BinaryOp.GE, a, b);
    }

    public static Tensor lt(Tensor a, Tensor b) {
        return Kernels.binary(BinaryOp.LT, a, b);
    }

    public static Tensor le(Tensor a, Tensor b) {
        return Kernels.binary(BinaryOp.LE, a, b);
    }

    public static Tensor eq(Tensor a, double b) {
        return compareScalar(BinaryOp.EQ, a, b);
    }

    public static Tensor ne(Tensor a, double b) {
        return compareScalar(BinaryOp.NE, a, b);
    }

    public static Tensor gt(Tensor a, double b) {
        return compareScalar(BinaryOp.GT, a, b);
    }

    public static Tensor ge(Tensor a, double b) {
        return compareScalar(BinaryOp.GE, a, b);
    }

    public static Tensor lt(Tensor a, double b) {
        return compareScalar(BinaryOp.LT, a, b);
    }

    public static Tensor le(Tensor a, double b) {
        return compareScalar(BinaryOp.LE, a, b);
    }

    public static Tensor logicalNot(Tensor a) {
        return Kernels.unary(UnaryOp.LOGICAL_NOT, a);
    }

    private static Tensor compareScalar(BinaryOp op, Tensor a, double b) {
        try (Tensor s = Kernels.scalarFor(a, b)) {
            return Kernels.binary(op, a, s);
        }
    }

    // -------------------------------------------------------------- helpers

    /** {@code op(a, b)} for a Python-style scalar {@code b}; the caller records the gradient. */
    private static Tensor withScalar(BinaryOp op, Tensor a, double b) {
        try (Tensor s = Kernels.scalarFor(a, b)) {
            return Kernels.binary(op, a, s);
        }
    }

    static Tensor zerosOf(Tensor like) {
        return Tensor.zeros(like.dtype(), like.device());
    }

    static Tensor onesOf(Tensor like) {
        return Tensor.ones(like.dtype(), like.device());
    }
}
