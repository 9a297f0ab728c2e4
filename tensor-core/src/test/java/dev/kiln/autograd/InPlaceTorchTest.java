package dev.kiln.autograd;

import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * In-place ops against real PyTorch 1.13 ({@code src/test/python/gen_inplace_torch.py}): ops whose gradient reads
 * the original {@code self}, and in-place ops through views of tensors in the graph (PyTorch's CopySlices). Each
 * case backpropagates {@code sum(out * u)} with the generator's {@code u = linspace(-1, 2)}.
 */
class InPlaceTorchTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/autograd/inplace_torch.txt", "gen_inplace_torch.py");
    private static final List<String> LEAVES = List.of("x", "c", "s", "c2");

    record Case(String name, Function<Map<String, Tensor>, Tensor> f) {
        @Override
        public String toString() {
            return name;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchPyTorch(Case c) {
        Map<String, Tensor> t = new HashMap<>();
        for (String k : LEAVES) {
            t.put(k, REF.tensor(k).requiresGrad_(true));
        }
        Tensor out = c.f().apply(t);
        assertClose(out, 1e-12, REF.values(c.name() + ".out"));
        double[] up = new double[(int) out.numel()];
        for (int i = 0; i < up.length; i++) { // torch.linspace(-1, 2, n)
            up[i] = -1.0 + 3.0 * i / (up.length - 1);
        }
        out.mul(Tensor.of(up).reshape(out.shape())).sum().backward();
        for (String k : LEAVES) {
            String key = c.name() + ".grad." + k;
            if (REF.has(key)) {
                assertClose(t.get(k).grad(), 1e-12, REF.values(key));
            } else {
                assertEquals(null, t.get(k).grad(), key + ": PyTorch gives no gradient");
            }
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
            c("mul_c", t -> t.get("x").mul(2).mul_(t.get("c"))),
            c("div_c", t -> t.get("x").mul(2).div_(t.get("c"))),
            c("clamp", t -> t.get("x").mul(2).clamp_(-0.5, 0.7)),
            c("mul_c_no_grad_self", t -> Tensor.ones(DType.FLOAT64, 2, 3).mul_(t.get("c"))),
            c("chain", t -> t.get("x").mul(1.5).mul_(t.get("s")).sub_(0.2).div_(t.get("s").add(3)).clamp_(-0.4, 1.0)
                    .add_(t.get("c")).relu_()),
            c("view_mul", t -> {
                Tensor y = t.get("x").mul(2);
                y.select(0, 0).mul_(t.get("c"));
                return y;
            }),
            c("column_add", t -> {
                Tensor y = t.get("x").mul(2);
                y.select(1, 1).add_(t.get("c2"));
                return y;
            }),
            c("transposed_clamp", t -> {
                Tensor y = t.get("x").mul(2);
                y.t().select(0, 1).clamp_(-0.3, 0.3);
                return y;
            }),
            c("narrow_exp", t -> {
                Tensor y = t.get("x").mul(2);
                y.narrow(1, 1, 2).exp_();
                return y;
            }),
            c("copy_into_plain", t -> {
                Tensor b = Tensor.zeros(DType.FLOAT64, 2, 3);
                b.select(0, 1).copy_(t.get("x").select(0, 0).mul(3));
                return b.mul(t.get("s"));
            }),
            c("fill_row", t -> {
                Tensor y = t.get("x").mul(2);
                y.select(0, 0).fill_(1.5);
                return y.mul(t.get("s"));
            }),
            c("twice", t -> {
                Tensor y = t.get("x").mul(2);
                y.select(0, 0).mul_(t.get("c"));
                y.select(0, 0).mul_(t.get("c"));
                return y;
            }),
            c("view_used_after", t -> {
                Tensor y = t.get("x").mul(2);
                Tensor v = y.select(0, 1);
                v.mul_(t.get("c"));
                return Tensor.cat(List.of(y.reshape(-1), v.mul(v)), 0);
            }),
            c("masked_fill_view", t -> {
                Tensor y = t.get("x").mul(2);
                y.select(0, 1).maskedFill_(Tensor.of(true, false, true), -2.0);
                return y;
            }),
            c("strided_view_of_view", t -> {
                Tensor y = t.get("x").mul(2);
                y.view(6).slice(0, 1, 5, 2).mul_(t.get("c2"));
                return y;
            }),
            c("copy_from_grad_source", t -> {
                Tensor y = t.get("x").mul(2);
                y.select(0, 0).copy_(t.get("c").mul(t.get("c")));
                return y;
            }),
            c("stale_view", t -> {
                Tensor y = t.get("x").mul(2);
                Tensor v = y.select(0, 0);
                y.mul_(t.get("s")); // v's node is regenerated from y's new history
                return Tensor.cat(List.of(v.mul(1.0), y.reshape(-1)), 0);
            }),
            c("sibling_view", t -> {
                Tensor y = t.get("x").mul(2);
                Tensor a = y.select(0, 0);
                Tensor b = y.select(1, 1);
                a.mul_(t.get("c")); // b overlaps a at y[0, 1]
                return b.mul(t.get("c2"));
            }),
            c("base_then_view_then_base", t -> {
                Tensor y = t.get("x").mul(2);
                Tensor v = y.t();
                y.add_(t.get("s"));
                v.select(0, 1).mul_(t.get("c2"));
                y.exp_();
                return v.mul(1.0);
            }));
    }

    private static Case c(String name, Function<Map<String, Tensor>, Tensor> f) {
        return new Case(name, f);
    }

    /** A saved tensor modified afterwards still fails loudly, as in PyTorch. */
    @Test
    void modifyingASavedTensorStillFails() {
        Tensor x = Tensor.of(1.0, 2.0).requiresGrad_(true);
        Tensor y = x.mul(2);
        Tensor z = y.mul(y);
        y.select(0, 0).mul_(3.0);
        var e = assertThrows(IllegalStateException.class, () -> z.sum().backward());
        assertTrue(e.getMessage().startsWith("one of the variables needed for gradient computation has been modified"),
                e.getMessage());
    }

    /** The CopySlices gradient is itself differentiable: a second-order gradient matches the analytic one. */
    @Test
    void copySlicesSupportsDoubleBackward() {
        Tensor x = Tensor.of(0.5, -1.0, 2.0).requiresGrad_(true);
        Tensor y = x.mul(1.0);
        y.narrow(0, 1, 2).mul_(x.narrow(0, 1, 2)); // y = [x0, x1^2, x2^2]
        Tensor g = Autograd.grad(List.of(y.pow(2).sum()), List.of(x), null, true, true).get(0); // 2x0, 4x1^3, 4x2^3
        assertClose(g, 1e-12, 1.0, -4.0, 32.0);
        g.sum().backward();
        assertClose(x.grad(), 1e-12, 2.0, 12.0, 48.0);
    }

    @Test
    void writingThroughAnExpandedTensorIsRefused() {
        Tensor y = Tensor.zeros(3).expand(2, 3);
        var e = assertThrows(IllegalStateException.class, () -> y.add_(1.0));
        assertTrue(e.getMessage().startsWith("unsupported operation: more than one element of the written-to tensor"),
                e.getMessage());
    }
}
