package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.functional.F;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * float16 / bfloat16 against real PyTorch 1.13 ({@code src/test/python/gen_half_torch.py} writes
 * {@code half_torch.txt}): casts bit for bit (round to nearest even, NaN, infinities, subnormals, overflow), and
 * pointwise ops, matmul, reductions, softmax and a Linear forward/backward within PyTorch's own tolerances for the
 * type ({@code torch.testing.assert_close}: float16 rtol 1e-3, bfloat16 rtol 1.6e-2, atol 1e-5).
 */
class HalfPrecisionTest extends KilnTest {
    private static final Golden G = Golden.load("/dev/kiln/tensor/half_torch.txt", "src/test/python/gen_half_torch.py");

    enum Half {
        F16(DType.FLOAT16, "f16", 1e-3), BF16(DType.BFLOAT16, "bf16", 1.6e-2);

        final DType dtype;
        final String key;
        final double rtol;

        Half(DType dtype, String key, double rtol) {
            this.dtype = dtype;
            this.key = key;
            this.rtol = rtol;
        }
    }

    // ---------------------------------------------------------------- casts, bit for bit

    @ParameterizedTest
    @EnumSource(Half.class)
    void castsRoundExactlyAsPyTorch(Half h) {
        assertSameValues("float32 -> " + h.key, G.values("cast|" + h.key),
                G.tensor("cast|in", DType.FLOAT32).to(h.dtype));
        assertSameValues("float64 -> " + h.key, G.values("cast64|" + h.key), G.tensor("cast64|in").to(h.dtype));
        assertSameValues("int64 -> " + h.key, G.values("castint|" + h.key), G.tensor("castint|in", DType.INT64)
                .to(h.dtype));
        Tensor half = G.tensor("tolong|" + h.key + "|in", h.dtype);
        assertArrayEquals(toLongs(G.values("tolong|" + h.key + "|out")), half.to(DType.INT64).toLongArray());
    }

    @Test
    void halfToFloatIsExactAndHalfToHalfGoesThroughFloat() {
        Tensor h = Tensor.of(1.0009765625f, 65504f, 5.9604645e-8f, Float.NaN).half();
        assertArrayEquals(new float[] {1.0009765625f, 65504f, 5.9604645e-8f, Float.NaN}, h.toFloatArray());
        // float16 -> bfloat16: 1 + 2^-10 is a tie in bfloat16 and rounds to even (1.0); 65504 rounds up to 65536
        assertArrayEquals(new float[] {1f, 65536f, 5.9604645e-8f, Float.NaN}, h.bfloat16().toFloatArray());
        assertEquals(2, h.dtype().byteSize());
        assertEquals(2 * 4, h.storage().byteSize());
    }

    private static void assertSameValues(String what, double[] expected, Tensor got) {
        double[] g = got.toDoubleArray();
        for (int i = 0; i < expected.length; i++) {
            boolean same = Double.isNaN(expected[i]) ? Double.isNaN(g[i])
                    : Double.doubleToLongBits(expected[i]) == Double.doubleToLongBits(g[i]); // -0.0 too
            assertTrue(same, what + " element " + i + ": " + g[i] + ", PyTorch gives " + expected[i]);
        }
    }

    private static long[] toLongs(double[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (long) v[i];
        }
        return out;
    }

    // ---------------------------------------------------------------- math within PyTorch's tolerances

    @ParameterizedTest
    @EnumSource(Half.class)
    void pointwiseOpsMatchPyTorch(Half h) {
        Tensor x = in(h, "x");
        Tensor y = in(h, "y");
        check(h, "add", x.add(y));
        check(h, "sub", x.sub(y));
        check(h, "mul", x.mul(y));
        check(h, "div", x.div(y));
        check(h, "mulscalar", x.mul(0.1));
        check(h, "addscalar", x.add(1.5));
        check(h, "pow2", x.pow(2));
        check(h, "neg", x.neg());
        check(h, "exp", x.exp());
        check(h, "tanh", x.tanh());
        check(h, "sigmoid", x.sigmoid());
        check(h, "relu", x.relu());
        check(h, "logabs", x.abs().log());
        check(h, "sqrtabs", x.abs().sqrt());
    }

    @ParameterizedTest
    @EnumSource(Half.class)
    void matmulReductionsAndSoftmaxMatchPyTorch(Half h) {
        Tensor x = in(h, "x");
        check(h, "mm", x.matmul(in(h, "w")));
        check(h, "sum1", x.sum(1));
        check(h, "sum", x.sum());
        check(h, "mean1", x.mean(1));
        check(h, "max1", x.max(1, false).values());
        check(h, "softmax1", x.softmax(1));
        check(h, "logsoftmax1", x.logSoftmax(1));
        Tensor argmax = x.argmax(1, false);
        assertEquals(DType.INT64, argmax.dtype());
        assertArrayEquals(toLongs(G.values(h.key + "|argmax1")), argmax.toLongArray());
    }

    @ParameterizedTest
    @EnumSource(Half.class)
    void linearForwardAndBackwardMatchPyTorch(Half h) {
        Tensor x = in(h, "x").requiresGrad_(true);
        Tensor weight = in(h, "w").t().contiguous().requiresGrad_(true);
        Tensor bias = in(h, "b").requiresGrad_(true);
        Tensor out = F.linear(x, weight, bias);
        out.mul(in(h, "v")).sum().backward();
        check(h, "linear_out", out);
        check(h, "linear_gx", x.grad());
        check(h, "linear_gw", weight.grad());
        check(h, "linear_gb", bias.grad());
    }

