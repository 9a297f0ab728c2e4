package dev.kiln.nn;

import static dev.kiln.nn.NormRefs.scalar;
import static dev.kiln.nn.NormRefs.tensor;
import static dev.kiln.nn.NormRefs.values;
import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.autograd.GradCheck;
import dev.kiln.nn.functional.F;
import dev.kiln.nn.functional.Reduction;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SmoothL1, Huber and KL divergence against numpy float64 references (gen_norm_references.py) and gradcheck. */
class ExtraLossTest extends KilnTest {
    private static final double TOL = 1e-12;

    private static void check(Tensor got, String key) {
        assertClose(got, TOL, values(key));
    }

    @Test
    void smoothL1AndHuberMatchReferences() {
        Tensor x = tensor("reg.input");
        Tensor y = tensor("reg.target");
        for (Reduction r : Reduction.values()) {
            String red = r.torchName();
            check(F.smoothL1Loss(x, y, r, 1.0), "smoothl1.1.0." + red);
            check(F.smoothL1Loss(x, y, r, 0.5), "smoothl1.0.5." + red);
            check(F.huberLoss(x, y, r, 1.0), "huber.1.0." + red);
            check(F.huberLoss(x, y, r, 0.7), "huber.0.7." + red);
        }
        check(F.smoothL1Loss(x, y), "smoothl1.1.0.mean");
        check(F.huberLoss(x, y), "huber.1.0.mean");
        try (var sl1 = new SmoothL1Loss(Reduction.SUM, 0.5); var hub = new HuberLoss(Reduction.SUM, 0.7)) {
            check(sl1.forward(x, y), "smoothl1.0.5.sum");
            check(hub.forward(x, y), "huber.0.7.sum");
        }
        assertClose(F.smoothL1Loss(x, y, Reduction.MEAN, 0), TOL, F.l1Loss(x, y).item()); // beta 0 is L1
    }

    @Test
    void klDivMatchesReferences() {
        Tensor logp = tensor("kl.input");
        for (String red : List.of("none", "mean", "sum", "batchmean")) {
            check(F.klDiv(logp, tensor("kl.target"), red, false), "kl." + red);
            check(F.klDiv(logp, tensor("kl.logtarget"), red, true), "kl.log." + red);
        }
        try (var kl = new KLDivLoss("batchmean", false)) {
            assertEquals(scalar("kl.batchmean"), kl.forward(logp, tensor("kl.target")).item(), TOL);
        }
        try (var kl = new KLDivLoss()) {
            assertEquals(scalar("kl.mean"), kl.forward(logp, tensor("kl.target")).item(), TOL);
        }
    }

    @Test
    void gradchecks() {
        Generator gen = new Generator(21);
        Tensor x = Tensor.randn(new long[] {3, 4}, DType.FLOAT64, gen).mul(2).requiresGrad_(true);
        Tensor y = Tensor.randn(new long[] {3, 4}, DType.FLOAT64, gen).requiresGrad_(true);
        GradCheck.check(in -> F.smoothL1Loss(in.get(0), in.get(1), Reduction.NONE, 0.8), List.of(x, y));
        GradCheck.check(in -> F.huberLoss(in.get(0), in.get(1), Reduction.MEAN, 0.6), List.of(x, y));
        Tensor t = tensor("kl.target").requiresGrad_(true); // contains an exact zero
        Tensor logp = tensor("kl.input").requiresGrad_(true);
        GradCheck.check(in -> F.klDiv(in.get(0), in.get(1), "batchmean", false), List.of(logp, t));
        GradCheck.check(in -> F.klDiv(in.get(0), in.get(1), "none", true), List.of(logp, x));
    }

    @Test
    void zeroTargetContributesNothingAndNoNaNGradient() {
        Tensor logp = Tensor.of(Math.log(0.5), Math.log(0.5)).requiresGrad_(true);
        Tensor t = Tensor.of(1.0, 0.0).requiresGrad_(true);
        Tensor loss = F.klDiv(logp, t, "sum", false);
        assertEquals(Math.log(2), loss.item(), TOL);
        loss.backward();
        assertClose(logp.grad(), TOL, -1, 0);
        assertEquals(false, Double.isNaN(t.grad().get(1)));
    }

    @Test
    void badInput() {
        Tensor x = Tensor.zeros(2);
        var e = assertThrows(IllegalArgumentException.class, () -> F.smoothL1Loss(x, x, Reduction.MEAN, -1));
        assertEquals("smooth_l1_loss does not support negative values for beta.", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> F.huberLoss(x, x, Reduction.MEAN, 0));
        assertEquals("huber_loss does not support non-positive values for delta.", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> F.klDiv(x, x, "avg", false));
        assertEquals("avg is not a valid value for reduction", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new KLDivLoss("batch", false));
    }
}
