package dev.kiln.amp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.utils.ClipGrad;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * GradScaler against a numpy re-implementation of PyTorch's algorithm ({@code src/test/python/gen_grad_scaler.py};
 * torch 1.13's own GradScaler needs CUDA), and hand-derived cases.
 */
class GradScalerTest extends KilnTest {
    private static final Golden G = Golden.load("/dev/kiln/amp/grad_scaler.txt", "src/test/python/gen_grad_scaler.py");

    @Test
    void matchesTheReferenceRunWithSkippedSteps() {
        Tensor w = G.tensor("w0", DType.FLOAT32).requiresGrad_(true);
        Tensor y = G.tensor("y", DType.FLOAT32);
        Optimizer opt = new SGD(List.of(w), 0.01);
        GradScaler scaler = new GradScaler(1024, 2, 0.5, 3, true);
        for (int t = 0; t < 10; t++) {
            opt.zeroGrad();
            Tensor loss = w.mul(G.tensor("x|" + t, DType.FLOAT32)).sub(y).pow(2).sum();
            scaler.scale(loss).backward();
            boolean stepped = scaler.step(opt);
            scaler.update();
            assertEquals(G.scalar("stepped|" + t) == 1, stepped, "stepped at " + t);
            assertEquals(G.scalar("scale|" + t), scaler.getScale(), "scale after " + t);
            assertEquals((long) G.scalar("tracker|" + t), scaler.getGrowthTracker(), "tracker after " + t);
            double[] want = G.values("w|" + t);
            double[] got = w.toDoubleArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-6 * Math.max(1, Math.abs(want[i])), "w[" + i + "] after " + t);
            }
        }
        opt.close();
    }

    /** One parameter whose gradient is set by hand, as if backward of a scaled loss had produced it. */
    private static Tensor paramWithGrad(float... grad) {
        Tensor p = Tensor.zeros(grad.length).requiresGrad_(true);
        p.mul(Tensor.of(grad)).sum().backward();
        return p;
    }

    @Test
    void anInfGradientSkipsTheStepAndHalvesTheScale() {
        Tensor p = paramWithGrad(1f, Float.POSITIVE_INFINITY);
        Optimizer opt = new SGD(List.of(p), 1.0);
        GradScaler scaler = new GradScaler();
        scaler.scale(Tensor.scalar(1)).close();
        assertFalse(scaler.step(opt));
        scaler.update();
        assertArrayEquals(new float[] {0, 0}, p.toFloatArray(), 0f); // untouched
        assertEquals(32768.0, scaler.getScale());
        assertEquals(0, scaler.getGrowthTracker());
        opt.close();
    }

    @Test
    void theScaleGrowsAfterGrowthIntervalCleanSteps() {
        Tensor p = paramWithGrad(65536f * 2f);
        Optimizer opt = new SGD(List.of(p), 1.0);
        GradScaler scaler = new GradScaler(65536, 2, 0.5, 2, true);
        scaler.scale(Tensor.scalar(1)).close();
        assertTrue(scaler.step(opt)); // grad / 65536 = 2: p = 0 - 2
        assertArrayEquals(new float[] {-2}, p.toFloatArray(), 0f);
        scaler.update();
        assertEquals(65536.0, scaler.getScale());
        assertEquals(1, scaler.getGrowthTracker());
        scaler.step(opt);
        scaler.update();
        assertEquals(131072.0, scaler.getScale());
        assertEquals(0, scaler.getGrowthTracker());
        opt.close();
    }

    @Test
    void growthStopsShortOfInfinity() {
        Tensor p = paramWithGrad(1f);
        Optimizer opt = new SGD(List.of(p), 0.0);
        GradScaler scaler = new GradScaler(0x1p127, 2, 0.5, 1, true);
        scaler.scale(Tensor.scalar(1)).close();
        scaler.step(opt);
        scaler.update();
        assertEquals(0x1p127, scaler.getScale());
        opt.close();
    }

    @Test
    void clipGradAfterUnscaleSeesTrueGradients() {
        Tensor p = paramWithGrad(3f * 1024, 4f * 1024);
        Optimizer opt = new SGD(List.of(p), 1.0);
        GradScaler scaler = new GradScaler(1024, 2, 0.5, 2000, true);
        scaler.scale(Tensor.scalar(1)).close();
        scaler.unscale_(opt);
        assertArrayEquals(new float[] {3, 4}, p.grad().toFloatArray(), 0f);
        assertEquals(5.0, ClipGrad.clipGradNorm_(List.of(p), 1.0).item(), 1e-6);
        assertTrue(scaler.step(opt)); // does not unscale twice
        assertArrayEquals(new float[] {-0.6f, -0.8f}, p.toFloatArray(), 1e-6f);
        scaler.update();
        opt.close();
    }

    @Test
    void outOfOrderCallsRaisePyTorchsErrors() {
        Tensor p = paramWithGrad(1f);
        Optimizer opt = new SGD(List.of(p), 0.1);
        GradScaler scaler = new GradScaler();
        var noScale = assertThrows(IllegalStateException.class, () -> scaler.step(opt));
        assertTrue(noScale.getMessage().contains("did not use scaler.scale"), noScale.getMessage());
        scaler.scale(Tensor.scalar(1)).close();
        assertThrows(IllegalStateException.class, scaler::update, "No inf checks were recorded prior to update.");
        scaler.unscale_(opt);
        var twice = assertThrows(IllegalStateException.class, () -> scaler.unscale_(opt));
        assertTrue(twice.getMessage().startsWith("unscale_() has already been called"), twice.getMessage());
        scaler.step(opt);
        var again = assertThrows(IllegalStateException.class, () -> scaler.step(opt));
        assertEquals("step() has already been called since the last update().", again.getMessage());
        var after = assertThrows(IllegalStateException.class, () -> scaler.unscale_(opt));
        assertEquals("unscale_() is being called after step().", after.getMessage());
        scaler.update();
        assertThrows(IllegalArgumentException.class, () -> new GradScaler(1, 1.0, 0.5, 1, true));
        Tensor h = Tensor.zeros(DType.FLOAT16, 2).requiresGrad_(true);
        h.sum().backward();
        Optimizer halfOpt = new SGD(List.of(h), 0.1);
        var fp16 = assertThrows(IllegalArgumentException.class, () -> scaler.unscale_(halfOpt));
        assertEquals("Attempting to unscale FP16 gradients.", fp16.getMessage());
        opt.close();
        halfOpt.close();
    }

    @Test
    void stateDictRoundTripsAndDisabledScalersPassThrough() {
        GradScaler a = new GradScaler(256, 3, 0.25, 7, true);
        Tensor p = paramWithGrad(1f);
        Optimizer opt = new SGD(List.of(p), 0.0);
        a.scale(Tensor.scalar(1)).close();
        a.step(opt);
        a.update();
        Map<String, Object> sd = a.stateDict();
        assertEquals(List.of("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"),
                List.copyOf(sd.keySet()));
        GradScaler b = new GradScaler();
        b.loadStateDict(sd);
        assertEquals(256.0, b.getScale());
        assertEquals(3.0, b.getGrowthFactor());
        assertEquals(0.25, b.getBackoffFactor());
        assertEquals(7, b.getGrowthInterval());
        assertEquals(1, b.getGrowthTracker());
        assertThrows(IllegalStateException.class, () -> b.loadStateDict(Map.of()));
        GradScaler off = new GradScaler(65536, 2, 0.5, 2000, false);
        Tensor loss = Tensor.scalar(2);
        assertSame(loss, off.scale(loss));
        assertTrue(off.step(opt));
        off.update();
        assertEquals(1.0, off.getScale());
        assertTrue(off.stateDict().isEmpty());
        opt.close();
    }

    /** PyTorch's AMP recipe end to end on the CPU: float16 autocast, float32 master weights, dynamic loss scaling. */
    @Test
    void theAmpRecipeTrainsAnMlpInFloat16() {
        dev.kiln.tensor.Generator g = new dev.kiln.tensor.Generator(7);
        dev.kiln.nn.Sequential model = new dev.kiln.nn.Sequential(new dev.kiln.nn.Linear(4, 16), new dev.kiln.nn.ReLU(),
                new dev.kiln.nn.Linear(16, 1));
        Tensor x = Tensor.randn(new long[] {64, 4}, DType.FLOAT32, g);
        Tensor y = x.sum(new long[] {1}, true).mul(0.5); // a linear target the MLP can fit
        Optimizer opt = new dev.kiln.optim.Adam(model.parameters(), 0.01);
        GradScaler scaler = new GradScaler();
        double first = 0;
        double last = 0;
        int stepped = 0;
        for (int i = 0; i < 150; i++) {
            try (dev.kiln.tensor.TensorScope step = dev.kiln.tensor.TensorScope.open()) {
                opt.zeroGrad();
                Tensor loss;
                try (Autocast ac = Autocast.enable(dev.kiln.tensor.Device.Type.CPU, DType.FLOAT16)) {
                    Tensor out = model.forward(x);
                    assertEquals(DType.FLOAT16, out.dtype());
                    loss = dev.kiln.nn.functional.F.mseLoss(out, y);
                    assertEquals(DType.FLOAT32, loss.dtype()); // mse_loss is on the float32 list
                }
                scaler.scale(loss).backward();
                stepped += scaler.step(opt) ? 1 : 0;
                scaler.update();
                last = loss.item();
                first = i == 0 ? last : first;
            }
        }
        for (Tensor p : model.parameters()) {
            assertEquals(DType.FLOAT32, p.dtype());
            assertEquals(DType.FLOAT32, p.grad().dtype());
        }
        assertTrue(stepped > 140, "steps taken: " + stepped);
        assertTrue(last < 0.05 * first, "loss " + first + " -> " + last);
        opt.close();
        model.close();
    }
}
