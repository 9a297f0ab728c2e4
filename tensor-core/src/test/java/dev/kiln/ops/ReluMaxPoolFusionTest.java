package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code nn.Sequential}'s fused ReLU + MaxPool2d ({@link Pooling#reluMaxPool2d}) against the two modules run one by
 * one: forward values and every gradient bit for bit, in a Conv-ReLU-Pool stack and on inputs full of the values
 * where the rules matter (NaN, -0, windows whose maximum is 0 or negative). The op table checks the fused op against
 * real PyTorch and float64; this checks that Sequential really takes it and loses nothing by doing so.
 */
class ReluMaxPoolFusionTest extends KilnTest {
    private final Generator gen = new Generator(5);

    @ParameterizedTest(name = "pool first: {0}")
    @ValueSource(booleans = {false, true})
    void convReluPoolStackTrainsExactlyAsTheModulesOneByOne(boolean poolFirst) {
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Sequential model = poolFirst
                    ? new Sequential(new Conv2d(2, 4, 3, 1, 1), new MaxPool2d(2), new ReLU(),
                            new Conv2d(4, 3, 3), new MaxPool2d(2), new ReLU())
                    : new Sequential(new Conv2d(2, 4, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                            new Conv2d(4, 3, 3), new ReLU(), new MaxPool2d(2));
            model.to(t);
            Tensor x = Tensor.randn(new long[] {3, 2, 14, 15}, t, gen);
            Tensor v = Tensor.randn(new long[] {3, 3, 2, 2}, t, gen);

            Tensor fused = model.forward(x);
            assertEquals("ReluMaxPool2DBackward0", fused.gradFn().name(), "Sequential ran the fused op");
            fused.mul(v).sum().backward();
            List<double[]> fusedGrads = grads(model);

            model.zeroGrad();
            Tensor h = x;
            for (int i = 0; i < model.size(); i++) {
                h = model.get(i).forward(h);
            }
            assertEquals(poolFirst ? "ReluBackward0" : "MaxPool2DWithIndicesBackward0", h.gradFn().name());
            h.mul(v).sum().backward();
            assertArrayEquals(h.toDoubleArray(), fused.toDoubleArray(), t + " values");
            List<double[]> separate = grads(model);
            for (int i = 0; i < separate.size(); i++) {
                assertArrayEquals(separate.get(i), fusedGrads.get(i), t + " gradient of parameter " + i);
            }
            model.close();
        }
    }

    @Test
    void specialValuesGiveTheCompositionsValuesAndGradients() {
        float[] data = new float[2 * 6 * 8];
        float[] specials = {Float.NaN, -0f, 0f, -1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0.5f, -0.5f};
        for (int i = 0; i < data.length; i++) {
            data[i] = (i * 7) % 5 == 0 ? specials[(i * 3) % specials.length] : (float) gen.nextGaussian();
        }
        for (int i = 0; i < 4; i++) {
            data[6 * 8 + 2 * (i / 2) * 8 + i % 2] = i % 2 == 0 ? -0f : 0f; // one window of zeros of both signs
        }
        for (boolean poolFirst : new boolean[] {false, true}) {
            Sequential pair = poolFirst ? new Sequential(new MaxPool2d(2), new ReLU())
                    : new Sequential(new ReLU(), new MaxPool2d(2));
            Tensor x1 = Tensor.of(data).reshape(1, 2, 6, 8).requiresGrad_(true);
            Tensor x2 = Tensor.of(data).reshape(1, 2, 6, 8).requiresGrad_(true);
            Tensor fused = pair.forward(x1);
            assertEquals("ReluMaxPool2DBackward0", fused.gradFn().name());
            Tensor composed = poolFirst ? F.relu(F.maxPool2d(x2, 2)) : F.maxPool2d(F.relu(x2), 2);
            String order = poolFirst ? "pool then relu: " : "relu then pool: ";
            assertArrayEquals(bits(composed), bits(fused), order + "values, NaN payloads and signs of zero");
            Tensor v = Tensor.arange(1, 1 + fused.numel(), 1, DType.FLOAT32).reshape(fused.shape());
            fused.mul(v).sum().backward();
            composed.mul(v).sum().backward();
            assertArrayEquals(bits(x2.grad()), bits(x1.grad()), order + "gradient");
        }
    }

    @Test
    void inferenceRecordsNothingAndGivesTheSameValues() {
        Sequential pair = new Sequential(new ReLU(), new MaxPool2d(2));
        Tensor x = Tensor.randn(new long[] {2, 3, 10, 10}, DType.FLOAT32, gen).requiresGrad_(true);
        try (var g = Autograd.noGrad()) {
            Tensor y = pair.forward(x);
            assertNull(y.gradFn());
            assertArrayEquals(F.maxPool2d(F.relu(x), 2).toDoubleArray(), y.toDoubleArray());
        }
    }

    @Test
    void overlappingWindowsPoolThenReluGiveTheSameGradientsComposed() {
        // 3x3 stride 2: cells shared by windows get several gradients; no fused kernel, so the composition runs
        Sequential pair = new Sequential(new MaxPool2d(3, 2, 1, 1, false), new ReLU());
        Tensor x = Tensor.randn(new long[] {2, 2, 9, 9}, DType.FLOAT64, gen).requiresGrad_(true);
        Tensor x2 = x.detach().requiresGrad_(true);
        Tensor y = pair.forward(x);
        Tensor composed = F.relu(F.maxPool2d(x2, new long[] {3}, new long[] {2}, new long[] {1}, new long[] {1},
                false));
        assertArrayEquals(composed.toDoubleArray(), y.toDoubleArray());
        y.sum().backward();
        composed.sum().backward();
        assertArrayEquals(x2.grad().toDoubleArray(), x.grad().toDoubleArray());
    }

    @Test
    void windowsWithoutAFusedKernelTakeTheComposition() {
        Sequential pair = new Sequential(new ReLU(), new MaxPool2d(3, 2, 1, 1, false));
        Tensor x = Tensor.randn(new long[] {2, 2, 9, 9}, DType.FLOAT32, gen).requiresGrad_(true);
        Tensor x2 = x.detach().requiresGrad_(true);
        Tensor y = pair.forward(x);
        assertEquals("MaxPool2DWithIndicesBackward0", y.gradFn().name());
        Tensor composed = F.maxPool2d(F.relu(x2), new long[] {3}, new long[] {2}, new long[] {1}, new long[] {1}, false);
        assertArrayEquals(composed.toDoubleArray(), y.toDoubleArray());
        y.sum().backward(); // the ReLU output saved for backward outlived the fused attempt's temporaries
        composed.sum().backward();
        assertArrayEquals(x2.grad().toDoubleArray(), x.grad().toDoubleArray());
    }

    @Test
    void aSubclassedReluIsNotFusedAway() {
        ReLU leaky = new ReLU() {
            @Override
            public Tensor forward(Tensor input) {
                return F.leakyRelu(input, 0.5);
            }
        };
        Sequential model = new Sequential(leaky, new MaxPool2d(2));
        Tensor x = Tensor.of(-2f, -4f, -6f, -8f).reshape(1, 1, 2, 2);
        assertArrayEquals(new double[] {-1}, model.forward(x).toDoubleArray(), "the subclass's forward ran");
    }

    private static List<double[]> grads(Module model) {
        return model.parameters().stream().map(p -> p.grad().toDoubleArray()).toList();
    }

    private static int[] bits(Tensor t) {
        float[] f = t.toFloatArray();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }
}
