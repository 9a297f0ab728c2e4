package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.custom;
import static dev.kiln.ops.opinfo.Arg.fixed;
import static dev.kiln.ops.opinfo.Arg.mask;
import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.Arg.positive;
import static dev.kiln.ops.opinfo.Arg.quarters;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;
import static dev.kiln.ops.opinfo.OpTable.num;

import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/** Pointwise ops: arithmetic with broadcasting, 0-d and empty operands; unary math; selection. */
final class PointwiseOps {
    private PointwiseOps() {
    }

    private static final double[] CLAMP_VALUES = {-1.3, -0.2, 0.1, 0.7, 2.0, -0.8};
    private static final double[] CLAMP_ONE_SIDED = {-1.3, -0.2, 0.1, 0.7, 2.0, 0.3};

    static List<OpInfo> all() {
        return List.of(
            op("add").samples(
                s("same shape", x -> x.get(0).add(x.get(1)), "x0 + x1", normal(2, 3), normal(2, 3)),
                s("broadcast [3,1]+[4]", x -> x.get(0).add(x.get(1)), "x0 + x1", normal(3, 1), normal(4)),
                s("scalar", x -> x.get(0).add(2.5), "x0 + 2.5", normal(3)),
                s("alpha", x -> x.get(0).add(x.get(1), -1.5), "torch.add(x0, x1, alpha=-1.5)", normal(2, 3),
                        normal(3)),
                s("0-d + 0-d", x -> x.get(0).add(x.get(1)), "x0 + x1", normal(), normal()),
                s("empty [0,3] + [3]", x -> x.get(0).add(x.get(1)), "x0 + x1", normal(0, 3), normal(3)))
                .numpy("add", (a, x) -> x.get(0).add(x.get(1)))
                .numpy("add_scalar", (a, x) -> x.get(0).add(num(a[0])))
                .fastPath(0, denseBinary("dense rows across tiles", (p, q) -> p.add(q)),
                        denseScalar("dense row + scalar", t -> t.add(0.75))),
            op("sub").samples(
                s("broadcast [3,1]-[4]", x -> x.get(0).sub(x.get(1)), "x0 - x1", normal(3, 1), normal(4)),
                s("scalar", x -> x.get(0).sub(0.75), "x0 - 0.75", normal(2, 2)),
                s("[2,3] - 0-d", x -> x.get(0).sub(x.get(1)), "x0 - x1", normal(2, 3), normal()))
                .numpy("sub", (a, x) -> x.get(0).sub(x.get(1)))
                .numpy("sub_scalar", (a, x) -> x.get(0).sub(num(a[0])))
                .fastPath(0, denseBinary("dense rows across tiles", (p, q) -> p.sub(q)),
                        denseScalar("dense row - scalar", t -> t.sub(-1.25))),
            op("rsub").samples(
                s("[2,3]", x -> x.get(0).rsub(2.0), "2.0 - x0", normal(2, 3)))
                .numpy("rsub", (a, x) -> x.get(0).rsub(num(a[0]))),
            op("mul").samples(
                s("broadcast [3,1]*[4]", x -> x.get(0).mul(x.get(1)), "x0 * x1", normal(3, 1), normal(4)),
                s("same tensor", x -> x.get(0).mul(x.get(0)), "x0 * x0", normal(5)),
                s("scalar", x -> x.get(0).mul(-3.0), "x0 * -3.0", normal(2, 3)),
                s("0-d by [2,3]", x -> x.get(0).mul(x.get(1)), "x0 * x1", normal(), normal(2, 3)),
                s("empty [2,0] * [0]", x -> x.get(0).mul(x.get(1)), "x0 * x1", normal(2, 0), normal(0)))
                .numpy("mul", (a, x) -> x.get(0).mul(x.get(1)))
                .numpy("mul_scalar", (a, x) -> x.get(0).mul(num(a[0])))
                .fastPath(0, denseBinary("dense rows across tiles", (p, q) -> p.mul(q)),
                        denseScalar("dense row * scalar", t -> t.mul(0.75))),
            op("div").samples(
                s("broadcast [3,1]/[4]", x -> x.get(0).div(x.get(1)), "x0 / x1", normal(3, 1), normal(4)),
                s("scalar", x -> x.get(0).div(4.0), "x0 / 4.0", normal(3)),
                s("0-d / [3]", x -> x.get(0).div(x.get(1)), "x0 / x1", normal(), normal(3)))
                .numpy("div", (a, x) -> x.get(0).div(x.get(1)))
                .numpy("div_scalar", (a, x) -> x.get(0).div(num(a[0])))
                // NOTE: quarters include 0, so float32 must also match float64's inf and NaN for x/0 and 0/0. The
                // gradient of a broadcast divisor sums rounded quotients (not exact on quarters): a few ulps.
                .fastPath(4, denseBinary("dense rows across tiles", (p, q) -> p.div(q)),
                        denseScalar("dense row / scalar", t -> t.div(0.75))),
            op("pow").samples(
                s("tensor exponent", x -> x.get(0).pow(x.get(1)), "x0 ** x1", positive(2, 3), normal(2, 3)),
                s("broadcast exponent [3]", x -> x.get(0).pow(x.get(1)), "x0 ** x1", positive(2, 3), normal(3)),
                s("scalar 3 on negatives", x -> x.get(0).pow(3), "x0 ** 3", normal(2, 3)),
                s("scalar 0.5", x -> x.get(0).pow(0.5), "x0 ** 0.5", positive(4)),
                s("scalar -2", x -> x.get(0).pow(-2), "x0 ** -2", positive(4)))
                .numpy("pow", (a, x) -> x.get(0).pow(x.get(1)))
                .numpy("pow_scalar", (a, x) -> x.get(0).pow(num(a[0]))),
            unary("neg", Tensor::neg, "-x0", Arg::normal).fastPath(0),
            unary("abs", Tensor::abs, "x0.abs()", Arg::normal),
            unaryNoNumpy("sign", Tensor::sign, "x0.sign()", Arg::normal),
            unary("exp", Tensor::exp, "x0.exp()", Arg::normal).fastPath(1),
            unary("log", Tensor::log, "x0.log()", Arg::positive),
            unary("sqrt", Tensor::sqrt, "x0.sqrt()", Arg::positive),
            unary("rsqrt", Tensor::rsqrt, "x0.rsqrt()", Arg::positive),
            unary("sin", Tensor::sin, "x0.sin()", Arg::normal),
            unary("cos", Tensor::cos, "x0.cos()", Arg::normal),
            // NOTE: d tanh = 1 - y^2 and d sigmoid = y (1 - y) cancel where y nears +-1 (or 1), magnifying the
            // float32 rounding of y: at most 2 ulps on quarters in [-2, 2] (5 and 61 at |x| <= 3, measured in numpy).
            unary("tanh", Tensor::tanh, "x0.tanh()", Arg::normal).fastPath(2),
            unary("sigmoid", Tensor::sigmoid, "x0.sigmoid()", Arg::normal).fastPath(2),
            unary("relu", Tensor::relu, "x0.relu()", Arg::normal).fastPath(0, reluAcrossTiles()),
            unary("gelu", Tensor::gelu, "torch.nn.functional.gelu(x0)", Arg::normal),
            unary("erf", Tensor::erf, "x0.erf()", Arg::normal),
            unary("reciprocal", Tensor::reciprocal, "x0.reciprocal()", Arg::normal),
            unaryNoNumpy("square", Tensor::square, "x0.square()", Arg::normal),
            op("clamp").samples(
                s("[-0.5, 0.5]", x -> x.get(0).clamp(-0.5, 0.5), "x0.clamp(-0.5, 0.5)", fixed(CLAMP_VALUES, 2, 3)))
                .numpy("clamp", (a, x) -> x.get(0).clamp(num(a[0]), num(a[1]))),
            op("clamp_min").samples(
                s("0.25", x -> x.get(0).clampMin(0.25), "x0.clamp_min(0.25)", fixed(CLAMP_ONE_SIDED, 6))),
            op("clamp_max").samples(
                s("0.25", x -> x.get(0).clampMax(0.25), "x0.clamp_max(0.25)", fixed(CLAMP_ONE_SIDED, 6))),
            op("minimum").samples(
                s("broadcast", x -> x.get(0).minimum(x.get(1)), "torch.minimum(x0, x1)", normal(3, 1), normal(4)))
                .numpy("minimum", (a, x) -> x.get(0).minimum(x.get(1))),
            op("maximum").samples(
                s("broadcast", x -> x.get(0).maximum(x.get(1)), "torch.maximum(x0, x1)", normal(3, 1), normal(4)))
                .numpy("maximum", (a, x) -> x.get(0).maximum(x.get(1))),
            op("where").samples(
                s("broadcast", x -> Tensor.where(x.get(0), x.get(1), x.get(2)), "torch.where(x0, x1, x2)",
                        mask(2, 3), normal(2, 3), normal(3)))
                .numpy("where", (a, x) -> Tensor.where(x.get(0), x.get(1), x.get(2))),
            op("masked_fill").samples(
                s("same shape", x -> x.get(0).maskedFill(x.get(1), -7.0), "x0.masked_fill(x1, -7.0)", normal(2, 3),
                        mask(2, 3)),
                s("broadcast mask", x -> x.get(0).maskedFill(x.get(1), 1.5), "x0.masked_fill(x1, 1.5)",
                        normal(2, 3), mask(3)))
                .numpy("maskedFill", (a, x) -> x.get(0).maskedFill(x.get(1), num(a[0]))));
    }

