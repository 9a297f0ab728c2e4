package dev.kiln.ops.opinfo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Function;
import dev.kiln.autograd.FunctionCtx;
import dev.kiln.autograd.GradCheck;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Float64 finite-difference gradcheck of every differentiable (op, sample) of the {@link OpTable}, like PyTorch's
 * OpInfo-driven {@code test_fn_grad}: gradients of the arguments that take them ({@link Arg#grad()}) against
 * central differences, through the vector-Jacobian product {@link GradCheck} computes.
 */
class OpGradCheckTest extends KilnTest {

    static Stream<Sample> cases() {
        return OpTable.samples().filter(Sample::differentiable);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(Sample s) {
        check(s);
    }

    private static void check(Sample s) {
        GradCheck.check(s.call(), s.inputs(DType.FLOAT64, true), s.eps(), s.atol(), s.rtol());
    }

    /** The harness must fail on a wrong formula, or every green case above means nothing. */
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
        Sample wrong = OpInfo.s("wrong square", x -> wrongSquare.apply(x.get(0)), "x0 * x0", Arg.normal(3))
                .bind("self-test");
        assertThrows(GradCheck.GradCheckError.class, () -> check(wrong));
    }

    /** Every (op, sample) the four older per-test lists checked (142) is still checked. */
    @Test
    void coversAtLeastTheOldListsCases() {
        long n = cases().count();
        assertTrue(n >= 142, "only " + n + " gradcheck cases");
    }
}
