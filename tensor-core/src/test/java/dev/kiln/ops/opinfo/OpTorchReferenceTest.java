package dev.kiln.ops.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Function;
import dev.kiln.autograd.FunctionCtx;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every (op, sample) of the {@link OpTable} against real PyTorch 1.13, in each of the op's dtypes: the output and
 * the gradients of every differentiable argument for one upstream gradient (see {@link TorchReferences}).
 */
class OpTorchReferenceTest extends KilnTest {

    record Case(Sample sample, DType dtype) {
        @Override
        public String toString() {
            return sample.key() + " " + dtype.torchName();
        }
    }

    static Stream<Case> cases() {
        return OpTable.all().stream().flatMap(op -> op.samples().stream().filter(s -> s.torch() != null)
                .flatMap(s -> op.dtypes().stream().map(d -> new Case(s, d))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorch(Case c) {
        TorchReferences.check(c.sample(), c.dtype());
    }

    /** Writes the request file {@code gen_opinfo_torch.py} reads; every sample has a torch expression. */
    @Test
    void exportsEverySampleForTheTorchGenerator() throws IOException {
        String text = TorchReferences.requests();
        Path file = Path.of(TorchReferences.REQUESTS);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
        long records = text.lines().filter(l -> l.startsWith("case ")).count();
        assertEquals(OpTable.samples().count(), records, "samples without a PyTorch expression");
    }

    /** The harness must fail on a forward that is slightly off and on a gradient that is slightly off. */
    @Test
    void rejectsAWrongForwardAndAWrongGradient() {
        Sample exp = OpTable.get("exp").samples().get(0);
        TorchReferences.check(exp, DType.FLOAT64);
        AssertionError forward = assertThrows(AssertionError.class, () -> TorchReferences.check(
                exp.withCall(x -> x.get(0).exp().mul(1 + 1e-8)), DType.FLOAT64));
        assertTrue(forward.getMessage().contains("output"), forward.getMessage());
        Function expWithWrongGradient = new Function() {
            @Override
            protected Tensor forward(FunctionCtx ctx, Tensor... in) {
                Tensor y = in[0].exp();
                ctx.saveForBackward(y);
                return y;
            }

            @Override
            protected Tensor[] backward(FunctionCtx ctx, Tensor g) {
                return new Tensor[] {g.mul(ctx.savedTensors()[0]).mul(1 + 1e-8)};
            }
        };
        AssertionError backward = assertThrows(AssertionError.class, () -> TorchReferences.check(
                exp.withCall(x -> expWithWrongGradient.apply(x.get(0))), DType.FLOAT64));
        assertTrue(backward.getMessage().contains("gradient"), backward.getMessage());
    }
}