    /** An elementwise op on a [2,3] input, a 0-d one and an empty one; the numpy token is the op's name. */
    private static OpInfo unary(String name, UnaryOperator<Tensor> f, String torch, Function<long[], Arg> domain) {
        return unaryNoNumpy(name, f, torch, domain)
                .numpy(name, (a, x) -> f.apply(x.get(0)));
    }

    /** {@link #unary} for an op {@code op_references.txt} has no cases of. */
    private static OpInfo unaryNoNumpy(String name, UnaryOperator<Tensor> f, String torch, Function<long[], Arg> domain) {
        return op(name).samples(
                s("[2,3]", x -> f.apply(x.get(0)), torch, domain.apply(new long[] {2, 3})),
                s("0-d", x -> f.apply(x.get(0)), torch, domain.apply(new long[0])),
                s("empty [0,3]", x -> f.apply(x.get(0)), torch, domain.apply(new long[] {0, 3})));
    }

    /** Two dense rows longer than two 1024-element tiles (the dense float32 loop), with 0, -0, inf and NaN. */
    private static Sample denseBinary(String name, java.util.function.BinaryOperator<Tensor> f) {
        return s(name, x -> f.apply(x.get(0), x.get(1)), null, custom(new long[] {2, 1300}, PointwiseOps::specials),
                quarters(2, 1300));
    }

