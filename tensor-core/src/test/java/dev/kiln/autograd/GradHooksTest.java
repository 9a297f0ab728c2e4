package dev.kiln.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Post-accumulate-grad hooks and final callbacks (what data-parallel gradient averaging builds on). */
class GradHooksTest extends KilnTest {

    @Test
    void hookSeesTheFullySummedGradientOnce() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad_(true);
        List<float[]> seen = new ArrayList<>();
        x.registerPostAccumulateGradHook(t -> seen.add(t.grad().toFloatArray()));
        // x reaches the loss along three paths: d/dx (2x + x*x + 5x) = 7 + 2x
        x.mul(2).add(x.mul(x)).add(x.mul(5)).sum().backward();
        assertEquals(1, seen.size(), "hook fires once per backward, after every path was summed");
        assertArrayEquals(new float[] {9f, 11f, 13f}, seen.get(0));
    }

    @Test
    void hookSeesAccumulationAcrossBackwardPassesAndMaySetTheGrad() {
        Tensor w = Tensor.of(1f, 1f).requiresGrad_(true);
        List<float[]> seen = new ArrayList<>();
        w.registerPostAccumulateGradHook(t -> seen.add(t.grad().toFloatArray()));
        w.mul(3).sum().backward();
        w.mul(3).sum().backward();
        assertArrayEquals(new float[] {3f, 3f}, seen.get(0));
        assertArrayEquals(new float[] {6f, 6f}, seen.get(1), "second pass: .grad already holds the sum");
        // A hook may rewrite .grad in place (e.g. an averaged all-reduce result); backward keeps what it wrote.
        w.registerPostAccumulateGradHook(t -> t.grad().div_(2));
        w.mul(3).sum().backward();
        assertArrayEquals(new float[] {4.5f, 4.5f}, w.grad().toFloatArray());
    }

    @Test
    void hooksRunInRegistrationOrderAndRemoveStopsThem() {
        Tensor a = Tensor.of(1.0).requiresGrad_(true);
        List<String> log = new ArrayList<>();
        RemovableHandle first = a.registerPostAccumulateGradHook(t -> log.add("first"));
        a.registerPostAccumulateGradHook(t -> log.add("second"));
        a.mul(2).backward();
        first.remove();
        first.remove(); // idempotent
        a.mul(2).backward();
        assertEquals(List.of("first", "second", "second"), log);
    }

    @Test
    void hookDoesNotFireWithoutAGradientNorForFunctionalGrad() {
        Tensor used = Tensor.of(2.0).requiresGrad_(true);
        Tensor unused = Tensor.of(5.0).requiresGrad_(true);
        List<String> log = new ArrayList<>();
        used.registerPostAccumulateGradHook(t -> log.add("used"));
        unused.registerPostAccumulateGradHook(t -> log.add("unused"));
        used.mul(3).backward();
        Autograd.grad(used.mul(3), List.of(used)); // torch.autograd.grad never touches .grad: no hook
        assertEquals(List.of("used"), log);
    }

    @Test
    void registeringOnANonLeafOrANoGradTensorFails() {
        Tensor x = Tensor.of(1f).requiresGrad_(true);
        Tensor y = x.mul(2);
        IllegalStateException nonLeaf = assertThrows(IllegalStateException.class,
                () -> y.registerPostAccumulateGradHook(t -> { }));
        assertTrue(nonLeaf.getMessage().contains("non-leaf"), nonLeaf.getMessage());
        IllegalStateException noGrad = assertThrows(IllegalStateException.class,
                () -> Tensor.of(1f).registerPostAccumulateGradHook(t -> { }));
        assertTrue(noGrad.getMessage().contains("doesn't require gradient"), noGrad.getMessage());
    }

    @Test
    void queuedCallbacksRunAfterEveryHookInQueueOrder() {
        Tensor a = Tensor.of(1f).requiresGrad_(true);
        Tensor b = Tensor.of(2f).requiresGrad_(true);
        List<String> log = new ArrayList<>();
        a.registerPostAccumulateGradHook(t -> {
            log.add("hook a");
            Autograd.queueCallback(() -> {
                log.add("callback 1 sees b.grad=" + b.grad().item());
                Autograd.queueCallback(() -> log.add("callback 3, queued by callback 1"));
            });
        });
        b.registerPostAccumulateGradHook(t -> {
            log.add("hook b");
            Autograd.queueCallback(() -> log.add("callback 2"));
        });
        // a's leaf is reached before b's (b sits deeper), so callback 1 is queued while b.grad is still null
        a.add(b.mul(3).mul(1)).backward();
        assertEquals(List.of("hook a", "hook b", "callback 1 sees b.grad=3.0", "callback 2",
                "callback 3, queued by callback 1"), log);
    }

    @Test
    void queueCallbackOutsideBackwardFails() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Autograd.queueCallback(() -> { }));
        assertEquals("Final callbacks can only be installed during backward pass.", e.getMessage());
    }

    @Test
    void aFailingBackwardDropsItsCallbacksAndLeavesNoStaleFrame() {
        Tensor a = Tensor.of(1f).requiresGrad_(true);
        List<String> log = new ArrayList<>();
        RemovableHandle queueing = a.registerPostAccumulateGradHook(t -> Autograd.queueCallback(() -> log.add("ran")));
        RemovableHandle failing = a.registerPostAccumulateGradHook(t -> {
            throw new IllegalStateException("boom");
        });
        assertThrows(IllegalStateException.class, () -> a.mul(2).backward());
        assertEquals(List.of(), log);
        failing.remove();
        assertThrows(IllegalStateException.class, () -> Autograd.queueCallback(() -> { }),
                "no frame is left open after the failed pass");
        a.mul(2).backward();
        assertEquals(List.of("ran"), log);
        queueing.remove();
    }

    @Test
    void anExceptionFromACallbackPropagatesOutOfBackward() {
        Tensor a = Tensor.of(1f).requiresGrad_(true);
        a.registerPostAccumulateGradHook(t -> Autograd.queueCallback(() -> {
            throw new IllegalStateException("all-reduce failed");
        }));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.mul(2).backward());
        assertEquals("all-reduce failed", e.getMessage());
    }
}