    private static Tensor in(Half h, String name) {
        return G.tensor(h.key + "|" + name, h.dtype);
    }

    /** Same dtype as PyTorch's result, and {@code |got - want| <= 1e-5 + rtol |want|} elementwise. */
    private static void check(Half h, String op, Tensor got) {
        String key = h.key + "|" + op + (G.has(h.key + "|" + op) ? "" : "|via32");
        assertEquals(h.dtype, got.dtype(), op + " of " + h.dtype.torchName() + " keeps the dtype");
        assertArrayEquals(G.shape(key), got.shape(), op);
        double[] want = G.values(key);
        double[] g = got.contiguous().toDoubleArray();
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(g[i] - want[i]) <= 1e-5 + h.rtol * Math.abs(want[i]), op + " (" + h.key + ") element "
                    + i + ": " + g[i] + ", PyTorch gives " + want[i]);
        }
    }

    @Test
    void theComparisonCanFail() {
        Tensor x = in(Half.BF16, "x");
        assertThrows(AssertionError.class, () -> check(Half.BF16, "exp", x.exp().mul(1.04)));
        assertThrows(AssertionError.class, () -> check(Half.F16, "add", in(Half.F16, "x").add(in(Half.F16, "y"))
                .to(DType.FLOAT32)));
    }

    // ---------------------------------------------------------------- dtype rules, autograd, API

    @Test
    void promotionFollowsResultType() {
        Tensor h = Tensor.ones(DType.FLOAT16, 2);
        Tensor b = Tensor.ones(DType.BFLOAT16, 2);
        assertEquals(DType.FLOAT32, h.add(b).dtype());
        assertEquals(DType.FLOAT32, h.add(Tensor.ones(2)).dtype());
        assertEquals(DType.FLOAT64, b.add(Tensor.ones(DType.FLOAT64, 2)).dtype());
        assertEquals(DType.FLOAT16, h.add(Tensor.ones(DType.INT64, 2)).dtype());
        assertEquals(DType.BFLOAT16, Tensor.ones(DType.BOOL, 2).add(b).dtype());
        assertEquals(DType.FLOAT16, h.mul(Tensor.scalar(2, DType.FLOAT64)).dtype()); // 0-d does not widen
        assertEquals(DType.FLOAT16, h.mul(2.5).dtype());
        assertEquals(DType.FLOAT32, Tensor.scalar(1, DType.FLOAT16).add(Tensor.ones(2)).dtype());
        assertEquals(DType.FLOAT32, Tensor.scalar(1, DType.FLOAT16).add(Tensor.scalar(1, DType.BFLOAT16)).dtype());
        assertEquals(DType.FLOAT32, Tensor.ones(DType.INT64, 2).mul(Tensor.scalar(2, DType.BFLOAT16)).dtype());
        assertEquals(DType.FLOAT16, Tensor.ones(DType.INT64, 2).to(DType.FLOAT16).div(2).dtype());
        assertEquals(DType.BOOL, h.gt(b).dtype());
        assertEquals(DType.FLOAT16, DType.promote(DType.INT64, DType.FLOAT16));
        assertEquals("Half", DType.FLOAT16.scalarTypeName());
        assertEquals("BFloat16", DType.BFLOAT16.scalarTypeName());
        assertTrue(DType.BFLOAT16.isFloatingPoint() && !DType.BFLOAT16.isIntegral());
    }

    @Test
    void gradientsOfHalfTensorsAreHalf() {
        Tensor w = Tensor.of(0.5f, -1.25f, 2f).bfloat16().requiresGrad_(true);
        Tensor loss = w.mul(w).sum();
        assertEquals(DType.BFLOAT16, loss.dtype());
        loss.backward();
        assertEquals(DType.BFLOAT16, w.grad().dtype());
        assertArrayEquals(new float[] {1f, -2.5f, 4f}, w.grad().toFloatArray());
    }

    @Test
    void factoriesItemPrintingAndModules() {
        Tensor z = Tensor.zeros(DType.FLOAT16, 2, 3);
        assertEquals(DType.FLOAT16, z.dtype());
        Tensor f = Tensor.full(new long[] {2}, 0.1, DType.BFLOAT16);
        assertEquals(0.10009765625, f.get(0)); // 0.1 rounded to bfloat16
        assertEquals("tensor([1.5000, 2.0000], dtype=torch.float16)", Tensor.of(1.5f, 2f).half().toString());
        Tensor r = Tensor.randn(new long[] {64}, DType.BFLOAT16, new Generator(3));
        assertEquals(DType.BFLOAT16, r.dtype());
        dev.kiln.nn.Linear lin = new dev.kiln.nn.Linear(3, 2);
        lin.half();
        assertEquals(DType.FLOAT16, lin.weight().dtype());
        assertTrue(lin.weight().requiresGrad());
        Tensor y = lin.forward(Tensor.ones(DType.FLOAT16, 4, 3));
        assertEquals(DType.FLOAT16, y.dtype());
        lin.bfloat16();
        assertEquals(DType.BFLOAT16, lin.bias().dtype());
        lin.close();
        List<Function<Tensor, Tensor>> same = List.of(t -> t.reshape(3, 2), t -> t.t(), t -> t.clone(),
                t -> t.contiguous(), t -> t.select(0, 1));
        for (var op : same) {
            assertEquals(DType.FLOAT16, op.apply(z).dtype());
        }
    }
}
