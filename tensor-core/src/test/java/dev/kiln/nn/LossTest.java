package dev.kiln.nn;

import static dev.kiln.nn.References.scalar;
import static dev.kiln.nn.References.tensor;
import static dev.kiln.nn.References.values;
import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.autograd.GradCheck;
import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Losses against numpy float64 references from gen_nn_references.py, and their gradients via gradcheck. */
class LossTest extends KilnTest {
    private static final double TOL = 1e-12;

    private static Tensor x() {
        return tensor("ce.input");
    }

    private static Tensor y(String key) {
        return tensor(key, DType.INT64);
    }

    @Test
    void crossEntropyReductions() {
        assertClose(F.crossEntropy(x(), y("ce.target")), TOL, scalar("ce.mean"));
        Tensor sum = F.crossEntropy(x(), y("ce.target"), null, -100, Reduction.SUM, 0);
        assertClose(sum, TOL, scalar("ce.sum"));
        Tensor none = F.crossEntropy(x(), y("ce.target"), null, -100, Reduction.NONE, 0);
        assertClose(none, TOL, values("ce.none"));
    }

    @Test
    void crossEntropyWeightsIgnoreIndexAndLabelSmoothing() {
        Tensor w = tensor("ce.weight");
        assertClose(F.crossEntropy(x(), y("ce.target"), w, -100, Reduction.MEAN, 0), TOL, scalar("ce.weighted.mean"));
        assertClose(F.crossEntropy(x(), y("ce.ignore.target")), TOL, scalar("ce.ignore.mean"));
        assertClose(F.crossEntropy(x(), y("ce.target"), null, -100, Reduction.MEAN, 0.1), TOL, scalar("ce.smooth.mean"));
        assertClose(F.crossEntropy(x(), y("ce.target"), null, -100, Reduction.NONE, 0.1), TOL, values("ce.smooth.none"));
        assertClose(F.crossEntropy(x(), y("ce.ignore.target"), w, -100, Reduction.MEAN, 0.2), TOL, scalar("ce.all.mean"));
        assertClose(F.crossEntropy(x(), y("ce.ignore.target"), w, -100, Reduction.SUM, 0.2), TOL, scalar("ce.all.sum"));
        try (var loss = new CrossEntropyLoss(w, -100, Reduction.MEAN, 0.2)) {
            assertClose(loss.forward(x(), y("ce.ignore.target")), TOL, scalar("ce.all.mean"));
        }
    }

    @Test
    void crossEntropyProbabilityTargets() {
        Tensor loss = F.crossEntropy(x(), tensor("ce.probs.target"), tensor("ce.weight"), -100, Reduction.MEAN, 0.1);
        assertClose(loss, TOL, scalar("ce.probs.mean"));
    }

    @Test
    void nllOnLogSoftmaxEqualsCrossEntropy() {
        Tensor logp = x().logSoftmax(1);
        Tensor w = tensor("ce.weight");
        assertClose(F.nllLoss(logp, y("ce.target"), w, -100, Reduction.MEAN), TOL, scalar("nll.weighted.mean"));
        try (var nll = new NLLLoss()) {
            assertClose(nll.forward(logp, y("ce.target")), TOL, scalar("ce.mean"));
        }
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        Tensor logits = Tensor.of(new double[][] {{1000, 0, -1000}, {-1000, 1000, 0}});
        assertClose(F.crossEntropy(logits, Tensor.of(0L, 1L)), 1e-12, 0.0);
        assertClose(F.crossEntropy(logits, Tensor.of(2L, 0L), null, -100, Reduction.NONE, 0), 1e-12, 2000, 2000);
    }

    @Test
    void crossEntropyHandlesSpatialDims() {
        Tensor logits = tensor("ce.input").reshape(2, 5, 2); // [N=2, C=5, d=2]
        Tensor target = Tensor.of(new long[] {1, 4, 0, 2}).reshape(2, 2);
        Tensor flat = logits.permute(0, 2, 1).reshape(4, 5);
        assertClose(F.crossEntropy(logits, target), TOL, F.crossEntropy(flat, target.reshape(4)).item());
    }

    @Test
    void regressionLosses() {
        Tensor a = tensor("reg.input");
        Tensor b = tensor("reg.target");
        for (Reduction r : Reduction.values()) {
            String red = r.torchName();
            assertClose(F.mseLoss(a, b, r), TOL, values("mse." + red));
            assertClose(F.l1Loss(a, b, r), TOL, values("l1." + red));
        }
        try (var mse = new MSELoss(); var l1 = new L1Loss(Reduction.SUM)) {
            assertClose(mse.forward(a, b), TOL, scalar("mse.mean"));
            assertClose(l1.forward(a, b), TOL, scalar("l1.sum"));
        }
    }

