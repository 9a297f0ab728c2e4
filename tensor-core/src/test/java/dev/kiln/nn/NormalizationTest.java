package dev.kiln.nn;

import static dev.kiln.nn.NormRefs.tensor;
import static dev.kiln.nn.NormRefs.values;
import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.GradCheck;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BatchNorm, LayerNorm, GroupNorm against numpy float64 references (gen_norm_references.py) and gradcheck. */
class NormalizationTest extends KilnTest {
    private static final double TOL = 1e-10;

    private static BatchNorm batchNorm(String name, Double momentum) {
        long c = tensor(name + ".weight").numel();
        BatchNorm bn = name.equals("bn2d") ? new BatchNorm2d(c, 1e-5, momentum, true, true, DType.FLOAT64)
                : new BatchNorm1d(c, 1e-5, momentum, true, true, DType.FLOAT64);
        try (var g = Autograd.noGrad()) {
            bn.weight().copy_(tensor(name + ".weight"));
            bn.bias().copy_(tensor(name + ".bias"));
        }
        return bn;
    }

    @Test
    void batchNormTrainUpdatesRunningStatsAndEvalUsesThem() {
        for (String name : List.of("bn2d", "bn1d", "bn1d3")) {
            try (BatchNorm bn = batchNorm(name, 0.1)) {
                assertClose(bn.forward(tensor(name + ".x")), TOL, values(name + ".train.y"));
                assertClose(bn.forward(tensor(name + ".x2")), TOL, values(name + ".train.y2"));
                assertClose(bn.runningMean(), TOL, values(name + ".running_mean"));
                assertClose(bn.runningVar(), TOL, values(name + ".running_var"));
                assertEquals(2, bn.numBatchesTracked().item());
                assertEquals(DType.INT64, bn.numBatchesTracked().dtype());
                assertTrue(!bn.runningMean().requiresGrad(), "running stats are updated under noGrad");
                bn.eval();
                assertClose(bn.forward(tensor(name + ".x")), TOL, values(name + ".eval.y"));
                assertEquals(2, bn.numBatchesTracked().item(), "eval does not count batches");
                assertClose(bn.runningMean(), TOL, values(name + ".running_mean"));
            }
        }
    }

    @Test
    void batchNormMomentumNoneIsCumulativeAverage() {
        for (String name : List.of("bn2d", "bn1d")) {
            try (BatchNorm bn = batchNorm(name, null)) {
                bn.forward(tensor(name + ".x"));
                bn.forward(tensor(name + ".x2"));
                assertClose(bn.runningMean(), TOL, values(name + ".cma.running_mean"));
                assertClose(bn.runningVar(), TOL, values(name + ".cma.running_var"));
            }
        }
    }

    @Test
    void batchNormWithoutRunningStatsUsesBatchStatsInEval() {
        try (var bn = new BatchNorm2d(3, 1e-5, 0.1, true, false, DType.FLOAT64);
             var ref = batchNorm("bn2d", 0.1)) {
            try (var g = Autograd.noGrad()) {
                bn.weight().copy_(ref.weight());
                bn.bias().copy_(ref.bias());
            }
            bn.eval();
            assertClose(bn.forward(tensor("bn2d.x")), TOL, values("bn2d.train.y"));
            assertEquals(List.of("weight", "bias"), List.copyOf(bn.stateDict().keySet()));
            assertNull(bn.runningMean());
        }
    }

