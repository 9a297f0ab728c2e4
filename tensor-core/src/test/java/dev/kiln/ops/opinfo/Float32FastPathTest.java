package dev.kiln.ops.opinfo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Function;
import dev.kiln.autograd.FunctionCtx;
import dev.kiln.tensor.DType;
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
 * The float32-only CPU kernels against the generic paths float64 takes, for every op of the {@link OpTable} with a
 * {@link OpInfo#fastPath()}: inputs are multiples of 1/4 (exact in both dtypes, with many ties; the fast path's own
 * samples add NaN, +-inf, -0 and subnormals), so sums and products are exact and float32's forward result must equal
 * float64's rounded to float32 bit for bit, indices included; gradients too, or within the op's stated ulps where
 * they multiply by a rounded transcendental.
 */
class Float32FastPathTest extends KilnTest {

    record Case(Sample sample, boolean tableSample, int ulps) {
        @Override
        public String toString() {
            return sample.key();
        }
    }

    static Stream<Case> cases() {
        return OpTable.all().stream().filter(op -> op.fastPath() != null).flatMap(op -> op.fastPathSamples().stream()
                .map(s -> new Case(s, op.samples().contains(s), op.fastPath().backwardUlps())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float32EqualsFloat64(Case c) {
        check(c.sample(), c.tableSample(), c.ulps());
    }

    /**
     * Table samples get their values rounded to quarters in [-2, 2]; the fast path's own samples are used as drawn.
     */
    static void check(Sample s, boolean quarterize, int ulps) {
        List<double[]> drawn = s.draw();
        if (quarterize) {
            for (double[] v : drawn) {
                for (int i = 0; v != null && i < v.length; i++) {
                    v[i] = Math.max(-2, Math.min(2, Math.rint(v[i] * 4) / 4));
                }
            }
        }
        List<Tensor> x64 = s.inputs(drawn, DType.FLOAT64, true);
        List<Tensor> x32 = s.inputs(drawn, DType.FLOAT32, true);
        Tensor y64 = s.run(x64);
        Tensor y32 = s.run(x32);
        Checks.assertFloat32Matches(s.key() + " forward", y32, y64, 0);
        if (!s.differentiable() || !y64.dtype().isFloatingPoint()) {
            return;
        }
        double[] g = s.upstreamQuarters(new Random(s.key().hashCode() + 1L), Math.toIntExact(y64.numel()));
        List<Tensor> g64 = grads(s, x64, y64, Tensor.of(g).reshape(y64.shape()));
        List<Tensor> g32 = grads(s, x32, y32, Tensor.of(g).reshape(y64.shape()).to(DType.FLOAT32));
        for (int i = 0; i < g64.size(); i++) {
            Checks.assertFloat32Matches(s.key() + " gradient " + i, g32.get(i), g64.get(i), ulps);
        }
    }

    private static List<Tensor> grads(Sample s, List<Tensor> x, Tensor y, Tensor g) {
        List<Tensor> diff = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            if (s.args().get(i).grad()) {
                diff.add(x.get(i));
            }
        }
        List<Tensor> out = new ArrayList<>();
        List<Tensor> got = Autograd.grad(List.of(y), diff, List.of(g), false, false);
        for (int i = 0; i < diff.size(); i++) {
            out.add(got.get(i) != null ? got.get(i) : Tensor.zeros(diff.get(i).dtype(), diff.get(i).shape()));
        }
        return out;
    }

    /** A float32 path one ulp off in its forward, or in its gradient, must be caught. */
    @Test
    void rejectsAFloat32PathThatDiffersByOneUlp() {
        Sample relu = OpTable.get("relu").samples().get(0);
        check(relu, true, 0);
        Sample.Call nudged = x -> x.get(0).dtype() == DType.FLOAT32 ? x.get(0).relu().mul(1 + 0x1p-23) : x.get(0).relu();
        AssertionError forward = assertThrows(AssertionError.class, () -> check(relu.withCall(nudged), true, 0));
        assertTrue(forward.getMessage().contains("forward"), forward.getMessage());
        Function reluWithNudgedFloat32Gradient = new Function() {
            @Override
            protected Tensor forward(FunctionCtx ctx, Tensor... in) {
                ctx.saveForBackward(in[0]);
                return in[0].relu();
            }

            @Override
            protected Tensor[] backward(FunctionCtx ctx, Tensor g) {
                Tensor mask = ctx.savedTensors()[0].gt(0).to(g.dtype());
                Tensor grad = g.mul(mask);
                return new Tensor[] {g.dtype() == DType.FLOAT32 ? grad.mul(1 + 0x1p-23) : grad};
            }
        };
        AssertionError backward = assertThrows(AssertionError.class, () -> check(
                relu.withCall(x -> reluWithNudgedFloat32Gradient.apply(x.get(0))), true, 0));
        assertTrue(backward.getMessage().contains("gradient"), backward.getMessage());
    }

    /** The old test's 14 (op, sample) checks are all still here, plus every table sample of each fast-path op. */
    @Test
    void coversAtLeastTheOldChecks() {
        long extra = OpTable.all().stream().filter(op -> op.fastPath() != null)
                .mapToLong(op -> op.fastPath().extra().size()).sum();
        assertTrue(extra >= 19, "fast-path samples: " + extra);
    }
}
