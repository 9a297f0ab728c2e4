package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.GradCheck;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/**
 * The fused linear paths against the ops they replace: {@code F.linear} (one kernel, one autograd node) against
 * {@code x.matmul(w.t()).add(b)}, {@link Linalg#linearRelu} and {@code nn.Sequential}'s Linear+ReLU fusion against
 * the separate ops, forward bit for bit (the CPU kernel runs the very GEMM {@code matmul} runs, then adds the bias to
 * each finished dot product as {@code add} does) and gradients as the composed graph gives them.
 */
class LinearFusionTest extends KilnTest {
    private final Generator gen = new Generator(3);

    @Test
    void linearEqualsMatmulThenAddBitForBit() {
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Tensor x = Tensor.randn(new long[] {37, 50}, t, gen);
            Tensor w = Tensor.randn(new long[] {70, 50}, t, gen);
            Tensor b = Tensor.randn(new long[] {70}, t, gen);
            assertArrayEquals(x.matmul(w.t()).add(b).toDoubleArray(), F.linear(x, w, b).toDoubleArray(), t.toString());
            assertArrayEquals(x.matmul(w.t()).toDoubleArray(), F.linear(x, w, null).toDoubleArray(), t.toString());
            Tensor x3 = Tensor.randn(new long[] {2, 5, 50}, t, gen);
            assertArrayEquals(x3.matmul(w.t()).add(b).toDoubleArray(), F.linear(x3, w, b).toDoubleArray());
        }
    }

    @Test
    void linearReluEqualsTheSeparateOpsIncludingNaN() {
        Tensor x = Tensor.randn(new long[] {33, 20}, DType.FLOAT32, gen);
        Tensor w = Tensor.randn(new long[] {40, 20}, DType.FLOAT32, gen);
        Tensor b = Tensor.randn(new long[] {40}, DType.FLOAT32, gen);
        x.set(Double.NaN, 3, 7);
        b.set(Double.NEGATIVE_INFINITY, 5);
        b.set(Double.POSITIVE_INFINITY, 6);
        try (var g = Autograd.noGrad()) {
            double[] fused = Linalg.linearRelu(x, w, b).toDoubleArray();
            assertArrayEquals(x.matmul(w.t()).add(b).relu().toDoubleArray(), fused);
            assertTrue(Double.isNaN(fused[3 * 40]), "a NaN input row stays NaN through the fused ReLU");
        }
    }

    @Test
    void gradientsEqualTheComposedGraph() {
        Tensor x = Tensor.randn(new long[] {6, 5}, DType.FLOAT64, gen).requiresGrad_(true);
        Tensor w = Tensor.randn(new long[] {4, 5}, DType.FLOAT64, gen).requiresGrad_(true);
        Tensor b = Tensor.randn(new long[] {4}, DType.FLOAT64, gen).requiresGrad_(true);
        Tensor up = Tensor.randn(new long[] {6, 4}, DType.FLOAT64, gen);
        Tensor y = F.linear(x, w, b);
        assertEquals("AddmmBackward0", y.gradFn().name());
        List<Tensor> fused = Autograd.grad(List.of(y), List.of(x, w, b), List.of(up), false, false);
        List<Tensor> composed = Autograd.grad(List.of(x.matmul(w.t()).add(b)), List.of(x, w, b), List.of(up), false,
                false);
        for (int i = 0; i < 3; i++) {
            double[] e = composed.get(i).toDoubleArray();
            double[] a = fused.get(i).toDoubleArray();
            for (int j = 0; j < e.length; j++) {
                assertEquals(e[j], a[j], 1e-12 * (1 + Math.abs(e[j])), "input " + i + " element " + j);
            }
        }
        assertEquals("MmBackward0", F.linear(x, w, null).gradFn().name());
    }

    @Test
    void gradcheckThroughLinearReluWithGradients() {
        // With gradients linearRelu records linear's node and ReLU's; gradcheck also covers double backward inputs.
        GradCheck.check(in -> Linalg.linearRelu(in.get(0), in.get(1), in.get(2)), List.of(
                Tensor.randn(new long[] {3, 4}, DType.FLOAT64, gen).requiresGrad_(true),
                Tensor.randn(new long[] {5, 4}, DType.FLOAT64, gen).requiresGrad_(true),
                Tensor.randn(new long[] {5}, DType.FLOAT64, gen).requiresGrad_(true)));
    }

    @Test
    void sequentialInEvalNoGradEqualsTheModulesOneByOne() {
        Sequential model = new Sequential(new Linear(30, 20), new ReLU(), new Linear(20, 10), new ReLU(),
                new Linear(10, 3));
        Tensor x = Tensor.randn(new long[] {17, 30}, DType.FLOAT32, gen);
        try (var g = Autograd.noGrad()) {
            Tensor h = x;
            for (int i = 0; i < model.size(); i++) {
                h = model.get(i).forward(h);
            }
            assertArrayEquals(h.toDoubleArray(), model.forward(x).toDoubleArray());
        }
        model.close();
    }

    @Test
    void sequentialFusesOnlyWhenNoGradientIsNeeded() {
        Sequential model = new Sequential(new Linear(8, 6), new ReLU(), new Linear(6, 2));
        Tensor x = Tensor.randn(new long[] {4, 8}, DType.FLOAT32, gen);
        Tensor y = model.forward(x); // parameters require grad: the graph is recorded as two modules
        assertEquals("AddmmBackward0", y.gradFn().name());
        y.sum().backward();
        assertTrue(model.parameters().stream().allMatch(p -> p.grad() != null));
        try (var g = Autograd.noGrad()) {
            assertNull(model.forward(x).gradFn());
        }
        model.close();
    }

    @Test
    void fusedSequentialAllocatesOnlyTheLayerOutputs() {
        // Proof that the fused path runs: the separate ops make a bias-added and a ReLU tensor per hidden layer.
        Sequential model = new Sequential(new Linear(64, 256), new ReLU(), new Linear(256, 10));
        Tensor x = Tensor.randn(new long[] {32, 64}, DType.FLOAT32, gen);
        long fused = peakBytes(() -> model.forward(x));
        long separate = peakBytes(() -> model.get(2).forward(model.get(1).forward(model.get(0).forward(x))));
        long hidden = 32 * 256 * 4;
        assertTrue(fused < 2 * hidden, "only one [32,256] tensor (the fused hidden layer): peak " + fused);
        assertTrue(separate >= 2 * hidden, "the separate ops keep the bias-added and the ReLU tensors: " + separate);
        model.close();
    }

    @Test
    void aSubclassedLinearIsNotFusedAway() {
        Linear doubled = new Linear(5, 4) {
            @Override
            public Tensor forward(Tensor input) {
                return super.forward(input).mul(2);
            }
        };
        Sequential model = new Sequential(doubled, new ReLU());
        Tensor x = Tensor.randn(new long[] {3, 5}, DType.FLOAT32, gen);
        try (var g = Autograd.noGrad()) {
            Tensor expected = F.linear(x, doubled.weight(), doubled.bias()).mul(2).relu();
            assertArrayEquals(expected.toDoubleArray(), model.forward(x).toDoubleArray());
        }
        model.close();
    }

    @Test
    void anActivationFedToAFusedLinearIsTheScopesNotALeak() {
        // The ReLU's output reaches the fused kernel only as a kernel argument; Sequential hands it on explicitly,
        // so KilnTest's temporary-leak check (which fails this test otherwise) does not count it as forgotten.
        Sequential model = new Sequential(new ReLU(), new Linear(4, 3));
        Tensor x = Tensor.randn(new long[] {2, 4}, DType.FLOAT32, gen);
        try (var g = Autograd.noGrad()) {
            assertEquals(6, model.forward(x).numel());
        }
        model.close();
    }

    /** Peak bytes a no-grad eval forward allocates from a fresh child allocator. */
    private long peakBytes(java.util.function.Supplier<Tensor> forward) {
        try (BufferAllocator a = allocator.newChildAllocator("peak", 0, Long.MAX_VALUE)) {
            try (TensorScope s = TensorScope.open(a); var g = Autograd.noGrad()) {
                forward.get().getDouble(0);
            }
            return a.getPeakMemoryAllocation();
        }
    }
}