    @Test
    void batchNormStateDictKeysAndRepr() {
        try (var model = new Sequential(new Linear(4, 16), new BatchNorm1d(16))) {
            assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                    "1.num_batches_tracked"), List.copyOf(model.stateDict().keySet()));
            assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"),
                    List.copyOf(model.namedParameters().keySet()));
        }
        try (var bn = new BatchNorm2d(16)) {
            assertEquals("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                    bn.toString());
        }
        try (var bn = new BatchNorm1d(8, 1e-3, null, false, false)) {
            assertEquals("BatchNorm1d(8, eps=0.001, momentum=None, affine=False, track_running_stats=False)",
                    bn.toString());
            assertTrue(bn.stateDict().isEmpty());
        }
    }

    @Test
    void batchNormStateDictRoundTripsRunningStats() {
        try (BatchNorm a = batchNorm("bn1d", 0.1); var b = new BatchNorm1d(3, 1e-5, 0.1, true, true, DType.FLOAT64)) {
            a.forward(tensor("bn1d.x"));
            a.forward(tensor("bn1d.x2"));
            b.loadStateDict(a.stateDict());
            b.eval();
            assertEquals(2, b.numBatchesTracked().item());
            assertClose(b.forward(tensor("bn1d.x")), TOL, values("bn1d.eval.y"));
        }
    }

    @Test
    void batchNormGradcheckTrainAndEval() {
        Generator gen = new Generator(3);
        Tensor x = Tensor.randn(new long[] {4, 3, 2}, DType.FLOAT64, gen).requiresGrad_(true);
        Tensor w = Tensor.randn(new long[] {3}, DType.FLOAT64, gen).requiresGrad_(true);
        Tensor b = Tensor.randn(new long[] {3}, DType.FLOAT64, gen).requiresGrad_(true);
        Tensor rm = Tensor.randn(new long[] {3}, DType.FLOAT64, gen);
        Tensor rv = Tensor.rand(new long[] {3}, DType.FLOAT64, gen).add(0.5);
        GradCheck.check(in -> F.batchNorm(in.get(0), null, null, in.get(1), in.get(2), true, 0.1, 1e-5),
                List.of(x, w, b));
        GradCheck.check(in -> F.batchNorm(in.get(0), rm, rv, in.get(1), in.get(2), false, 0.1, 1e-5),
                List.of(x, w, b));
        try (var bn = new BatchNorm2d(3, 1e-5, 0.1, true, true, DType.FLOAT64)) {
            Tensor x4 = Tensor.randn(new long[] {2, 3, 2, 2}, DType.FLOAT64, gen).requiresGrad_(true);
            GradCheck.check(in -> bn.forward(in.get(0)), List.of(x4));
        }
    }

    @Test
    void batchNormBadInput() {
        try (var bn1 = new BatchNorm1d(3); var bn2 = new BatchNorm2d(3)) {
            var e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.zeros(2, 3, 4, 5)));
            assertEquals("expected 2D or 3D input (got 4D input)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> bn2.forward(Tensor.zeros(2, 3, 4)));
            assertEquals("expected 4D input (got 3D input)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.zeros(2, 5)));
            assertEquals("running_mean should contain 5 elements not 3", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.zeros(1, 3)));
            assertEquals("Expected more than 1 value per channel when training, got input size torch.Size([1, 3])",
                    e.getMessage());
            bn1.eval();
            assertClose(bn1.forward(Tensor.ones(1, 3)), 1e-5, 1, 1, 1); // eval: one sample is fine
        }
    }

    @Test
    void layerNormMatchesReferenceAndGradchecks() {
        try (var ln = new LayerNorm(new long[] {3, 4}, 1e-5, true, DType.FLOAT64)) {
            try (var g = Autograd.noGrad()) {
                ln.weight().copy_(tensor("ln.weight"));
                ln.bias().copy_(tensor("ln.bias"));
            }
            assertClose(ln.forward(tensor("ln.x")), TOL, values("ln.y"));
            ln.eval();
            assertClose(ln.forward(tensor("ln.x")), TOL, values("ln.y"));
            assertEquals("LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)", ln.toString());
            assertEquals(List.of("weight", "bias"), List.copyOf(ln.stateDict().keySet()));
        }
        try (var ln = new LayerNorm(10)) {
            assertEquals("LayerNorm((10,), eps=1e-05, elementwise_affine=True)", ln.toString());
        }
        Generator gen = new Generator(5);
        GradCheck.check(in -> F.layerNorm(in.get(0), new long[] {4}, in.get(1), in.get(2), 1e-5), List.of(
                Tensor.randn(new long[] {2, 3, 4}, DType.FLOAT64, gen).requiresGrad_(true),
                Tensor.randn(new long[] {4}, DType.FLOAT64, gen).requiresGrad_(true),
                Tensor.randn(new long[] {4}, DType.FLOAT64, gen).requiresGrad_(true)));
        var e = assertThrows(IllegalArgumentException.class,
                () -> F.layerNorm(Tensor.zeros(2, 3, 4), new long[] {5}, null, null, 1e-5));
        assertEquals("Given normalized_shape=[5], expected input with shape [*, 5], but got input of size[2, 3, 4]",
                e.getMessage());
    }

    @Test
    void groupNormMatchesReferenceAndGradchecks() {
        try (var gn = new GroupNorm(3, 6, 1e-5, true, DType.FLOAT64)) {
            try (var g = Autograd.noGrad()) {
                gn.weight().copy_(tensor("gn.weight"));
                gn.bias().copy_(tensor("gn.bias"));
            }
            assertClose(gn.forward(tensor("gn.x")), TOL, values("gn.y"));
            assertEquals("GroupNorm(3, 6, eps=1e-05, affine=True)", gn.toString());
        }
        Generator gen = new Generator(6);
        GradCheck.check(in -> F.groupNorm(in.get(0), 2, in.get(1), in.get(2), 1e-5), List.of(
                Tensor.randn(new long[] {2, 4, 3}, DType.FLOAT64, gen).requiresGrad_(true),
                Tensor.randn(new long[] {4}, DType.FLOAT64, gen).requiresGrad_(true),
                Tensor.randn(new long[] {4}, DType.FLOAT64, gen).requiresGrad_(true)));
        var e = assertThrows(IllegalArgumentException.class, () -> new GroupNorm(4, 6));
        assertEquals("num_channels must be divisible by num_groups", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> F.groupNorm(Tensor.zeros(2, 6, 4), 4, null, null, 1e-5));
        assertEquals("Expected number of channels in input to be divisible by num_groups, but got input of shape "
                + "[2, 6, 4] and num_groups=4", e.getMessage());
    }
}
