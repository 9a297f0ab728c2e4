package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One table, every differentiable op: each case builds float64 inputs (away from kinks and poles) and runs
 * {@link GradCheck} on it, like PyTorch's OpInfo-driven gradcheck tests.
 */
class OpGradCheckTest extends KilnTest {

    /** Makes one input from a seeded random source. */
    interface In extends java.util.function.Function<Random, Tensor> {
    }

    record Case(String name, List<In> inputs, java.util.function.Function<List<Tensor>, Tensor> f, double eps, double atol,
                double rtol) {
        @Override
        public String toString() {
            return name;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(Case c) {
        Random rnd = new Random(c.name().hashCode());
        List<Tensor> inputs = new ArrayList<>();
        for (In in : c.inputs()) {
            inputs.add(in.apply(rnd));
        }
        GradCheck.check(c.f(), inputs, c.eps(), c.atol(), c.rtol());
    }

    /** The harness itself must fail on a wrong formula, or every green case above means nothing. */
    @Test
    void gradCheckRejectsAWrongGradient() {
        Function wrongSquare = new Function() {
            @Override
            protected Tensor forward(FunctionCtx ctx, Tensor... in) {
                ctx.saveForBackward(in[0]);
                return in[0].mul(in[0]);
            }

            @Override
            protected Tensor[] backward(FunctionCtx ctx, Tensor g) {
                return new Tensor[] {g.mul(ctx.savedTensors()[0])}; // should be 2 * x * g
            }
        };
        Tensor x = Tensor.of(0.5, -1.0, 2.0).requiresGrad_(true);
        assertThrows(GradCheck.GradCheckError.class, () -> GradCheck.check(in -> wrongSquare.apply(in.get(0)),
                List.of(x)));
    }

    static Stream<Case> cases() {
        return Stream.of(pointwise(), reductions(), scans(), linalg(), views(), joiningAndIndexing()).flatMap(List::stream);
    }

    // -------------------------------------------------------------- tables

    private static List<Case> pointwise() {
        return List.of(
            c("add", x -> x.get(0).add(x.get(1)), normal(2, 3), normal(2, 3)),
            c("add broadcast [3,1]+[4]", x -> x.get(0).add(x.get(1)), normal(3, 1), normal(4)),
            c("add scalar", x -> x.get(0).add(2.5), normal(3)),
            c("add alpha", x -> x.get(0).add(x.get(1), -1.5), normal(2, 3), normal(3)),
            c("sub broadcast [3,1]-[4]", x -> x.get(0).sub(x.get(1)), normal(3, 1), normal(4)),
            c("sub scalar", x -> x.get(0).sub(0.75), normal(2, 2)),
            c("rsub", x -> x.get(0).rsub(2.0), normal(2, 3)),
            c("mul broadcast [3,1]*[4]", x -> x.get(0).mul(x.get(1)), normal(3, 1), normal(4)),
            c("mul same tensor", x -> x.get(0).mul(x.get(0)), normal(5)),
            c("mul scalar", x -> x.get(0).mul(-3.0), normal(2, 3)),
            c("mul 0-d by [2,3]", x -> x.get(0).mul(x.get(1)), normal(), normal(2, 3)),
            c("div broadcast [3,1]/[4]", x -> x.get(0).div(x.get(1)), normal(3, 1), normal(4)),
            c("div scalar", x -> x.get(0).div(4.0), normal(3)),
            c("pow tensor exponent", x -> x.get(0).pow(x.get(1)), positive(2, 3), normal(2, 3)),
            c("pow broadcast exponent [3]", x -> x.get(0).pow(x.get(1)), positive(2, 3), normal(3)),
            c("pow scalar 3 on negatives", x -> x.get(0).pow(3), normal(2, 3)),
            c("pow scalar 0.5", x -> x.get(0).pow(0.5), positive(4)),
            c("pow scalar -2", x -> x.get(0).pow(-2), positive(4)),
            c("neg", x -> x.get(0).neg(), normal(2, 3)),
            c("abs", x -> x.get(0).abs(), normal(2, 3)),
            c("exp", x -> x.get(0).exp(), normal(2, 3)),
            c("log", x -> x.get(0).log(), positive(2, 3)),
            c("sqrt", x -> x.get(0).sqrt(), positive(2, 3)),
            c("rsqrt", x -> x.get(0).rsqrt(), positive(2, 3)),
            c("sin", x -> x.get(0).sin(), normal(2, 3)),
            c("cos", x -> x.get(0).cos(), normal(2, 3)),
            c("tanh", x -> x.get(0).tanh(), normal(2, 3)),
            c("sigmoid", x -> x.get(0).sigmoid(), normal(2, 3)),
            c("relu", x -> x.get(0).relu(), normal(2, 3)),
            c("gelu", x -> x.get(0).gelu(), normal(2, 3)),
            c("erf", x -> x.get(0).erf(), normal(2, 3)),
            c("reciprocal", x -> x.get(0).reciprocal(), normal(2, 3)),
            c("square", x -> x.get(0).square(), normal(2, 3)),
            c("clamp", x -> x.get(0).clamp(-0.5, 0.5), fixed(new double[] {-1.3, -0.2, 0.1, 0.7, 2.0, -0.8}, 2, 3)),
            c("clampMin", x -> x.get(0).clampMin(0.25), fixed(new double[] {-1.3, -0.2, 0.1, 0.7, 2.0, 0.3}, 6)),
            c("clampMax", x -> x.get(0).clampMax(0.25), fixed(new double[] {-1.3, -0.2, 0.1, 0.7, 2.0, 0.3}, 6)),
            c("minimum broadcast", x -> x.get(0).minimum(x.get(1)), normal(3, 1), normal(4)),
            c("maximum broadcast", x -> x.get(0).maximum(x.get(1)), normal(3, 1), normal(4)),
            c("where broadcast", x -> Tensor.where(x.get(0), x.get(1), x.get(2)), mask(2, 3), normal(2, 3), normal(3)),
            c("maskedFill", x -> x.get(0).maskedFill(x.get(1), -7.0), normal(2, 3), mask(2, 3)),
            c("maskedFill broadcast mask", x -> x.get(0).maskedFill(x.get(1), 1.5), normal(2, 3), mask(3)));
    }

    private static List<Case> reductions() {
        return List.of(
            c("sum all", x -> x.get(0).sum(), normal(2, 3, 4)),
            c("sum dim -1", x -> x.get(0).sum(-1), normal(2, 3, 4)),
            c("sum dims keepdim", x -> x.get(0).sum(new long[] {0, 2}, true), normal(2, 3, 4)),
            c("sum dims", x -> x.get(0).sum(new long[] {0, 2}, false), normal(2, 3, 4)),
            c("mean all", x -> x.get(0).mean(), normal(2, 3, 4)),
            c("mean dim keepdim", x -> x.get(0).mean(1, true), normal(2, 3, 4)),
            c("mean dims", x -> x.get(0).mean(new long[] {-1, 0}, false), normal(2, 3, 4)),
            c("max full", x -> x.get(0).max(), normal(3, 4)),
            c("min full", x -> x.get(0).min(), normal(3, 4)),
            c("var all", x -> x.get(0).var(), normal(3, 4)),
            c("var dim keepdim", x -> x.get(0).var(1, true), normal(3, 4)),
            c("var dims correction 0", x -> x.get(0).var(new long[] {0, 2}, 0, false), normal(2, 3, 4)),
            c("var correction 2", x -> x.get(0).var(new long[] {1}, 2, true), normal(2, 5)),
            c("std all", x -> x.get(0).std(), normal(3, 4)),
            c("std dim", x -> x.get(0).std(0, false), normal(3, 4)),
            c("std dims correction 0", x -> x.get(0).std(new long[] {-1}, 0, true), normal(2, 3, 4)),
            c("softmax dim -1", x -> x.get(0).softmax(-1), normal(3, 4)),
            c("softmax dim 0", x -> x.get(0).softmax(0), normal(3, 4)),
            c("softmax dim 1 of 3-d", x -> x.get(0).softmax(1), normal(2, 3, 4)),
            c("logSoftmax dim -1", x -> x.get(0).logSoftmax(-1), normal(3, 4)),
            c("logSoftmax dim 0", x -> x.get(0).logSoftmax(0), normal(3, 4)),
            c("logsumexp dim 1", x -> x.get(0).logsumexp(1, false), normal(3, 4)),
            c("logsumexp dim 0 keepdim", x -> x.get(0).logsumexp(0, true), normal(3, 4)));
    }

    private static List<Case> scans() {
        double[] zeros = {2.0, 0.0, 3.0, -1.5, 0.5, 0.0, 1.5, -2.0, 0.0, 4.0, 0.0, -0.7, 0.9, 1.1, 0.0};
        return List.of(
            c("cumsum dim 1", x -> x.get(0).cumsum(1), normal(2, 5, 3)),
            c("cumsum dim -1", x -> x.get(0).cumsum(-1), normal(3, 4)),
            c("cumsum 0-d", x -> x.get(0).cumsum(0), normal()),
            c("cumprod dim 0", x -> x.get(0).cumprod(0), normal(5, 2)),
            c("cumprod dim 2", x -> x.get(0).cumprod(2), normal(2, 2, 6)),
            c("cumprod with zeros dim 1", x -> x.get(0).cumprod(1), fixed(zeros, 3, 5)),
            c("cumprod with zeros dim 0", x -> x.get(0).cumprod(0), fixed(zeros, 5, 3)),
            c("cumprod all zeros", x -> x.get(0).cumprod(0), fixed(new double[4], 4)));
    }

    private static List<Case> linalg() {
        return List.of(
            c("matmul 1-d @ 1-d", x -> x.get(0).matmul(x.get(1)), normal(4), normal(4)),
            c("matmul 1-d @ 2-d", x -> x.get(0).matmul(x.get(1)), normal(3), normal(3, 4)),
            c("matmul 2-d @ 1-d", x -> x.get(0).matmul(x.get(1)), normal(2, 3), normal(3)),
            c("matmul 2-d @ 2-d", x -> x.get(0).matmul(x.get(1)), normal(2, 3), normal(3, 4)),
            c("matmul batched broadcast", x -> x.get(0).matmul(x.get(1)), normal(2, 1, 2, 3), normal(3, 3, 4)),
            c("matmul batched @ 1-d", x -> x.get(0).matmul(x.get(1)), normal(2, 2, 3), normal(3)),
            c("matmul 1-d @ batched", x -> x.get(0).matmul(x.get(1)), normal(3), normal(2, 3, 2)),
            c("matmul transposed operand", x -> x.get(0).t().matmul(x.get(1)), normal(3, 2), normal(3, 4)),
            c("mm", x -> x.get(0).mm(x.get(1)), normal(2, 3), normal(3, 2)),
            c("bmm", x -> x.get(0).bmm(x.get(1)), normal(2, 2, 3), normal(2, 3, 2)));
    }

    private static List<Case> views() {
        return List.of(
            c("view", x -> x.get(0).view(3, 2), normal(2, 3)),
            c("view -1", x -> x.get(0).view(-1), normal(2, 3)),
            c("reshape contiguous", x -> x.get(0).reshape(6, 1), normal(2, 3)),
            c("reshape of transpose (copies)", x -> x.get(0).t().reshape(-1), normal(2, 3)),
            c("transpose", x -> x.get(0).transpose(0, 2), normal(2, 3, 4)),
            c("transpose negative dims", x -> x.get(0).transpose(-1, -2), normal(2, 3, 4)),
            c("t", x -> x.get(0).t(), normal(2, 3)),
            c("mT", x -> x.get(0).mT(), normal(2, 3, 4)),
            c("permute", x -> x.get(0).permute(2, 0, 1), normal(2, 3, 4)),
            c("squeeze", x -> x.get(0).squeeze(), normal(2, 1, 3, 1)),
            c("squeeze dim", x -> x.get(0).squeeze(1), normal(2, 1, 3)),
            c("squeeze dim not 1", x -> x.get(0).squeeze(0), normal(2, 1, 3)),
            c("unsqueeze", x -> x.get(0).unsqueeze(1), normal(2, 3)),
            c("unsqueeze -1", x -> x.get(0).unsqueeze(-1), normal(2, 3)),
            c("expand", x -> x.get(0).expand(2, 3, 4), normal(3, 1)),
            c("expand -1", x -> x.get(0).expand(-1, 4), normal(3, 1)),
            c("expandAs", x -> x.get(0).expandAs(x.get(1)), normal(1, 4), fixed(new double[8], 2, 4)),
            c("narrow", x -> x.get(0).narrow(1, 1, 2), normal(2, 4)),
            c("select", x -> x.get(0).select(1, 2), normal(2, 4)),
            c("select negative index", x -> x.get(0).select(0, -1), normal(3, 2)),
            c("slice step 2", x -> x.get(0).slice(1, 0, 5, 2), normal(2, 5)),
            c("slice negative start", x -> x.get(0).slice(0, -2, 10), normal(4, 2)),
            c("slice of transposed", x -> x.get(0).t().slice(0, 1, 3, 1), normal(2, 4)),
            c("flatten", x -> x.get(0).flatten(), normal(2, 3, 4)),
            c("flatten range", x -> x.get(0).flatten(1, 2), normal(2, 3, 4)),
            c("unflatten", x -> x.get(0).unflatten(1, 2, -1), normal(3, 6)),
            c("contiguous of transpose", x -> x.get(0).t().contiguous(), normal(2, 3)),
            c("clone", x -> x.get(0).clone(), normal(2, 3)),
            c("to float32 and back", x -> x.get(0).to(DType.FLOAT32).to(DType.FLOAT64), 1e-3, 1e-3, 1e-3,
                    normal(2, 3)),
            c("view then mul (chain)", x -> x.get(0).view(6).mul(x.get(1)).sum(0, true), normal(2, 3), normal(6)),
            c("select of expand", x -> x.get(0).expand(3, 4).select(0, 1).mul(2), normal(1, 4)));
    }

    private static List<Case> joiningAndIndexing() {
        return List.of(
            c("cat dim 0", x -> Tensor.cat(List.of(x.get(0), x.get(1)), 0), normal(2, 3), normal(1, 3)),
            c("cat dim -1 same tensor twice", x -> Tensor.cat(List.of(x.get(0), x.get(0)), -1), normal(2, 3)),
            c("stack dim 1", x -> Tensor.stack(List.of(x.get(0), x.get(1)), 1), normal(2, 3), normal(2, 3)),
            c("split piece 1", x -> x.get(0).split(2, 1).get(1), normal(2, 5)),
            c("split sizes piece 0", x -> x.get(0).split(new long[] {1, 3}, 0).get(0), normal(4, 2)),
            c("chunk piece 2", x -> x.get(0).chunk(3, 0).get(2), normal(5, 2)),
            c("gather dim 1", x -> x.get(0).gather(1, x.get(1)), normal(3, 4), index(new long[] {0, 3, 3, 1, 2, 0}, 3, 2)),
            c("scatter dim 0", x -> x.get(0).scatter(0, x.get(2), x.get(1)), normal(3, 2), normal(2, 2),
                    index(new long[] {2, 0, 1, 2}, 2, 2)),
            c("scatterAdd duplicate indices", x -> x.get(0).scatterAdd(1, x.get(2), x.get(1)), normal(2, 3),
                    normal(2, 2), index(new long[] {1, 1, 0, 2}, 2, 2)),
            c("indexSelect dim 0 repeated", x -> x.get(0).indexSelect(0, x.get(1)), normal(4, 3),
                    index(new long[] {3, 0, 3}, 3)),
            c("indexSelect dim 1", x -> x.get(0).indexSelect(1, x.get(1)), normal(2, 4), index(new long[] {2, 1}, 2)),
            c("max along dim", x -> x.get(0).max(1, false).values(), normal(3, 4)),
            c("min along dim keepdim", x -> x.get(0).min(0, true).values(), normal(3, 4)));
    }

    // -------------------------------------------------------------- case and input builders

    /** An int64 index tensor (not differentiable; gradcheck skips it). */
    private static In index(long[] values, long... shape) {
        return r -> Tensor.of(values.clone()).reshape(shape);
    }

    private static Case c(String name, java.util.function.Function<List<Tensor>, Tensor> f, In... inputs) {
        return new Case(name, List.of(inputs), f, 1e-6, 1e-5, 1e-3);
    }

    private static Case c(String name, java.util.function.Function<List<Tensor>, Tensor> f, double eps, double atol, double rtol,
                          In... inputs) {
        return new Case(name, List.of(inputs), f, eps, atol, rtol);
    }

    /** Standard normal values pushed at least 0.1 away from 0 (the kink of abs/relu, the pole of 1/x). */
    private static In normal(long... shape) {
        return r -> leaf(shape, r, () -> {
            double v = r.nextGaussian();
            return Math.copySign(Math.abs(v) + 0.1, v);
        });
    }

    /** Uniform in [0.5, 2): safe for log, sqrt, rsqrt and a real-valued pow. */
    private static In positive(long... shape) {
        return r -> leaf(shape, r, () -> 0.5 + 1.5 * r.nextDouble());
    }

    private static In fixed(double[] values, long... shape) {
        return r -> Tensor.of(values.clone()).reshape(shape).requiresGrad_(true);
    }

    /** A boolean mask with both values (not differentiable; gradcheck skips it). */
    private static In mask(long... shape) {
        return r -> {
            boolean[] m = new boolean[Math.toIntExact(Shapes.numel(shape))];
            for (int i = 0; i < m.length; i++) {
                m[i] = i % 3 != 1;
            }
            return Tensor.of(m).reshape(shape);
        };
    }

    private static Tensor leaf(long[] shape, Random r, java.util.function.DoubleSupplier values) {
        double[] d = new double[Math.toIntExact(Shapes.numel(shape))];
        for (int i = 0; i < d.length; i++) {
            d[i] = values.getAsDouble();
        }
        return Tensor.of(d).reshape(shape).requiresGrad_(true);
    }
}