    @Test
    void binaryCrossEntropyWithLogitsIsStable() {
        Tensor x = tensor("bce.logits");
        Tensor t = tensor("bce.target");
        assertClose(F.bceWithLogits(x, t), TOL, scalar("bcel.mean"));
        assertClose(F.bceWithLogits(x, t, tensor("bce.weight"), null, Reduction.SUM), TOL, scalar("bcel.weighted.sum"));
        try (var loss = new BCEWithLogitsLoss(null, tensor("bce.posweight"), Reduction.MEAN)) {
            assertClose(loss.forward(x, t), TOL, scalar("bcel.pos.mean"));
        }
        try (var bce = new BCELoss()) {
            assertClose(bce.forward(tensor("bce.probs"), t.slice(0, 0, 2)), 1e-10, scalar("bce.mean"));
        }
    }

    @Test
    void lossGradientsPassGradcheck() {
        Tensor logits = tensor("ce.input").requiresGrad_(true);
        Tensor w = tensor("ce.weight");
        GradCheck.check(in -> F.crossEntropy(in.get(0), y("ce.ignore.target"), w, -100, Reduction.MEAN, 0.2),
                List.of(logits));
        GradCheck.check(in -> F.crossEntropy(in.get(0), tensor("ce.probs.target"), null, -100, Reduction.SUM, 0.1),
                List.of(logits));
        Tensor x = tensor("bce.logits").mul(0.1).requiresGrad_(true); // keep |x| small: away from the kink of |x|
        GradCheck.check(in -> F.bceWithLogits(in.get(0), tensor("bce.target"), tensor("bce.weight"),
                tensor("bce.posweight"), Reduction.MEAN), List.of(x));
        Tensor a = tensor("reg.input").requiresGrad_(true);
        GradCheck.check(in -> F.mseLoss(in.get(0), tensor("reg.target"), Reduction.NONE), List.of(a));
        GradCheck.check(in -> F.l1Loss(in.get(0), tensor("reg.target")), List.of(a));
        Tensor p = tensor("bce.probs").requiresGrad_(true);
        GradCheck.check(in -> F.binaryCrossEntropy(in.get(0), tensor("bce.target").slice(0, 0, 2)), List.of(p));
    }

    @Test
    void bceWithLogitsGradientAtZeroLogitIsSigmoidMinusTarget() {
        Tensor x = Tensor.zeros(DType.FLOAT64, 2).requiresGrad_(true);
        F.bceWithLogits(x, Tensor.of(0.0, 1.0), null, null, Reduction.SUM).backward();
        assertClose(x.grad(), 1e-12, 0.5, -0.5);
    }

    @Test
    void errorMessagesFollowPyTorch() {
        var batch = assertThrows(IllegalArgumentException.class,
                () -> F.crossEntropy(Tensor.zeros(3, 4), Tensor.of(0L, 1L)));
        assertEquals("Expected input batch_size (3) to match target batch_size (2).", batch.getMessage());
        var dtype = assertThrows(IllegalArgumentException.class,
                () -> F.crossEntropy(Tensor.zeros(2, 4), Tensor.of(0f, 1f)));
        assertEquals("expected scalar type Long but found Float", dtype.getMessage());
        var bounds = assertThrows(IndexOutOfBoundsException.class,
                () -> F.crossEntropy(Tensor.zeros(2, 4), Tensor.of(0L, 4L)));
        assertEquals("Target 4 is out of bounds.", bounds.getMessage());
        var multi = assertThrows(IllegalArgumentException.class,
                () -> F.nllLoss(Tensor.zeros(2, 4), Tensor.zeros(DType.INT64, 2, 4)));
        assertEquals("0D or 1D target tensor expected, multi-target not supported", multi.getMessage());
        var bce = assertThrows(IllegalArgumentException.class,
                () -> F.bceWithLogits(Tensor.zeros(3, 1), Tensor.zeros(3)));
        assertEquals("Target size (torch.Size([3])) must be the same as input size (torch.Size([3, 1]))",
                bce.getMessage());
        var range = assertThrows(IllegalArgumentException.class,
                () -> F.binaryCrossEntropy(Tensor.of(1.5f), Tensor.of(1f)));
        assertEquals("all elements of input should be between 0 and 1", range.getMessage());
    }
}
