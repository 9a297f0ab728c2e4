package dev.kiln.nn;

import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Conv and pooling modules: PyTorch's reprs, parameter shapes and init bounds, state-dict keys, and a LeNet. */
class ConvModulesTest extends KilnTest {

    /**
     * Regression: the conv modules kept their weight and bias in fields, so after {@code to(dtype)} (which replaces
     * the parameter tensors and closes the old ones) forward still used the old, closed float32 tensors.
     */
    @Test
    void convModulesUseTheirParametersAfterADtypeChange() {
        for (ConvNd m : List.of(new Conv1d(2, 3, 3), new Conv2d(2, 3, 3), new ConvTranspose2d(2, 3, 3))) {
            m.to(DType.FLOAT64);
            assertEquals(DType.FLOAT64, m.weight().dtype());
            assertEquals(DType.FLOAT64, m.bias().dtype());
            Tensor x = Tensor.randn(m instanceof Conv1d ? new long[] {1, 2, 5} : new long[] {1, 2, 5, 5},
                    DType.FLOAT64, new Generator(1));
            Tensor y = m.forward(x);
            assertEquals(DType.FLOAT64, y.dtype(), m.toString());
            y.sum().backward();
            assertEquals(DType.FLOAT64, m.weight().grad().dtype());
            m.close();
        }
    }

    @Test
    void reprsMatchPyTorch() {
        try (var c = new Conv2d(1, 32, 3);
             var p = new Conv2d(6, 16, new long[] {5, 3}, new long[] {2, 1}, new long[] {1, 0}, new long[] {2, 1}, 2,
                     false);
             var same = new Conv2d(3, 3, new long[] {3}, new long[] {1}, "same", new long[] {1}, 1, true);
             var c1 = new Conv1d(4, 8, 3, 1, 1);
             var t = new ConvTranspose2d(4, 2, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1},
                     new long[] {1, 1}, 1, true, new long[] {1, 1})) {
            assertEquals("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))", c.toString());
            assertEquals("Conv2d(6, 16, kernel_size=(5, 3), stride=(2, 1), padding=(1, 0), dilation=(2, 1), groups=2, "
                    + "bias=False)", p.toString());
            assertEquals("Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), padding=same)", same.toString());
            assertEquals("Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=(1,))", c1.toString());
            assertEquals("ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                    + "output_padding=(1, 1))", t.toString());
        }
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
                new MaxPool2d(2).toString());
        assertEquals("MaxPool2d(kernel_size=(3, 2), stride=(3, 2), padding=(1, 0), dilation=(1, 1), ceil_mode=True)",
                new MaxPool2d(new long[] {3, 2}, new long[0], new long[] {1, 0}, new long[] {1, 1}, true).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(1, 1))", new AdaptiveAvgPool2d(1, 1).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).toString());
    }

    @Test
    void parameterShapesAndInitBounds() {
        Kiln.manualSeed(0);
        try (var c = new Conv2d(new long[] {1}.length * 4, 8, new long[] {3, 2}, new long[] {1}, new long[] {0},
                new long[] {1}, 2, true);
             var t = new ConvTranspose2d(4, 6, new long[] {3, 3}, new long[] {1, 1}, new long[] {0, 0},
                     new long[] {0, 0}, 2, true, new long[] {1, 1})) {
            assertShape(c.weight(), 8, 2, 3, 2);
            assertShape(c.bias(), 8);
            assertShape(t.weight(), 4, 3, 3, 3);
            assertShape(t.bias(), 6);
            assertWithin(c.weight(), 1 / Math.sqrt(2 * 3 * 2)); // fan_in = in/groups * kh * kw
            assertWithin(c.bias(), 1 / Math.sqrt(2 * 3 * 2));
            assertWithin(t.weight(), 1 / Math.sqrt(3 * 3 * 3)); // PyTorch's fan_in of [in, out/groups, k, k]
            assertEquals(List.of("weight", "bias"), List.copyOf(c.stateDict().keySet()));
        }
        try (var noBias = new Conv1d(2, 3, 3, 1, 0, 1, 1, false)) {
            assertNull(noBias.bias());
            assertEquals(List.of("weight"), List.copyOf(noBias.stateDict().keySet()));
        }
    }

    private static void assertWithin(Tensor t, double bound) {
        double max = 0;
        for (double v : t.toDoubleArray()) {
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max <= bound && max > bound / 2, "max |value| " + max + " vs bound " + bound);
    }

    @Test
    void moduleArgumentErrors() {
        assertEquals("in_channels must be divisible by groups",
                assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, new long[] {3}, new long[] {1},
                        new long[] {0}, new long[] {1}, 2, true)).getMessage());
        assertEquals("padding='same' is not supported for strided convolutions",
                assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, new long[] {3}, new long[] {2},
                        "same", new long[] {1}, 1, true)).getMessage());
    }

    private static Sequential leNet() {
        return new Sequential(new Conv2d(1, 6, 5, 1, 2), new ReLU(), new MaxPool2d(2), new Conv2d(6, 16, 5), new ReLU(),
                new MaxPool2d(2), new Flatten(), new Linear(400, 120), new ReLU(), new Linear(120, 10));
    }

    @Test
    void leNetShapesBackwardAndAdamLowersTheLoss() {
        Kiln.manualSeed(7);
        Tensor x = Tensor.randn(new long[] {8, 1, 28, 28}, DType.FLOAT32, new Generator(3));
        Tensor y = Tensor.of(new long[] {0, 1, 2, 3, 4, 5, 6, 7});
        try (var model = leNet(); var loss = new CrossEntropyLoss(); var opt = new Adam(model.parameters(), 2e-3)) {
            assertEquals(List.of("0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"),
                    List.copyOf(model.namedParameters().keySet()));
            double first = Double.NaN;
            double last = Double.NaN;
            for (int step = 0; step < 30; step++) {
                try (var s = TensorScope.open()) {
                    opt.zeroGrad();
                    Tensor out = model.forward(x);
                    assertShape(out, 8, 10);
                    Tensor l = loss.forward(out, y);
                    l.backward();
                    if (step == 0) {
                        for (Tensor p : model.parameters()) {
                            assertNotNull(p.grad());
                            assertShape(p.grad(), p.shape());
                        }
                        first = l.item();
                    }
                    opt.step();
                    last = l.item();
                }
            }
            assertTrue(last < first / 2, "loss should fall on a fixed batch: first " + first + ", last " + last);
        }
    }
}
