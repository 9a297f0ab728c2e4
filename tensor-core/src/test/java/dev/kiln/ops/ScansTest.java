package dev.kiln.ops;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** cumsum / cumprod against real PyTorch 1.13 ({@code src/test/python/gen_scans_torch.py}): values, dtypes, gradients. */
class ScansTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/ops/scans_torch.txt", "gen_scans_torch.py");

    private static void check(String name, String input, BiFunction<Tensor, Long, Tensor> op, long dim) {
        Tensor x = REF.tensor(input).requiresGrad_(true);
        Tensor out = op.apply(x, dim);
        assertClose(out, 1e-12, REF.values(name + ".out"));
        double[] up = new double[(int) out.numel()];
        for (int i = 0; i < up.length; i++) { // torch.linspace(-1, 2, n)
            up[i] = -1.0 + 3.0 * i / (up.length - 1);
        }
        out.mul(Tensor.of(up).reshape(out.shape())).sum().backward();
        assertClose(x.grad(), 1e-12, REF.values(name + ".grad"));
    }

    @Test
    void valuesAndGradientsMatchPyTorch() {
        for (long dim : new long[] {0, 1, 2, -1}) {
            check("cumsum." + dim, "x", Tensor::cumsum, dim);
            check("cumprod." + dim, "x", Tensor::cumprod, dim);
        }
    }

    @Test
    void cumprodGradientWithZerosMatchesPyTorch() {
        for (long dim : new long[] {0, 1}) {
            check("cumprod.zeros." + dim, "zeros", Tensor::cumprod, dim);
            check("cumsum.zeros." + dim, "zeros", Tensor::cumsum, dim);
        }
    }

    @Test
    void dtypesFollowPyTorch() {
        Tensor ints = REF.tensor("ints", DType.INT32);
        Tensor s = ints.cumsum(1);
        assertEquals(DType.INT64, s.dtype());
        assertClose(s, 0, REF.values("cumsum.ints.1"));
        Tensor p = ints.cumprod(0);
        assertEquals(DType.INT64, p.dtype());
        assertClose(p, 0, REF.values("cumprod.ints.0"));
        Tensor b = REF.tensor("bools", DType.BOOL).cumsum(0);
        assertEquals(DType.INT64, b.dtype());
        assertClose(b, 0, REF.values("cumsum.bools"));
        Tensor f = ints.cumsum(1, DType.FLOAT64);
        assertEquals(DType.FLOAT64, f.dtype());
        assertClose(f, 0, REF.values("cumsum.ints.float64"));
        Tensor f32 = REF.tensor("x", DType.FLOAT32).cumsum(2);
        assertEquals(DType.FLOAT32, f32.dtype());
        assertClose(f32, 0, REF.values("cumsum.x.float32")); // float accumulated in double: bit for bit
        Tensor scalar = Tensor.scalar(2.5, DType.FLOAT64).cumsum(0);
        assertShape(scalar);
        assertClose(scalar, 0, REF.values("cumsum.scalar"));
    }

    @Test
    void resultNeverAliasesTheInput() {
        Tensor x = Tensor.of(1.0);
        Tensor y = x.cumsum(0);
        y.add_(1);
        assertClose(x, 0, 1.0);
    }
}
