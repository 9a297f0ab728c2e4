package dev.kiln.nn;

import static dev.kiln.testing.Assertions.assertClose;
import static dev.kiln.testing.Assertions.assertShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.autograd.GradCheck;
import dev.kiln.nn.functional.F;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayersTest extends KilnTest {

    @Test
    void linearForwardMatchesHandComputation() {
        try (var lin = new Linear(3, 2, true, DType.FLOAT64)) {
            try (var g = dev.kiln.autograd.Autograd.noGrad()) {
                lin.weight().copy_(Tensor.of(new double[][] {{1, 2, 3}, {-1, 0, 0.5}}));
                lin.bias().copy_(Tensor.of(0.5, -1.0));
            }
            Tensor y = lin.forward(Tensor.of(new double[][] {{1, 1, 1}, {2, 0, -2}}));
            // row0: [1+2+3+0.5, -1+0+0.5-1] ; row1: [2-6+0.5, -2-1-1]
            assertClose(y, 1e-12, 6.5, -1.5, -3.5, -4.0);
            GradCheck.check(in -> F.linear(in.get(0), in.get(1), in.get(2)), List.of(
                    Tensor.randn(new long[] {4, 3}, DType.FLOAT64, new Generator(3)).requiresGrad_(true),
                    Tensor.randn(new long[] {2, 3}, DType.FLOAT64, new Generator(4)).requiresGrad_(true),
                    Tensor.randn(new long[] {2}, DType.FLOAT64, new Generator(5)).requiresGrad_(true)));
        }
    }

    @Test
    void linearDefaultInitIsUniformWithinOneOverSqrtFanIn() {
        Kiln.manualSeed(0);
        try (var lin = new Linear(100, 400)) {
            double bound = 1 / Math.sqrt(100);
            Tensor w = lin.weight();
            assertTrue(w.abs().max().item() <= bound);
            assertTrue(w.abs().max().item() > 0.95 * bound, "fills the interval");
            assertEquals(0, w.mean().item(), 0.01);
            assertEquals(bound * bound / 3, w.var().item(), 0.05 * bound * bound / 3); // Var U(-b,b) = b^2/3
            assertTrue(lin.bias().abs().max().item() <= bound);
        }
        Kiln.manualSeed(7);
        try (var a = new Linear(5, 5)) {
            Kiln.manualSeed(7);
            try (var b = new Linear(5, 5)) {
                assertClose(b.weight(), 0, a.weight().toDoubleArray()); // seeded: reproducible
            }
        }
    }

    @Test
    void initStatistics() {
        Generator gen = new Generator(11);
        Tensor t = Tensor.empty(DType.FLOAT64, 200, 300); // fan_in 300, fan_out 200
        Init.xavierUniform_(t, 1.0, gen);
        double a = Math.sqrt(6.0 / 500);
        assertTrue(t.abs().max().item() <= a);
        assertEquals(a * a / 3, t.var().item(), 0.03 * a * a / 3);
        Init.kaimingNormal_(t, 0, Init.FanMode.FAN_OUT, "relu", gen);
        assertEquals(2.0 / 200, t.var().item(), 0.03 * 2.0 / 200);
        Init.kaimingUniform_(t, 0, Init.FanMode.FAN_IN, "relu", gen);
        assertTrue(t.abs().max().item() <= Math.sqrt(6.0 / 300));
        Init.xavierNormal_(t, Init.calculateGain("tanh", 0), gen);
        double std = 5.0 / 3 * Math.sqrt(2.0 / 500);
        assertEquals(std * std, t.var().item(), 0.03 * std * std);
        Init.normal_(t, 3, 0.5, gen);
        assertEquals(3, t.mean().item(), 0.01);
        Init.constant_(t, 2.5);
        assertEquals(2.5 * 60000, t.sum().item(), 1e-9);
        Init.zeros_(t);
        assertEquals(0, t.abs().sum().item());
        Tensor p = Tensor.zeros(DType.FLOAT64, 2, 2).requiresGrad_(true);
        Init.ones_(p); // allowed on a leaf that requires grad: runs under noGrad
        assertClose(p, 0, 1, 1, 1, 1);
        assertEquals(Math.sqrt(2.0 / (1 + 0.01 * 0.01)), Init.calculateGain("leaky_relu", 0.01), 1e-15);
    }

    @Test
    void dropoutTrainAndEval() {
        Kiln.manualSeed(5);
        try (var d = new Dropout(0.25)) {
            Tensor x = Tensor.ones(DType.FLOAT64, 100, 100);
            Tensor y = d.forward(x);
            double[] v = y.toDoubleArray();
            long zeros = 0;
            for (double e : v) {
                assertTrue(e == 0 || Math.abs(e - 1 / 0.75) < 1e-12, "survivors are scaled by 1/(1-p)");
                zeros += e == 0 ? 1 : 0;
            }
            assertEquals(0.25, zeros / 10000.0, 0.02);
            d.eval();
            assertSame(x, d.forward(x), "eval mode is the identity");
        }
        assertClose(F.dropout(Tensor.ones(3), 1.0, true), 0, 0, 0, 0);
    }

    @Test
    void activationsMatchClosedForms() {
        Tensor x = Tensor.of(-2.0, -0.5, 0.0, 1.5);
        assertClose(new ReLU().forward(x), 1e-12, 0, 0, 0, 1.5);
        assertClose(new LeakyReLU(0.1).forward(x), 1e-12, -0.2, -0.05, 0, 1.5);
        assertClose(new ELU().forward(x), 1e-12, Math.exp(-2) - 1, Math.exp(-0.5) - 1, 0, 1.5);
        assertClose(new SiLU().forward(x), 1e-12, -2 / (1 + Math.exp(2)), -0.5 / (1 + Math.exp(0.5)), 0,
                1.5 / (1 + Math.exp(-1.5)));
        assertClose(new Sigmoid().forward(x), 1e-12, 1 / (1 + Math.exp(2)), 1 / (1 + Math.exp(0.5)), 0.5,
                1 / (1 + Math.exp(-1.5)));
        assertClose(new Tanh().forward(x), 1e-12, Math.tanh(-2), Math.tanh(-0.5), 0, Math.tanh(1.5));
        double t = Math.sqrt(2 / Math.PI) * (1.5 + 0.044715 * Math.pow(1.5, 3));
        assertEquals(0.5 * 1.5 * (1 + Math.tanh(t)), new GELU("tanh").forward(x).get(3), 1e-12);
        assertEquals(1.5 * 0.5 * (1 + 0.8663855974622838), new GELU().forward(x).get(3), 1e-9); // erf(1.5/sqrt2)
        assertClose(new Softmax(0).forward(Tensor.of(0.0, Math.log(3))), 1e-12, 0.25, 0.75);
        assertClose(new LogSoftmax(0).forward(Tensor.of(0.0, Math.log(3))), 1e-12, Math.log(0.25), Math.log(0.75));
        Tensor big = Tensor.of(1000.0).requiresGrad_(true);
        F.elu(big, 1.0).backward();
        assertClose(big.grad(), 0, 1.0); // no 0 * inf from the unselected exp branch
        GradCheck.check(in -> F.elu(in.get(0), 0.7).add(F.leakyRelu(in.get(0), 0.2)).add(F.silu(in.get(0)))
                .add(F.gelu(in.get(0), "tanh")), List.of(Tensor.of(-1.3, -0.4, 0.3, 2.0).requiresGrad_(true)));
    }

    @Test
    void flattenIdentityAndSequentialForward() {
        try (var model = new Sequential(new Flatten(), new Identity(), new Linear(6, 2))) {
            Tensor y = model.forward(Tensor.ones(4, 2, 3));
            assertShape(y, 4, 2);
            assertSame(model.get(2), model.get(-1));
        }
    }
}