    /** A dense row against a broadcast scalar (the stride-0 float32 loop). */
    private static Sample denseScalar(String name, UnaryOperator<Tensor> f) {
        return s(name, x -> f.apply(x.get(0)), null, custom(new long[] {2500}, PointwiseOps::specials));
    }

    private static double[] specials(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (r.nextInt(9) - 4) / 4.0;
        }
        v[1] = -0.0;
        v[2] = Double.NaN;
        v[1023] = Double.POSITIVE_INFINITY;
        v[n - 7] = Double.NEGATIVE_INFINITY;
        return v;
    }

    /**
     * ReLU's float32 gradient runs a bit-mask loop over 1024-element tiles: more than two tiles with a partial last
     * one, -0, NaN (gradient 0), +-inf, and +-the smallest subnormal (> 0, so the mask must keep its gradient);
     * the upstream gradient has a NaN where the input is positive (it must pass through).
     */
    private static Sample reluAcrossTiles() {
        return s("2500 across tiles with specials", x -> x.get(0).relu(), null, custom(new long[] {2500}, (r, n) -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = (r.nextInt(9) - 4) / 4.0;
            }
            v[1] = -0.0;
            v[2] = Double.NaN;
            v[1023] = Double.POSITIVE_INFINITY;
            v[1024] = Float.MIN_VALUE;
            v[1025] = -Float.MIN_VALUE;
            v[2400] = Double.NEGATIVE_INFINITY;
            return v;
        })).upstream((r, n) -> {
            double[] g = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = (r.nextInt(9) - 4) / 4.0;
            }
            g[1023] = Double.NaN;
            return g;
        });
    }
}
